"""CORS and preflight for api.php's ``origin`` parameter (api-conventions.md §11)."""

from __future__ import annotations

from fnmatch import fnmatch

from wikipost.api.request import ApiRequest

CORS_ALLOWED_HEADERS = {
    "accept",
    "accept-language",
    "content-language",
    "content-type",
    "accept-encoding",
    "dnt",
    "origin",
    "user-agent",
    "api-user-agent",
    "access-control-max-age",
    "authorization",
}
CORS_EXPOSE = "MediaWiki-API-Error, Retry-After, X-Database-Lag, MediaWiki-Login-Suppressed"


def apply_cors(
    request: ApiRequest, origin: str, headers: list[tuple[str, str]], allowed: list[str]
) -> tuple[int, bytes, list[tuple[str, str]]] | None:
    """CORS for ``origin=``: adds headers, or returns the 403 answer when it does not match."""
    if origin == "*":
        headers += [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Credentials", "false"),
            ("Access-Control-Expose-Headers", CORS_EXPOSE),
        ]
        _preflight(request, headers)
        return None
    sent = request.headers.get("origin", "").split()
    if origin not in sent:
        return (
            403,
            b"'origin' parameter does not match Origin header\n",
            [("Content-Type", "text/plain; charset=utf-8")],
        )

    host = origin.split("://", 1)[-1]
    if any(fnmatch(host, pattern) for pattern in allowed):
        headers += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", CORS_EXPOSE),
            ("Timing-Allow-Origin", origin),
            ("Vary", "Origin"),
        ]
        _preflight(request, headers)
    else:
        headers.append(("MediaWiki-CORS-Rejection", "Origin mismatch"))
    return None


def _preflight(request: ApiRequest, headers: list[tuple[str, str]]) -> None:
    if request.method != "OPTIONS" or "access-control-request-method" not in request.headers:
        return
    headers.append(("Access-Control-Allow-Methods", "POST, GET, HEAD"))
    wanted = request.headers.get("access-control-request-headers", "")
    names = [h.strip() for h in wanted.split(",") if h.strip()]
    if all(h.lower() in CORS_ALLOWED_HEADERS for h in names):
        if names:
            headers.append(("Access-Control-Allow-Headers", wanted))
    else:
        headers.append(("MediaWiki-CORS-Rejection", "Unsupported header requested in preflight"))
