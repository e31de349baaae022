"""ApiAuthManagerHelper::formatAuthenticationResponse for a FAIL, shared by clientlogin and
createaccount: the message in the requested ``messageformat`` and its ``messagecode``."""

from __future__ import annotations

from typing import Any


def fail(out: dict[str, Any], messageformat: str, *, wikitext: str, key: str, code: str) -> None:
    out["status"] = "FAIL"
    if messageformat == "wikitext":
        out["message"] = wikitext
    elif messageformat == "html":
        out["message"] = wikitext.replace("\n", "<br />")
    elif messageformat == "raw":
        out["message"] = {"key": key, "params": []}
    out["messagecode"] = code
