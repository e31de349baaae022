"""ApiMain: the one place that enforces module contracts, in MediaWiki 1.39's order, and
renders results and errors (api-conventions.md §4)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wikipost.api.context import ApiContext
from wikipost.api.cors import apply_cors
from wikipost.api.errors import ApiError, ApiMessage, missingparam
from wikipost.api.formats import render
from wikipost.api.module import ApiModule
from wikipost.api.params import Param, validate_module_params, validate_param
from wikipost.api.registry import FORMATS, Registry
from wikipost.api.request import ApiRequest
from wikipost.api.result import ResultList, content, to_json_data
from wikipost.clock import iso8601
from wikipost.services.sessions import Session

if TYPE_CHECKING:
    from wikipost.db.commitgroup import CommitGroup
    from wikipost.wiki import Wiki

log = logging.getLogger("wikipost.api")

DOCREF_TAIL = (
    " for API usage. Subscribe to the mediawiki-api-announce mailing list at "
    "&lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt; "
    "for notice of API deprecations and breaking changes."
)
ERROR_FORMATS = ("bc", "html", "none", "plaintext", "raw", "wikitext")


def main_params(registry: Registry) -> tuple[Param, ...]:
    """ApiMain's own parameters, in its declaration order."""
    return (
        Param("action", "submodule", default="help", submodule_group="action"),
        Param("format", "submodule", default="jsonfm", submodule_group="format"),
        Param("maxlag", "integer"),
        Param("smaxage", "integer", default=0, min=0),
        Param("maxage", "integer", default=0, min=0),
        Param("assert", ("anon", "bot", "user")),
        Param("assertuser", "user"),
        Param("requestid", "string"),
        Param("servedby", "boolean"),
        Param("curtimestamp", "boolean"),
        Param("responselanginfo", "boolean"),
        Param("origin", "string"),
        Param("uselang", "string", default="user"),
        Param("variant", "string"),
        Param("errorformat", ERROR_FORMATS, default="bc"),
        Param("errorlang", "string", default="uselang"),
        Param("errorsuselocal", "boolean"),
    )


FORMAT_PARAMS: dict[str, tuple[Param, ...]] = {
    "json": (
        Param("callback", "string"),
        Param("utf8", "boolean"),
        Param("ascii", "boolean"),
        Param("formatversion", ("1", "2", "latest"), default="1"),
    ),
    "xml": (Param("xslt", "string"), Param("includexmlnamespace", "boolean")),
    "php": (Param("formatversion", ("1", "2", "latest"), default="1"),),
    "none": (),
}
FORMAT_PARAMS["jsonfm"] = FORMAT_PARAMS["json"] + (Param("wrappedhtml", "boolean"),)
FORMAT_PARAMS["rawfm"] = FORMAT_PARAMS["jsonfm"]
FORMAT_PARAMS["xmlfm"] = FORMAT_PARAMS["xml"] + (Param("wrappedhtml", "boolean"),)
FORMAT_PARAMS["phpfm"] = FORMAT_PARAMS["php"] + (Param("wrappedhtml", "boolean"),)


@dataclass
class ApiResponse:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


class RawOutput(Exception):  # noqa: N818 - control flow, not an error
    """Raised by a module (help) that answers with its own body instead of a result."""

    def __init__(self, body: str, content_type: str) -> None:
        self.body = body
        self.content_type = content_type


class ApiMain:
    def __init__(self, wiki: Wiki, registry: Registry) -> None:
        self.wiki = wiki
        self.registry = registry
        self.params = main_params(registry)
        self.hostname = socket.gethostname()

    # --- entry point ----------------------------------------------------------------------

    def is_blocking(self, request: ApiRequest) -> bool:
        """Whether the requested module does slow work (see ``ApiModule.blocking``)."""
        module = self.registry.get("action", request.values.get("action", "help"))
        return module is not None and module.runs_blocking(self.wiki.settings)

    def handle(self, request: ApiRequest, cookies: dict[str, str]) -> ApiResponse:
        """Handle a request start to finish (a worker thread, tests): writes commit at once."""
        steps = self._handle(request, cookies, None)
        with self.wiki.db.scope():
            try:
                next(steps)
            except StopIteration as done:
                response: ApiResponse = done.value
                return response
        raise RuntimeError("a module deferred its write outside an event loop")

    async def handle_async(self, request: ApiRequest, cookies: dict[str, str]) -> ApiResponse:
        """Handle a request on the event loop: a module may stage its write for the loop's
        group commit (``ctx.defer``); the answer is made once that commit is done."""
        steps = self._handle(request, cookies, self.wiki.commits)
        with self.wiki.db.scope():
            try:
                pending = next(steps)
            except StopIteration as done:
                response: ApiResponse = done.value
                return response
        while True:
            try:
                await pending
            except asyncio.CancelledError:
                raise
            except Exception:  # the module reads its outcome from the future
                pass
            # What is left (the module's report, the session, printing) reads little: no scope.
            try:
                pending = steps.send(None)
            except StopIteration as done:
                response = done.value
                return response

    def _handle(
        self, request: ApiRequest, cookies: dict[str, str], commits: CommitGroup | None
    ) -> Generator[asyncio.Future[Any], None, ApiResponse]:
        settings = self.wiki.settings
        headers: list[tuple[str, str]] = []
        origin = request.values.get("origin")
        lacks_same_origin = "callback" in request.values or "treat-as-untrusted" in request.headers
        if origin is not None:
            refused = apply_cors(request, origin, headers, self.wiki.settings.site.cross_site_ajax_domains)
            if refused is not None:
                return ApiResponse(*refused)
            lacks_same_origin = lacks_same_origin or origin == "*"
        if request.method == "OPTIONS":
            return ApiResponse(200, b"", headers)

        store_error: Exception | None = None
        if lacks_same_origin:
            session = Session()
            actor = self.wiki.users.anonymous(request.client_ip)
            headers.append(("MediaWiki-Login-Suppressed", "true"))
        else:
            try:
                session = self.wiki.sessions.load(cookies)
                actor = self.wiki.users.actor_for_session(session, request.client_ip)
            except Exception as exc:  # the store is away: answered below as an internal error
                session, actor = Session(), self.wiki.users.anonymous(request.client_ip)
                store_error = exc
        ctx = ApiContext(
            self.wiki, self.registry, request, session, actor, lacks_same_origin=lacks_same_origin
        )
        ctx.errorformat = _errorformat(request)
        ctx.commits = commits
        fmt = "jsonfm"
        fmt_values: dict[str, Any] = {"formatversion": "1"}
        main: dict[str, Any] = {}
        request_id = _RequestId()
        for name in request.array_params:
            ctx.warn("main", "unsupportedarray", f'Parameter "{name}" uses unsupported PHP array syntax.')
        for name in request.badutf8_params:
            ctx.warn(
                "main",
                "badutf8",
                f'The value passed for "{name}" contains invalid or non-normalized data. Textual data '
                "should be valid, NFC-normalized Unicode without C0 control characters other than "
                "HT (\\t), LF (\\n), and CR (\\r).",
            )
        if request.post_without_content_type:
            ctx.deprecation(
                "main",
                'A POST request was made without a "Content-Type" header. This does not work reliably.',
            )
        status = 200
        try:
            try:
                requested = request.values.get("format", "jsonfm")
                if requested in FORMATS:
                    fmt = requested
                    fmt_values = {p.name: validate_param(p, "", ctx) for p in FORMAT_PARAMS[fmt]}
                    ctx.formatversion = 2 if fmt_values.get("formatversion") in ("2", "latest") else 1
                if store_error is not None:
                    raise store_error
                if request.body_too_large:
                    raise ApiError(
                        "requesttoolarge",
                        f"The request body is larger than the limit of {settings.site.max_body_bytes} bytes.",
                        http_status=413,
                    )
                for param in self.params:
                    main[param.name] = validate_param(param, "", ctx)
                yield from self._execute(ctx, main)
                data = self._success(ctx, main)
            except RawOutput as raw:
                self._finish_session(ctx, headers, request)
                headers.append(("Content-Type", raw.content_type))
                page = raw.body
                if ctx.warnings and raw.content_type.startswith("text/html"):
                    page = self._warnings_comment(ctx) + page
                payload = b"" if request.method == "HEAD" else page.encode()
                return ApiResponse(200, payload, headers)
        except ApiError as err:
            status = err.http_status
            headers.extend(err.headers.items())
            data = self._error(ctx, err, main)
            headers.append(("MediaWiki-API-Error", ", ".join(m.code for m in err.messages)))
        except Exception as exc:  # never a traceback on the wire
            log.exception("internal error in request %s", request_id)
            name = type(exc).__name__
            internal = ApiError(
                f"internal_api_error_{name}",
                f"[{request_id}] Caught exception of type {name}",
                {"errorclass": name},
            )
            data = self._error(ctx, internal, main)
            headers.append(("MediaWiki-API-Error", internal.code))
        try:
            if store_error is None:
                self._finish_session(ctx, headers, request)
        except Exception:
            log.exception("could not save session for request %s", request_id)
        if status != 200 or "error" in data or "errors" in data:
            # Main-parameter validation may have stopped before these (a bad action=):
            # MediaWiki reads each of them on its own.
            for name in ("requestid", "servedby", "curtimestamp", "responselanginfo"):
                if name not in main:
                    main[name] = request.values.get(name) if name == "requestid" else name in request.values
            self._add_requested_fields(data, main, force_servedby=True)
        try:
            printed = render(
                fmt,
                data,
                formatversion=ctx.formatversion,
                api_url=settings.site.api_url,
                site_name=settings.site.name,
                utf8=bool(fmt_values.get("utf8")),
                ascii=bool(fmt_values.get("ascii")),
                callback=fmt_values.get("callback"),
            )
        except Exception:  # a module put something unprintable in the result
            log.exception("could not print the result of request %s", request_id)
            internal = ApiError(
                "internal_api_error_TypeError",
                f"[{request_id}] Caught exception of type TypeError",
                {"errorclass": "TypeError"},
            )
            data = self._error(ctx, internal, main)
            self._add_requested_fields(data, main, force_servedby=True)
            headers = [h for h in headers if h[0] != "MediaWiki-API-Error"]
            headers.append(("MediaWiki-API-Error", internal.code))
            printed = render(
                fmt,
                data,
                formatversion=ctx.formatversion,
                api_url=settings.site.api_url,
                site_name=settings.site.name,
            )
        headers.extend(ctx.response_headers.items())
        headers += [
            ("Content-Type", printed.content_type),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Content-Disposition", f"inline; filename={printed.filename}"),
            ("Cache-Control", "private, must-revalidate, max-age=0"),
        ]
        body = b"" if request.method == "HEAD" else printed.body
        return ApiResponse(status, body, headers)

    # --- the fixed order ------------------------------------------------------------------

    def _execute(self, ctx: ApiContext, main: dict[str, Any]) -> Generator[asyncio.Future[Any], None, None]:
        request = ctx.request
        self._check_assert(ctx, main)
        module_cls = self.registry.get("action", main["action"])
        if module_cls is None:
            raise ApiError("badvalue", f'Unrecognized value for parameter "action": {main["action"]}.')
        ctx.module_path = module_cls.path()
        params = validate_module_params(ctx, module_cls)
        if module_cls.token:
            if request.in_query(module_cls.prefix + "token"):
                raise _mustpostparams([module_cls.prefix + "token"])
            if not self.check_token(ctx, module_cls.token, params["token"]):
                raise ApiError("badtoken", "Invalid CSRF token.")
        self._check_permissions(ctx, module_cls)
        if request.method not in ("GET", "HEAD", "POST"):
            raise ApiError(
                "invalidmethod", "Invalid HTTP method. Consider using GET or POST.", http_status=405
            )
        if module_cls.posted() and not request.posted:
            raise ApiError(
                "mustbeposted",
                f'The "{module_cls.name}" module requires a POST request.',
                params=[module_cls.name],
            )
        in_query = [
            p.name
            for p in module_cls.all_params()
            if p.must_post and p.name != "token" and request.in_query(module_cls.prefix + p.name)
        ]
        if in_query:
            raise _mustpostparams([module_cls.prefix + n for n in in_query])
        if module_cls.rights and not any(ctx.actor.has_right(r) for r in module_cls.rights):
            raise ApiError(*module_cls.rights_error)
        module_cls().execute(ctx, params)
        if ctx.pending is not None:  # the module staged its write: finish after the commit
            future, then = ctx.pending
            ctx.pending = None
            yield future
            then()
        ctx.module_path = "main"
        unused = [n for n in request.unused() if not (n == "_" and "callback" in request.values)]
        if unused:
            plural = "s" if len(unused) > 1 else ""
            ctx.warn("main", "unrecognizedparams", f"Unrecognized parameter{plural}: {', '.join(unused)}.")

    def check_token(self, ctx: ApiContext, token_type: str, value: str) -> bool:
        return self.wiki.tokens.check(ctx.session, ctx.actor, token_type, value)

    def _check_assert(self, ctx: ApiContext, main: dict[str, Any]) -> None:
        actor = ctx.actor
        check = main.get("assert")
        if check == "user" and actor.is_anon:
            raise ApiError(
                "assertuserfailed", "You are no longer logged in, so the action could not be completed."
            )
        if check == "bot" and not actor.has_right("bot"):
            raise ApiError(
                "assertbotfailed", 'You do not have the "bot" right, so the action could not be completed.'
            )
        if check == "anon" and not actor.is_anon:
            raise ApiError(
                "assertanonfailed", "You are no longer logged out, so the action could not be completed."
            )
        wanted = main.get("assertuser")
        if wanted is not None:
            normal = (
                self.wiki.users.normalize_name(wanted)
                if hasattr(self.wiki.users, "normalize_name")
                else wanted
            )
            if normal != actor.name:
                raise ApiError(
                    "assertnameduserfailed",
                    f'You are no longer logged in as "{normal or wanted}", so the action could not '
                    "be completed.",
                )

    def _check_permissions(self, ctx: ApiContext, module_cls: type[ApiModule]) -> None:
        actor = ctx.actor
        if module_cls.read and not actor.has_right("read"):
            raise ApiError("readapidenied", "You need read permission to use this module.")
        if module_cls.write:
            if not actor.has_right("writeapi"):
                raise ApiError("writeapidenied", "You're not allowed to edit this wiki through the API.")
            if "promise-non-write-api-action" in ctx.request.headers:
                raise ApiError(
                    "promised-nonwrite-api",
                    'The "Promise-Non-Write-API-Action" HTTP header cannot be sent to write-mode API '
                    "modules.",
                )
            reason = self.wiki.settings.site.read_only
            if reason:
                raise ApiError(
                    "readonly", "The wiki is currently in read-only mode.", {"readonlyreason": reason}
                )

    # --- output ---------------------------------------------------------------------------

    def _warnings(self, ctx: ApiContext, formatversion: int | None = None) -> Any:
        if ctx.errorformat == "bc" or formatversion is not None:
            grouped: dict[str, list[str]] = {}
            for w in ctx.warnings:
                # bc groups by module name ("tokens"), modern formats give the path.
                lines = grouped.setdefault((w.module or "main").rsplit("+", 1)[-1], [])
                if w.text not in lines:
                    lines.append(w.text)
            return {m: content("warnings", "\n".join(lines)) for m, lines in grouped.items()}
        return ResultList([_message(w, ctx.errorformat) for w in ctx.warnings], "warning")

    def _success(self, ctx: ApiContext, main: dict[str, Any]) -> dict[str, Any]:
        """The result in MediaWiki's key order.

        "warnings", "continue" and "batchcomplete" are added ADD_ON_TOP in MediaWiki, so the
        one added last comes first; requestid and friends were added before the module ran.
        """
        on_top = [k for k in ctx.result if k in ("continue", "batchcomplete")]
        if ctx.warnings:
            before = ctx.keys_before_warnings or frozenset()
            on_top = (
                [k for k in on_top if k in before] + ["warnings"] + [k for k in on_top if k not in before]
            )
        data: dict[str, Any] = {}
        for key in reversed(on_top):
            data[key] = self._warnings(ctx) if key == "warnings" else ctx.result.pop(key)
        self._add_requested_fields(data, main, force_servedby=False)
        data.update(ctx.result)
        return data

    def _add_requested_fields(
        self, data: dict[str, Any], main: dict[str, Any], *, force_servedby: bool
    ) -> None:
        """requestid, servedby, curtimestamp, uselang/errorlang (ApiMain::addRequestedFields)."""
        if main.get("requestid") is not None:
            data["requestid"] = main["requestid"]
        if self.wiki.settings.site.show_hostnames and (force_servedby or main.get("servedby")):
            data["servedby"] = self.hostname
        if main.get("curtimestamp"):
            data["curtimestamp"] = iso8601(self.wiki.clock.now())
        if main.get("responselanginfo"):
            data["uselang"] = "en"
            data["errorlang"] = "en"

    def _warnings_comment(self, ctx: ApiContext) -> str:
        """Warnings of a raw HTML answer (the help page), as MediaWiki prints them."""
        tree = to_json_data({"warnings": self._warnings(ctx, formatversion=2)}, 2)
        text = json.dumps(tree, indent=4, ensure_ascii=False)
        text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("--", "-\\u002D")
        return f"<!-- API warnings and errors:\n{text}\n-->\n"

    def _error(self, ctx: ApiContext, err: ApiError, main: dict[str, Any]) -> dict[str, Any]:
        docref = "See " + self.wiki.settings.site.api_url + DOCREF_TAIL
        data: dict[str, Any] = {}
        if ctx.errorformat == "bc":
            first = err.messages[0]
            error: dict[str, Any] = {"code": first.code, "info": " ".join(first.text.split())}
            error.update(first.data)
            error["docref"] = docref
            error["_content"] = "docref"
            data["error"] = error
            if ctx.warnings:
                data["warnings"] = self._warnings(ctx)
        else:
            data["errors"] = ResultList(
                [_message(m, ctx.errorformat, ctx.module_path) for m in err.messages], "error"
            )
            if ctx.warnings:
                data["warnings"] = self._warnings(ctx)
            data["docref"] = docref
            data["_content"] = "docref"
        return data

    # --- sessions ----------------------------------------------------------------

    def _finish_session(self, ctx: ApiContext, headers: list[tuple[str, str]], request: ApiRequest) -> None:
        if ctx.lacks_same_origin:
            return
        for cookie in self.wiki.sessions.save(ctx.session, secure=request.scheme == "https"):
            headers.append(("Set-Cookie", cookie))


def _message(m: ApiMessage, fmt: str, module: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": m.code}
    if fmt in ("plaintext", "wikitext"):
        out["text"] = m.text if fmt == "plaintext" else (m.wikitext or m.text)
        out["_content"] = "text"
    elif fmt == "html":
        out["html"] = m.html or m.text
        out["_content"] = "html"
    elif fmt == "raw":
        out["key"] = m.key or f"apierror-{m.code}"
        out["params"] = ResultList(m.params, "param")
    if m.data:
        out["data"] = dict(m.data)
    out["module"] = m.module or module or "main"
    return out


class _RequestId:
    """The id an internal error is reported and logged under; drawn only if one happens."""

    _value: str | None = None

    def __str__(self) -> str:
        if self._value is None:
            self._value = secrets.token_hex(10)
        return self._value


def _errorformat(request: ApiRequest) -> str:
    value = request.values.get("errorformat", "bc")
    return value if value in ERROR_FORMATS else "bc"


def _mustpostparams(names: list[str]) -> ApiError:
    if len(names) == 1:
        text = (
            "The following parameter was found in the query string, but must be in the POST body: "
            f"{names[0]}."
        )
    else:
        text = (
            "The following parameters were found in the query string, but must be in the POST body: "
            + ", ".join(names)
            + "."
        )
    return ApiError("mustpostparams", text)


__all__ = ["ApiMain", "ApiResponse", "RawOutput", "missingparam"]
