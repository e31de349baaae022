"""Requests of the captured run that the transcript selection left out, but whose effects later
records show (fixtures README: "this transcript is a selection of the run").

Each one is rebuilt only from evidence in the fixtures, replayed at its place in the sequence and
never counted. A token of ``CSRF`` is replaced by the session's current CSRF token.
"""

from __future__ import annotations

from typing import Any

CSRF = "{csrf}"

# transcript file name -> missing seq -> the request, with the evidence for it.
GAPS: dict[str, dict[int, dict[str, Any]]] = {
    "mediawiki-1.39.transcript.jsonl": {
        # #167 (the list's history): revision 16 "Added [[:User talk:Gina]]" lies between #143's
        # revision 15 and #147's revision 17; #164 then reports Gina as already listed.
        145: {
            "name": "gap.editmassmessagelist.add.gina",
            "session": "admin",
            "method": "POST",
            "form": {
                "action": "editmassmessagelist",
                "format": "json",
                "spamlist": "Anchor delivery list",
                "add": "User talk:Gina",
                "token": CSRF,
            },
        },
        # talkpages.json: "== Anchor newsletter 5 ==\n\nSent via a redirect to the delivery list."
        # on every page of the delivery list; #216 logs that send on "Anchor delivery list" right
        # after #174 created "Anchor list redirect".
        175: {
            "name": "gap.massmessage.via_redirect",
            "session": "admin",
            "method": "POST",
            "form": {
                "action": "massmessage",
                "format": "json",
                "spamlist": "Anchor list redirect",
                "subject": "Anchor newsletter 5",
                "message": "Sent via a redirect to the delivery list.",
                "token": CSRF,
            },
        },
        # talkpages.json: "== Anchor newsletter 7 ==\n\nformat=xml" on the noticeboard (the one
        # member of Category:Anchor recipients); #216 logs that send on the category.
        177: {
            "name": "gap.massmessage.xml",
            "session": "admin",
            "method": "POST",
            "form": {
                "action": "massmessage",
                "format": "xml",
                "spamlist": "Category:Anchor recipients",
                "subject": "Anchor newsletter 7",
                "message": "format=xml",
                "token": CSRF,
            },
        },
    },
}


def gaps_for(transcript_name: str) -> list[tuple[int, dict[str, Any]]]:
    """The rebuilt requests of one transcript file, by seq."""
    return sorted(GAPS.get(transcript_name, {}).items())
