"""action=query: runs the requested prop=, list= and meta= submodules (ApiQuery)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import ApiModule, QueryModule
from wikipost.api.params import Param, validate_module_params


class PageSetHandler:
    """Resolves titles=/pageids=/revids=/generator= into pages (provided by the pages issue)."""

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError


class Query(ApiModule):
    name = "query"
    classname = "ApiQuery"
    helpurls = (
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Query",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Meta",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Properties",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Lists",
    )
    description = "Fetch data from and about MediaWiki."
    params = (
        Param("prop", "submodule", multi=True, submodule_group="prop"),
        Param("list", "submodule", multi=True, submodule_group="list"),
        Param("meta", "submodule", multi=True, submodule_group="meta"),
        Param("indexpageids", "boolean"),
        Param("export", "boolean"),
        Param("exportnowrap", "boolean"),
        Param("exportschema", ("0.10", "0.11"), default="0.11"),
        Param("iwurl", "boolean"),
        Param("continue", "string"),
        Param("rawcontinue", "boolean"),
        Param("titles", "string", multi=True),
        Param("pageids", "integer", multi=True),
        Param("revids", "integer", multi=True),
        Param("generator", "submodule", submodule_group="generator"),
        Param("redirects", "boolean"),
        Param("converttitles", "boolean"),
    )
    examples = (
        (
            "action=query&prop=revisions&meta=siteinfo&titles=Main%20Page&rvprop=user|comment&continue=",
            "Fetch site info and revisions of Main Page.",
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        registry = ctx.registry
        modules: list[type[ApiModule]] = []
        for group in ("prop", "list", "meta"):
            for name in params[group] or []:
                module = registry.get(group, name)
                if module is not None and module not in modules:
                    modules.append(module)
        validated = [(m, validate_module_params(ctx, m)) for m in modules]
        pageset = getattr(ctx.wiki, "pageset", None)
        wants_pages = any(params[k] for k in ("titles", "pageids", "revids", "generator"))
        if pageset is not None and (wants_pages or params["prop"]):
            pageset.execute(ctx, params)
        generator = params["generator"]
        if generator in ctx.parsed_limits and generator not in {m.name for m in modules}:
            report_limit(ctx, generator)
        for module, module_params in validated:
            # MediaWiki reads a submodule's parameters when it runs: its parsed limit lands after
            # whatever the page set wrote ("query" first for titles=, "limits" first for a list).
            report_limit(ctx, module.name)
            saved = ctx.module_path
            ctx.module_path = module.path()
            try:
                module().execute(ctx, module_params)
            finally:
                ctx.module_path = saved
        # Added last, as ApiQuery does: with ADD_ON_TOP it then precedes continue and any
        # warning the submodules gave (ApiMain._success orders the top-level keys).
        # A prop module that continues (rvcontinue) leaves the batch incomplete.
        if not ctx.batch_incomplete:
            ctx.result["batchcomplete"] = True


def report_limit(ctx: ApiContext, name: str) -> None:
    """``"limits": {name: n}`` for a limit the request gave as "max"."""
    if name in ctx.parsed_limits:
        ctx.result.setdefault("limits", {})[name] = ctx.parsed_limits[name]


def query_result(ctx: ApiContext) -> dict[str, Any]:
    """The ``query`` object submodules write into."""
    query: dict[str, Any] = ctx.result.setdefault("query", {})
    return query


__all__ = ["Query", "QueryModule", "query_result"]
