"""The page of a MassMessage delivery list (content model ``MassMessageListContent``): its
description rendered as wikitext, its targets in a table and — for whoever may edit it — the
forms MassMessage's list page offers: add a page, remove a page, change the description.

The forms are plain POSTs to the list page itself (so they work without JavaScript), each with
the session's ``wpEditToken``, and they go through the service of action=editmassmessagelist:
the same checks, messages, edit summary and rate limit. The page only reads the form, calls
the service and words its outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wikipost.api.errors import ApiError
from wikipost.services import massmessage_lists as lists
from wikipost.services.massmessage_list_edits import DeliveryListEditor, ListEditResult
from wikipost.services.pages import PageRecord
from wikipost.services.titles import Title
from wikipost.web.context import PageContext
from wikipost.web.rendering import render_wikitext
from wikipost.web.special import SESSION_FAILURE, PageOutput
from wikipost.web.specials.createmassmessagelist import error_texts

ACTIONS = ("add", "remove", "description")
# MassMessage's messages for the add box (ext.MassMessage.content.js).
ALREADY_IN_LIST = "The page is already in the list."
INVALID_TITLE_SITE = "The title and site are invalid."
INVALID_TITLE = "The title is invalid."
INVALID_SITE = "The site is invalid."


@dataclass
class Outcome:
    """What a POST did, for the page: boxes to show and the values to put back in the forms."""

    errors: list[str] = field(default_factory=list)
    successes: list[str] = field(default_factory=list)
    form: str = ""  # the form whose values are kept ("add", "description")
    add_value: str = ""
    description_value: str | None = None


def delivery_list_view(ctx: PageContext, title: Title, page: PageRecord, text: str) -> PageOutput:
    wiki = ctx.wiki
    oldid = ctx.param("oldid")
    latest = not oldid or oldid == str(page.latest_rev_id)
    outcome = Outcome()
    if ctx.posted and latest and ctx.form.get("wpListAction"):
        outcome = handle_post(ctx, title)
    editor = DeliveryListEditor.of(wiki)
    with wiki.db.read() as conn:
        current = wiki.pages.get_page(conn, title) or page
        if latest:
            text = wiki.pages.get_text(conn, current)
        try:
            data = lists.parse_list_text(text, wiki.titles)
        except lists.ListContentError as err:
            return PageOutput(
                title.prefixed_text, "delivery_list.html", {"invalid": err.info, "source": text}
            )
        shown = editor.for_display(conn, ctx.actor, current, data)
    editable = latest and shown.editable
    values = list_values(ctx, title, data, editor.sites)
    values.update(
        editable=editable,
        readonly_notice=latest and not editable and not ctx.actor.is_anon,
        errors=outcome.errors,
        successes=outcome.successes,
        add_value=outcome.add_value if outcome.form == "add" else "",
        description_source=data["description"],
        description_value=(
            outcome.description_value if outcome.description_value is not None else data["description"]
        ),
        action=ctx.url(title),
        token=ctx.token() if editable else "",
    )
    scripts = ("delivery-list.js",) if editable else ()
    return PageOutput(title.prefixed_text, "delivery_list.html", values, scripts=scripts)


def list_values(ctx: PageContext, title: Title, data: dict[str, Any], sites: lists.Sites) -> dict[str, Any]:
    """The description's HTML and the targets as the table shows them; each target's ``param``
    is its ``Title`` / ``Title@site`` string, as prop=mmcontent lists it."""
    stored = lists.stored_targets(data)
    targets = [
        {
            "title": t.title,
            "site": t.site,
            "param": param,
            "href": ctx.url(t.title) if t.site is None else None,
            "local": t.site is None or sites.is_local(t.site),
        }
        for t, param in zip(stored, lists.display_targets(data, sites), strict=True)
    ]
    description = render_wikitext(ctx.wiki, data["description"]).html if data["description"] else ""
    return {
        "description_html": description,
        "targets": targets,
        "has_invalid_targets": any(not t["local"] for t in targets),
        "list_title": title,
    }


def handle_post(ctx: PageContext, title: Title) -> Outcome:
    """One of the page's forms was submitted: check the token, call the service, word it."""
    action = ctx.form["wpListAction"][0]
    outcome = Outcome(form=action)
    outcome.add_value = ctx.form.get("wpAddTitle", [""])[0]
    if action == "description":
        outcome.description_value = ctx.form.get("wpDescription", [""])[0].replace("\r\n", "\n")
    if action not in ACTIONS:
        return Outcome()
    if not ctx.token_ok("wpEditToken"):
        outcome.errors.append(SESSION_FAILURE)
        return outcome
    editor = DeliveryListEditor.of(ctx.wiki)
    try:
        if action == "add":
            result = editor.edit(ctx.actor, ctx.client_ip, title.prefixed_text, add=[outcome.add_value])
            describe_add(result, outcome)
        elif action == "remove":
            target = ctx.form.get("wpRemove", [""])[0]
            result = editor.edit(ctx.actor, ctx.client_ip, title.prefixed_text, remove=[target])
            describe_remove(result, target, outcome)
        else:
            value = outcome.description_value or ""
            result = editor.edit(ctx.actor, ctx.client_ip, title.prefixed_text, description=value)
            describe_description(result, outcome)
    except ApiError as err:
        outcome.errors.extend(error_texts(err))
    return outcome


def describe_add(result: ListEditResult, outcome: Outcome) -> None:
    change = result.change
    if change.invalid_add:
        parsed = change.invalid_add[0]
        if parsed.invalid_title and parsed.invalid_site:
            outcome.errors.append(INVALID_TITLE_SITE)
        elif parsed.invalid_title:
            outcome.errors.append(INVALID_TITLE)
        else:
            outcome.errors.append(INVALID_SITE)
    elif not change.added:
        outcome.errors.append(ALREADY_IN_LIST)
    else:
        for target in change.added:
            name = target.title if target.site is None else f"{target.title} on {target.site}"
            outcome.successes.append(f"Added {name} to the list.")
        outcome.form = ""


def describe_remove(result: ListEditResult, target: str, outcome: Outcome) -> None:
    if result.change.removed:
        outcome.successes.append(f"Removed {target} from the list.")
    else:
        outcome.errors.append("Removing the page failed with error code invalidremove.")


def describe_description(result: ListEditResult, outcome: Outcome) -> None:
    if result.change.description_changed:
        outcome.successes.append("Changed the description.")
        outcome.description_value = None
    else:
        outcome.successes.append("The description is unchanged.")
