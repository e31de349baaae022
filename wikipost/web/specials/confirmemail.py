"""Special:ConfirmEmail/<token>: the page a confirmation link opens."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import Response

from wikipost.web import page
from wikipost.wiki import Wiki

MESSAGES = {
    "invalid": "Invalid confirmation code. The code may have expired.",
    "expired": "Invalid confirmation code. The code may have expired.",
    "used": "This confirmation code has already been used.",
    "changed": "This confirmation code is for an address the account no longer uses.",
}


async def confirm_email(wiki: Wiki, request: Request, sub: str) -> Response:
    from starlette.concurrency import run_in_threadpool

    title = "Confirm email address"
    if not sub:
        return page(title, "<p>Open the link from your confirmation mail to confirm your address.</p>")
    outcome = await run_in_threadpool(wiki.email_confirmation.confirm, sub)
    if outcome.ok:
        name = html.escape(outcome.user_name)
        return page(
            title,
            f"<p>Your email address has been confirmed, {name}. You may now use "
            "email features of the wiki.</p>",
        )
    return page(title, f"<p>{html.escape(MESSAGES[outcome.reason])}</p>", 400)
