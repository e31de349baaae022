"""Parameter declarations and their validation, as ApiBase/ParamValidator do it in 1.39."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wikipost.api.errors import ApiError, badvalue, missingparam
from wikipost.api.result import ResultList

if TYPE_CHECKING:
    from wikipost.api.context import ApiContext
    from wikipost.api.module import ApiModule
    from wikipost.api.registry import Registry

# Type names as action=paraminfo reports them; a tuple of strings is an enum.
ParamType = str | tuple[str, ...]

MULTI_LIMIT = 50
MULTI_HIGH_LIMIT = 500


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType = "string"
    required: bool = False
    multi: bool = False
    default: Any = None
    min: int | None = None
    max: int | None = None
    highmax: int | None = None
    allow_all: bool = False  # multi enum accepts "*"
    allow_duplicates: bool = False
    multi_limit: int = MULTI_LIMIT
    multi_high_limit: int = MULTI_HIGH_LIMIT
    sensitive: bool = False
    must_post: bool = False  # rejected when found in the query string (mustpostparams)
    deprecated: bool = False
    tokentype: str | None = None
    submodule_group: str | None = None  # type "submodule": the group whose names are allowed
    help: str = ""
    extra_info: dict[str, Any] = field(default_factory=dict)  # more paraminfo keys

    @property
    def is_enum(self) -> bool:
        return isinstance(self.type, tuple)


def split_multi(value: str) -> list[str]:
    if value == "" or value == "\x1f":
        return []
    if value.startswith("\x1f"):
        return value[1:].split("\x1f")
    return value.split("|")


_INTEGER = re.compile(r"[+-]?[0-9]+")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _integer(param: Param, full: str, raw: str, ctx: ApiContext) -> int:
    text = raw.strip()
    if param.type == "limit" and text == "max":
        high = ctx.actor.has_right("apihighlimits") and param.highmax is not None
        top = int((param.highmax if high else param.max) or 0)
        # ApiBase: a limit given as "max" is reported as "limits": {module: value} (written when
        # the module runs, see query.py); a module that lowers it (prop=revisions with content)
        # overwrites the entry.
        ctx.parsed_limits[ctx.module_path.rsplit("+", 1)[-1]] = top
        return top
    # IntegerDef: an optional sign and ASCII digits, within PHP's 64-bit integers.
    value = int(raw) if _INTEGER.fullmatch(raw) else None
    if value is None or not INT64_MIN <= value <= INT64_MAX:
        raise ApiError(
            "badinteger", f'Invalid value "{raw}" for integer parameter "{full}".', params=[full, raw]
        )
    if param.min is not None and value < param.min:
        ctx.warn(
            "main",
            "integeroutofrange",
            f'The value "{value}" for parameter "{full}" must be no less than {param.min}.',
        )
        value = param.min
    limit = param.max
    if param.highmax is not None and ctx.actor.has_right("apihighlimits"):
        limit = param.highmax
    if limit is not None and value > limit:
        ctx.warn(
            ctx.module_path,
            "integeroutofrange",
            f'The value "{value}" for parameter "{full}" must be no greater than {limit}.',
        )
        value = limit
    return value


def namespace_ids(ctx: ApiContext) -> tuple[str, ...]:
    """NamespaceDef's values: the ids of the namespaces pages can be in (not Special, Media)."""
    return tuple(str(ns.id) for ns in ctx.wiki.namespaces.all() if ns.id >= 0)


def _single(param: Param, full: str, raw: str, ctx: ApiContext) -> Any:
    kind = param.type
    if kind == "namespace":
        kind = namespace_ids(ctx)
    if isinstance(kind, tuple):
        if raw not in kind:
            raise badvalue(full, raw)
        return raw
    if kind in ("integer", "limit"):
        return _integer(param, full, raw, ctx)
    if kind == "submodule":
        names = ctx.registry.names(param.submodule_group or "action")
        if raw not in names:
            raise badvalue(full, raw)
        return raw
    return raw


def validate_param(param: Param, prefix: str, ctx: ApiContext) -> Any:
    """Read and validate one parameter; raises the first error MediaWiki would."""
    full = prefix + param.name
    request = ctx.request
    if param.type == "boolean":
        present = request.has(full)
        if present and param.deprecated:
            ctx.deprecation(ctx.module_path, f'The parameter "{full}" has been deprecated.')
        return present
    raw = request.get(full)
    if raw is not None and param.deprecated:
        ctx.deprecation(ctx.module_path, f'The parameter "{full}" has been deprecated.')
    if raw is None:
        if param.required:
            raise missingparam(full)
        if param.multi and param.default is not None and not isinstance(param.default, list):
            return split_multi(str(param.default))
        return param.default
    if param.required and raw == "" and not param.multi:
        raise missingparam(full)
    if not param.multi:
        if raw.startswith("\x1f"):
            raise ApiError(
                "badvalue",
                f'Parameter "{full}" accepts only a single value. U+001F multi-value separation '
                "may only be used for multi-valued parameters.",
            )
        return _single(param, full, raw, ctx)
    values = split_multi(raw)
    if not param.allow_duplicates:
        values = list(dict.fromkeys(values))
    high = ctx.actor.has_right("apihighlimits")
    limit = param.multi_high_limit if high else param.multi_limit
    if len(values) > limit:
        raise ApiError(
            "toomanyvalues",
            f'Too many values supplied for parameter "{full}". The limit is {limit}.',
            {"limit": limit, "lowlimit": param.multi_limit, "highlimit": param.multi_high_limit},
        )
    enum: tuple[str, ...] | None = None
    if isinstance(param.type, tuple):
        enum = param.type
    elif param.type == "submodule":
        enum = tuple(ctx.registry.names(param.submodule_group or "action"))
    elif param.type == "namespace":
        enum = namespace_ids(ctx)
    if enum is not None:
        if param.allow_all and "*" in values:
            return list(enum)
        bad = [v for v in values if v not in enum]
        if bad:
            if len(bad) == 1:
                text = f'Unrecognized value for parameter "{full}": {bad[0]}'
            else:
                text = f'Unrecognized values for parameter "{full}": {", ".join(bad)}'
            ctx.warn(ctx.module_path, "unrecognizedvalues", text)
            values = [v for v in values if v in enum]
        return values
    if param.type in ("integer", "limit"):
        return [_single(param, full, v, ctx) for v in values]
    return values


def validate_module_params(ctx: ApiContext, module_cls: type[ApiModule]) -> dict[str, Any]:
    """Validate a module's parameters in declaration order (main modules and query submodules)."""
    saved = ctx.module_path
    ctx.module_path = module_cls.path()
    try:
        return {p.name: validate_param(p, module_cls.prefix, ctx) for p in module_cls.all_params()}
    finally:
        ctx.module_path = saved


def param_info(
    param: Param,
    index: int,
    *,
    registry: Registry,
    submodule_prefix: str,
    high_limits: bool,
    token_type: str | None = None,
) -> dict[str, Any]:
    """One parameter as ``action=paraminfo`` describes it (ParamValidator::getParamInfo order).

    ``submodule_prefix`` is what submodule paths start with ("" under main, "query+" under
    query); ``high_limits`` says whether the requesting user has ``apihighlimits``.
    """
    item: dict[str, Any] = {"index": index, "name": param.name}
    kind = param.type
    item["type"] = list(kind) if isinstance(kind, tuple) else kind
    item["required"] = param.required
    if param.deprecated:
        item["deprecated"] = True
    if param.sensitive:
        item["sensitive"] = True
    if param.default is not None and kind != "boolean":
        item["default"] = param.default
    item["multi"] = param.multi
    if param.multi:
        item["lowlimit"] = param.multi_limit
        item["highlimit"] = max(param.multi_limit, param.multi_high_limit)
        item["limit"] = item["highlimit"] if high_limits else item["lowlimit"]
        if param.allow_duplicates:
            item["allowsduplicates"] = True
        if param.allow_all:
            item["allspecifier"] = "*"
    if kind == "submodule":
        group = param.submodule_group or "action"
        names = registry.names(group)
        item["type"] = names
        if group == "query":
            pass  # paraminfo's querymodules: a plain list of names
        elif group == "generator":
            item["submodules"] = {n: f"query+{n}" for n in names}
            item["submoduleparamprefix"] = "g"
        else:
            item["submodules"] = {n: submodule_prefix + n for n in names}
    elif kind in ("integer", "limit"):
        if param.min is not None:
            item["min"] = param.min
        if param.max is not None:
            item["max"] = param.max
            if param.highmax is not None and param.highmax > param.max:
                item["highmax"] = param.highmax
    item.update(param.extra_info)
    if param.name == "token" and token_type:
        item["tokentype"] = token_type
    if isinstance(item["type"], list):
        item["type"] = ResultList(item["type"], "t")
    return item


Validator = Callable[[Param, str, "ApiContext"], Any]
