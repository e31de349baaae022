"""An OpenAPI 3.1 description of the Action API, generated from the modules' declarations.

The same class attributes that ``action=paraminfo`` reports and the dispatcher enforces (see
``api.module``, ``api.params``) are turned into an OpenAPI document, served at
``<script_path>/openapi.json``, so that tools other than MediaWiki clients can call and test the
API — and our own property tests generate their requests from it.

The mapping (OpenAPI has one operation per path and method; api.php routes on a parameter):

* **One path per action**, ``/api.php#<action>``. The fragment only makes the key unique; HTTP
  clients never send it. The module is picked by the ``action`` parameter, declared required
  with the single allowed value. Path keys relative to ``servers[0].url`` (the script path).
* **GET** (absent when the module must be posted): every parameter in the query string. **POST**:
  every parameter in the body, ``application/x-www-form-urlencoded`` or ``multipart/form-data``.
  Parameters that must be posted (``token``, ``lgpassword``) are only in the POST body.
* **Main and format parameters** (``format``, ``formatversion``, ``maxlag``, ``errorformat`` …)
  are in every operation; format parameters say which formats read them.
* **Query submodules** (``list=``, ``meta=``, ``prop=``) are parameters of ``/api.php#query``:
  each submodule parameter under its prefixed name (``usprop``), with ``x-mediawiki-module``
  naming the submodule that reads it (``query+users``). Generator-capable modules also appear
  with the ``g`` prefix (``gcmtitle``), marked ``x-mediawiki-generator``. A required submodule
  parameter is required only when its submodule runs: ``required: false`` with
  ``x-mediawiki-required: true``.
* **Types**: enums and submodule names as ``enum``; ``integer`` as ``int64`` (PHP's integers)
  with ``minimum``/``maximum`` (values outside are clamped with a warning, not refused;
  ``x-mediawiki-highmax`` is the limit for ``apihighlimits``); ``limit`` as an integer or
  ``"max"``; ``boolean`` as a string whose presence means true (``ccme=false`` is true, omit it
  for false); other MediaWiki types (``user``, ``title``, ``timestamp`` …) as strings with
  ``x-mediawiki-type``.
* **Multi-value** parameters are arrays in ``pipeDelimited`` style (``a|b``); a value starting
  with U+001F is split on U+001F instead (``x-mediawiki-multi-separators``). ``maxItems`` is the
  normal limit, ``x-mediawiki-highlimit`` the one for ``apihighlimits``.
* **Tokens and rights**: each operation's ``x-mediawiki-token`` (the type, from
  ``action=query&meta=tokens``), ``x-mediawiki-rights`` and ``x-mediawiki-module`` (classname,
  readrights, writerights, mustbeposted …, as paraminfo reports them); a token parameter's
  ``x-mediawiki-tokentype``; ``x-mediawiki-mustpost`` on a parameter that must be posted.
* **Responses**: HTTP 200 for results and for most errors; the answer is in the ``format``
  asked for (HTML for ``action=help`` without ``wrap``), and the ``MediaWiki-API-Error`` header
  is present exactly when the answer is an error.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wikipost import MEDIAWIKI_VERSION, __version__
from wikipost.api.main import FORMAT_PARAMS, main_params
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.api.registry import FORMATS, Registry
from wikipost.settings import SiteSettings

OPENAPI_VERSION = "3.1.0"
QUERY_GROUPS = ("prop", "list", "meta")
MULTI_SEPARATORS = {"default": "|", "alternative": "\x1f"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
RESPONSE_TYPES = (
    ("application/json", "format=json (and the default jsonfm's data)"),
    ("text/javascript", "format=json with callback= (JSONP)"),
    ("text/xml", "format=xml"),
    ("application/vnd.php.serialized", "format=php"),
    ("text/html", "the *fm formats (the result pretty-printed in HTML), and action=help without wrap"),
    ("text/plain", "format=none (an empty body)"),
)


def _value_schema(param: Param, registry: Registry) -> dict[str, Any]:
    """The JSON Schema of one value of ``param`` (an item, for a multi-value parameter)."""
    kind = param.type
    if isinstance(kind, tuple):
        return {"type": "string", "enum": list(kind)}
    if kind == "submodule":
        names = registry.names(param.submodule_group or "action")
        return {"type": "string", "enum": names, "x-mediawiki-type": "submodule"}
    if kind in ("integer", "limit"):
        number: dict[str, Any] = {"type": "integer", "format": "int64"}  # PHP's int
        if param.min is not None:
            number["minimum"] = param.min
        if param.max is not None:
            number["maximum"] = param.max
        if param.highmax is not None and param.max is not None and param.highmax > param.max:
            number["x-mediawiki-highmax"] = param.highmax
        if kind == "integer":
            return number
        return {"anyOf": [number, {"type": "string", "enum": ["max"]}], "x-mediawiki-type": "limit"}
    schema: dict[str, Any] = {"type": "string"}
    if kind != "string":
        schema["x-mediawiki-type"] = str(kind)
    if kind == "password" or param.sensitive:
        schema["format"] = "password"
    return schema


def param_schema(param: Param, registry: Registry) -> dict[str, Any]:
    """The JSON Schema of the whole parameter value, with its MediaWiki extensions."""
    item = _value_schema(param, registry)
    if not param.multi:
        schema = item
        if param.default is not None and param.type != "boolean":
            schema["default"] = param.default
        return schema
    if param.allow_all and "enum" in item:
        item["enum"] = [*item["enum"], "*"]
    schema = {
        "type": "array",
        "items": item,
        "maxItems": param.multi_limit,
        "x-mediawiki-highlimit": max(param.multi_limit, param.multi_high_limit),
        "x-mediawiki-multi-separators": MULTI_SEPARATORS,
    }
    if param.allow_duplicates:
        schema["x-mediawiki-allowsduplicates"] = True
    if param.allow_all:
        schema["x-mediawiki-allspecifier"] = "*"
    if param.default is not None:
        default = param.default
        if not isinstance(default, list):
            default = [v for v in str(default).split("|") if v]
        schema["default"] = default
    return schema


def _description(param: Param, token_type: str | None, module_label: str | None) -> str:
    parts = [f"({module_label})"] if module_label else []
    if param.help:
        parts.append(param.help)
    if param.name == "token" and token_type:
        parts.append(f'A "{token_type}" token retrieved from action=query&meta=tokens.')
    if param.type == "boolean":
        parts.append("Boolean: present means true, whatever its value; omit it for false.")
    if param.multi:
        parts.append(
            "Separate values with | (or start the value with U+001F and separate with U+001F). "
            f"At most {param.multi_limit} values ({param.multi_high_limit} with apihighlimits)."
        )
    return " ".join(parts)


class _Field:
    """One request parameter as it appears in an operation (query parameter or body property)."""

    def __init__(
        self,
        name: str,
        param: Param,
        registry: Registry,
        *,
        token_type: str | None = None,
        module: str | None = None,
        module_label: str | None = None,
        required: bool | None = None,
        generator: bool = False,
    ) -> None:
        self.name = name
        self.param = param
        self.required = param.required if required is None else required
        self.schema = param_schema(param, registry)
        self.description = _description(param, token_type, module_label)
        self.ext: dict[str, Any] = {}
        if module is not None:
            self.ext["x-mediawiki-module"] = module
        if generator:
            self.ext["x-mediawiki-generator"] = True
        if param.required and not self.required:
            self.ext["x-mediawiki-required"] = True
        if param.sensitive:
            self.ext["x-mediawiki-sensitive"] = True
        if param.must_post:
            self.ext["x-mediawiki-mustpost"] = True
        if param.tokentype or (param.name == "token" and token_type):
            self.ext["x-mediawiki-tokentype"] = param.tokentype or token_type
        if param.extra_info:
            self.ext["x-mediawiki-paraminfo"] = json.loads(json.dumps(param.extra_info, default=list))

    def query_parameter(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "in": "query", "required": self.required}
        if self.description:
            out["description"] = self.description
        if self.param.deprecated:
            out["deprecated"] = True
        if self.param.type == "boolean":
            out["allowEmptyValue"] = True
        if self.param.multi:
            out["style"] = "pipeDelimited"
            out["explode"] = False
        out["schema"] = self.schema
        out.update(self.ext)
        return out

    def body_property(self) -> dict[str, Any]:
        out = dict(self.schema)
        if self.description:
            out["description"] = self.description
        if self.param.deprecated:
            out["deprecated"] = True
        out.update(self.ext)
        return out


def _component_key(module: str, name: str) -> str:
    return f"{module}.{name}"


def _shared_fields(registry: Registry) -> list[tuple[str, _Field]]:
    """ApiMain's and the format modules' parameters: (component key, field), main first."""
    fields = [
        (_component_key("main", p.name), _Field(p.name, p, registry, module="main"))
        for p in main_params(registry)
        if p.name != "action"
    ]
    readers: dict[str, list[str]] = {}
    first: dict[str, Param] = {}
    for fmt in FORMATS:
        for p in FORMAT_PARAMS[fmt]:
            readers.setdefault(p.name, []).append(fmt)
            first.setdefault(p.name, p)
    for name, param in first.items():
        label = "format=" + "|".join(readers[name])
        field = _Field(name, param, registry, module="format", module_label=label)
        field.ext["x-mediawiki-formats"] = readers[name]
        fields.append((_component_key("format", name), field))
    return fields


def _module_fields(module: type[ApiModule], registry: Registry) -> list[_Field]:
    """The action's own parameters, and for action=query every submodule's (prefixed)."""
    fields = [
        _Field(module.prefix + p.name, p, registry, token_type=module.token, module=module.path())
        for p in module.all_params()
    ]
    if module.name != "query":
        return fields
    taken = {f.name for f in fields}
    for group in QUERY_GROUPS:
        for sub in registry.modules(group):
            for as_generator in (False, True) if sub.generator else (False,):
                prefix = ("g" if as_generator else "") + sub.prefix
                label = f"{'generator' if as_generator else group}={sub.name}"
                for p in sub.all_params():
                    name = prefix + p.name
                    if name in taken:  # two submodules read one name: the first declaration wins
                        continue
                    taken.add(name)
                    fields.append(
                        _Field(
                            name,
                            p,
                            registry,
                            token_type=sub.token,
                            module=sub.path(),
                            module_label=label,
                            required=False,
                            generator=as_generator,
                        )
                    )
    return fields


def _action_field(module: type[ApiModule]) -> dict[str, Any]:
    return {"type": "string", "enum": [module.name], "description": "The module to run."}


def _operation(
    module: type[ApiModule], method: str, fields: list[_Field], shared: list[tuple[str, _Field]]
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{module.name}-{method}",
        "summary": module.description or module.name,
        "tags": [module.source],
    }
    if module.deprecated:
        op["deprecated"] = True
    if module.helpurls:
        op["externalDocs"] = {"url": module.helpurls[0]}
    if method == "get":
        params: list[dict[str, Any]] = [
            {"name": "action", "in": "query", "required": True, "schema": _action_field(module)}
        ]
        params += [{"$ref": f"#/components/parameters/{key}"} for key, _ in shared]
        params += [f.query_parameter() for f in fields if not f.param.must_post]
        op["parameters"] = params
    else:
        everything = [f for _, f in shared] + fields
        encoding = {f.name: {"style": "pipeDelimited", "explode": False} for f in everything if f.param.multi}
        body = {"$ref": f"#/components/schemas/{module.name}.body"}
        op["requestBody"] = {
            "required": True,
            "content": {
                ctype: {"schema": body, **({"encoding": encoding} if encoding else {})}
                for ctype in FORM_TYPES
            },
        }
    op["responses"] = {
        "200": {"$ref": "#/components/responses/ApiAnswer"},
        "403": {"$ref": "#/components/responses/CorsRefused"},
        "413": {"$ref": "#/components/responses/ApiAnswer"},
    }
    op["x-mediawiki-module"] = {
        "classname": module.classname or module.__name__,
        "path": module.path(),
        "source": module.source,
        "readrights": module.read,
        "writerights": module.write,
        "mustbeposted": module.posted(),
        "internal": module.internal,
    }
    if module.token:
        op["x-mediawiki-token"] = module.token
    if module.rights:
        op["x-mediawiki-rights"] = list(module.rights)
    if module.examples:
        op["x-mediawiki-examples"] = [{"query": q, "description": d} for q, d in module.examples]
    return op


def _body_schema(
    module: type[ApiModule], fields: list[_Field], shared: list[tuple[str, _Field]]
) -> dict[str, Any]:
    """The POST body of one action: the shared parameters by reference, its own inline."""
    properties: dict[str, Any] = {"action": _action_field(module)}
    properties |= {f.name: {"$ref": f"#/components/schemas/{key}"} for key, f in shared}
    properties |= {f.name: f.body_property() for f in fields}
    required = ["action"] + [f.name for _, f in shared if f.required] + [f.name for f in fields if f.required]
    return {"type": "object", "properties": properties, "required": required}


def _components(
    shared: list[tuple[str, _Field]], bodies: dict[str, dict[str, Any]], site: SiteSettings
) -> dict[str, Any]:
    error_header = {
        "description": "Present exactly when the answer is an error: the error code(s), comma-separated.",
        "schema": {"type": "string"},
    }
    content = {
        ctype: {"schema": {"type": "string"}, "x-mediawiki-when": when} for ctype, when in RESPONSE_TYPES
    }
    content["application/json"] = {"schema": {"$ref": "#/components/schemas/ApiResult"}}
    any_value: dict[str, Any] = {}
    return {
        "parameters": {key: field.query_parameter() for key, field in shared},
        "headers": {"MediaWiki-API-Error": error_header},
        "responses": {
            "ApiAnswer": {
                "description": "The result or the error, in the format asked for. Errors are HTTP "
                "200 except an unknown method (405), a body over the size limit (413).",
                "headers": {"MediaWiki-API-Error": {"$ref": "#/components/headers/MediaWiki-API-Error"}},
                "content": content,
            },
            "CorsRefused": {
                "description": "origin= does not match the Origin header (not an API envelope).",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
        },
        "schemas": {
            **{key: field.body_property() for key, field in shared},
            **bodies,
            "ApiResult": {
                "type": "object",
                "description": "Top-level keys; the module's own result is under its name.",
                "properties": {
                    "error": {"$ref": "#/components/schemas/Error"},
                    "errors": {"type": "array", "items": {"type": "object"}},
                    "warnings": any_value,
                    "docref": {"type": "string"},
                    "batchcomplete": any_value,
                    "continue": {"type": "object"},
                    "requestid": any_value,
                    "servedby": {"type": "string"},
                    "curtimestamp": {"type": "string"},
                },
                "additionalProperties": True,
            },
            "Error": {
                "type": "object",
                "description": "errorformat=bc (the default); other errorformats give errors[].",
                "properties": {"code": {"type": "string"}, "info": {"type": "string"}},
                "required": ["code"],
                "additionalProperties": True,
            },
        },
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": f"{site.wiki_id}_session"},
            "botPasswordSession": {"type": "apiKey", "in": "cookie", "name": f"{site.wiki_id}_BPsession"},
        },
    }


def build_openapi(registry: Registry, site: SiteSettings) -> dict[str, Any]:
    """The whole document for this registry and site (deterministic: same input, same bytes)."""
    shared = _shared_fields(registry)
    paths: dict[str, Any] = {}
    bodies: dict[str, dict[str, Any]] = {}
    for module in registry.modules("action"):
        fields = _module_fields(module, registry)
        bodies[f"{module.name}.body"] = _body_schema(module, fields, shared)
        item: dict[str, Any] = {"summary": module.description or module.name}
        if not module.posted():
            item["get"] = _operation(module, "get", fields, shared)
        item["post"] = _operation(module, "post", fields, shared)
        paths[f"/api.php#{module.name}"] = item
    sources = sorted({m.source for m in registry.modules("action")})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{site.name} Action API",
            "version": __version__,
            "summary": f"MediaWiki {MEDIAWIKI_VERSION}'s Action API as {site.name} serves it.",
            "description": (__doc__ or "").split("\n\n", 1)[1].strip(),
            "license": {"name": "GPL-2.0-or-later", "identifier": "GPL-2.0-or-later"},
        },
        "servers": [{"url": f"{site.server}{site.script_path}"}],
        "externalDocs": {"description": "action=help", "url": f"{site.api_url}?action=help"},
        "tags": [{"name": s} for s in sources],
        "security": [{}, {"session": []}, {"botPasswordSession": []}],
        "paths": paths,
        "components": _components(shared, bodies, site),
    }


def openapi_route(registry: Registry, site: SiteSettings) -> Route:
    """``<script_path>/openapi.json``: the document, built on the first request and kept."""
    built: list[bytes] = []

    async def endpoint(request: Request) -> Response:
        if not built:
            built.append(json.dumps(build_openapi(registry, site), ensure_ascii=False).encode())
        return Response(
            built[0],
            media_type="application/json",
            headers={
                "Access-Control-Allow-Origin": "*",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "public, max-age=300",
            },
        )

    return Route(f"{site.script_path}/openapi.json", endpoint, methods=["GET", "HEAD"])
