"""action=paraminfo: module descriptions generated from the declarations (ApiParamInfo).

Every module is described from the same class attributes the dispatcher enforces, so what a
client reads here is what the server does. ``main`` (ApiMain's own parameters) and the format
modules are described through :class:`ModuleDoc`, a read-only view shared with action=help.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import ApiModule
from wikipost.api.params import Param, param_info
from wikipost.api.registry import FORMATS, Registry
from wikipost.api.result import ResultList

LICENSE = "GPL-2.0-or-later"
MAIN_HELPURLS = (
    "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Main_page",
    "https://www.mediawiki.org/wiki/Special:MyLanguage/API:FAQ",
    "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Quick_start_guide",
)
FORMAT_CLASSES = {
    "json": "ApiFormatJson",
    "jsonfm": "ApiFormatJson",
    "none": "ApiFormatNone",
    "php": "ApiFormatPhp",
    "phpfm": "ApiFormatPhp",
    "rawfm": "ApiFormatJson",
    "xml": "ApiFormatXml",
    "xmlfm": "ApiFormatXml",
}
PAGESET_PARAMS = ("titles", "pageids", "revids", "generator", "redirects", "converttitles")


@dataclass(frozen=True)
class ModuleDoc:
    """What paraminfo and help say about one module path."""

    name: str
    classname: str
    path: str
    group: str | None  # None for main
    prefix: str
    source: str
    description: str
    read: bool
    write: bool
    posted: bool
    deprecated: bool
    internal: bool
    helpurls: tuple[str, ...]
    examples: tuple[tuple[str, str], ...]
    params: tuple[Param, ...]
    token: str | None

    @classmethod
    def of(cls, module: type[ApiModule]) -> ModuleDoc:
        return cls(
            name=module.name,
            classname=module.classname or module.__name__,
            path=module.path(),
            group=module.group,
            prefix=module.prefix,
            source=module.source,
            description=module.description,
            read=module.read,
            write=module.write,
            posted=module.posted(),
            deprecated=module.deprecated,
            internal=module.internal,
            helpurls=module.helpurls,
            examples=module.examples,
            params=module.all_params(),
            token=module.token,
        )

    @property
    def submodule_prefix(self) -> str:
        return "" if self.path == "main" else f"{self.path}+"


def main_doc(registry: Registry) -> ModuleDoc:
    from wikipost.api.main import main_params

    return ModuleDoc(
        name="main",
        classname="ApiMain",
        path="main",
        group=None,
        prefix="",
        source="MediaWiki",
        description="Main module of the Action API: the action= and format= parameters pick the "
        "module that runs and the printer of the result.",
        read=True,
        write=False,
        posted=False,
        deprecated=False,
        internal=False,
        helpurls=MAIN_HELPURLS,
        examples=(
            ("action=help", "Help for the main module."),
            ("action=help&recursivesubmodules=1", "All help in one page."),
        ),
        params=main_params(registry),
        token=None,
    )


def format_doc(name: str) -> ModuleDoc:
    from wikipost.api.main import FORMAT_PARAMS

    base = name[:-2] if name.endswith("fm") else name
    return ModuleDoc(
        name=name,
        classname=FORMAT_CLASSES[name],
        path=name,
        group="format",
        prefix="",
        source="MediaWiki",
        description=(
            f"Output data in {base.upper()} format"
            + (" (pretty-print in HTML)." if name.endswith("fm") else ".")
        ),
        read=True,
        write=False,
        posted=False,
        deprecated=False,
        internal=False,
        helpurls=(),
        examples=(
            (
                f"action=query&meta=siteinfo&siprop=namespaces&format={name}",
                "Return the namespace list formatted.",
            ),
        ),
        params=FORMAT_PARAMS[name],
        token=None,
    )


class UnknownModule(Exception):  # noqa: N818 - becomes a "badmodule" warning
    def __init__(self, text: str) -> None:
        self.text = text


def resolve(registry: Registry, path: str) -> ModuleDoc:
    """The module at ``path`` ("main", "emailuser", "query+tokens", "json"), or UnknownModule."""
    if path == "main":
        return main_doc(registry)
    parent, _, child = path.rpartition("+")
    if not parent:
        module = registry.get("action", path)
        if module is not None:
            return ModuleDoc.of(module)
        if path in FORMATS:
            return format_doc(path)
        raise UnknownModule(f'The module "main" does not have a submodule "{path}".')
    if parent == "main":
        return resolve(registry, child)
    if parent == "query":
        module = registry.by_path(path)
        if module is None:
            raise UnknownModule(f'The module "query" does not have a submodule "{child}".')
        return ModuleDoc.of(module)
    resolve(registry, parent)  # raises when the parent itself does not exist
    raise UnknownModule(f'The module "{parent}" has no submodules.')


def submodule_paths(registry: Registry, path: str, recursive: bool) -> list[str]:
    """``path+*`` / ``path+**``: every submodule path, sorted by name as MediaWiki does."""
    if path == "main":
        names = sorted(registry.names("action") + list(FORMATS))
        out: list[str] = []
        for name in names:
            out.append(name)
            if recursive and name == "query":
                out += submodule_paths(registry, "query", False)
        return out
    if path == "query":
        return [f"query+{n}" for n in registry.names("query")]
    resolve(registry, path)
    raise UnknownModule(f'The module "{path}" has no submodules.')


def describe(doc: ModuleDoc, ctx: ApiContext, helpformat: str) -> dict[str, Any]:
    """One module as ApiParamInfo::getModuleInfo builds it, key order included."""
    settings = ctx.wiki.settings.site
    out: dict[str, Any] = {"name": doc.name, "classname": doc.classname, "path": doc.path}
    if doc.group is not None:
        out["group"] = doc.group
    out["prefix"] = doc.prefix
    out["source"] = doc.source
    out["sourcename"] = doc.source
    out["licensetag"] = LICENSE
    out["licenselink"] = f"{settings.index_url}/Special:Version/License/{doc.source}"
    if helpformat != "none":
        out["description"] = doc.description
    for flag, on in (
        ("deprecated", doc.deprecated),
        ("internal", doc.internal),
        ("readrights", doc.read),
        ("writerights", doc.write),
        ("mustbeposted", doc.posted),
    ):
        if on:
            out[flag] = True
    out["helpurls"] = ResultList(doc.helpurls, "helpurl")
    if helpformat != "none":
        out["examples"] = ResultList([{"query": q, "description": d} for q, d in doc.examples], "example")
    high = ctx.actor.has_right("apihighlimits")
    parameters = []
    for index, param in enumerate(doc.params, start=1):
        item = param_info(
            param,
            index,
            registry=ctx.registry,
            submodule_prefix=doc.submodule_prefix,
            high_limits=high,
            token_type=doc.token,
        )
        if helpformat != "none" and param.help:
            item = {"index": item.pop("index"), "name": item.pop("name"), "description": param.help, **item}
        parameters.append(item)
    out["parameters"] = ResultList(parameters, "param")
    out["templatedparameters"] = ResultList([], "param")
    return out


class ParamInfo(ApiModule):
    name = "paraminfo"
    classname = "ApiParamInfo"
    read = False
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Parameter_information",)
    description = "Obtain information about API modules."
    params = (
        Param(
            "modules",
            multi=True,
            help="List of module paths (values of action= and format=, or main); query "
            "submodules as query+name; name+* and name+** for all submodules.",
        ),
        Param(
            "helpformat", ("html", "wikitext", "raw", "none"), default="none", help="Format of help strings."
        ),
        Param(
            "querymodules",
            "submodule",
            multi=True,
            deprecated=True,
            submodule_group="query",
            help="List of query module names (value of prop=, meta= or list=).",
        ),
        Param(
            "mainmodule",
            "boolean",
            deprecated=True,
            help="Get information about the main (top-level) module as well.",
        ),
        Param(
            "pagesetmodule",
            "boolean",
            deprecated=True,
            help="Get information about the pageset module (titles= and friends) as well.",
        ),
        Param(
            "formatmodules",
            FORMATS,
            multi=True,
            deprecated=True,
            help="List of format module names (value of format=).",
        ),
    )
    examples = (
        (
            "action=paraminfo&modules=emailuser|massmessage|query%2Btokens",
            "Show info for action=emailuser, action=massmessage and meta=tokens.",
        ),
        ("action=paraminfo&modules=query%2B*", "Show info for all submodules of action=query."),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        registry = ctx.registry
        helpformat = params["helpformat"]
        paths: list[str] = []
        for raw in params["modules"] or []:
            path = f"main+{raw}" if raw in ("*", "**") else raw
            try:
                if path.endswith(("+**", " **")):
                    paths += submodule_paths(registry, path[:-3], True)
                elif path.endswith(("+*", " *")):
                    paths += submodule_paths(registry, path[:-2], False)
                else:
                    paths.append(path)
            except UnknownModule as err:
                ctx.warn(self.name, "badmodule", err.text)
        query_names = list(params["querymodules"] or [])
        paths += [f"query+{n}" for n in query_names]
        format_names = list(params["formatmodules"] or [])
        paths += format_names
        groups: dict[str, list[dict[str, Any]]] = {}
        for path in dict.fromkeys(paths):
            try:
                doc = resolve(registry, path)
            except UnknownModule as err:
                ctx.warn(self.name, "badmodule", err.text)
                continue
            item = describe(doc, ctx, helpformat)
            key = "modules"
            if doc.group in ("list", "meta", "prop") and doc.name in query_names:
                key = "querymodules"
                item["querytype"] = doc.group
            elif doc.group == "format" and doc.name in format_names:
                key = "formatmodules"
            groups.setdefault(key, []).append(item)
        result: dict[str, Any] = {"helpformat": helpformat}
        for key, items in groups.items():
            result[key] = ResultList(items, "module")
        if params["mainmodule"]:
            result["mainmodule"] = describe(main_doc(registry), ctx, helpformat)
        if params["pagesetmodule"]:
            query = resolve(registry, "query")
            pageset = ModuleDoc(
                name="query",
                classname="ApiPageSet",
                path="query",
                group="action",
                prefix="",
                source="MediaWiki",
                description="",
                read=True,
                write=False,
                posted=False,
                deprecated=False,
                internal=False,
                helpurls=(),
                examples=(),
                params=tuple(p for p in query.params if p.name in PAGESET_PARAMS),
                token=None,
            )
            info = describe(pageset, ctx, helpformat)
            for key in ("name", "path", "group"):
                info.pop(key, None)
            result["pagesetmodule"] = info
        ctx.result["paraminfo"] = result
