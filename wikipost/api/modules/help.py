"""action=help: an HTML help page generated from the module declarations (ApiHelp).

Without ``wrap`` the page is the whole answer, whatever ``format`` says (MediaWiki's raw
printer); with ``wrap`` it is ``{"help": {"mime", "filename", "help"}}`` in the chosen format.
"""

from __future__ import annotations

from html import escape
from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.modules.paraminfo import ModuleDoc, UnknownModule, resolve, submodule_paths
from wikipost.api.params import Param

FLAG_TEXTS = (
    ("deprecated", "This module is deprecated."),
    ("internal", "This module is internal or unstable."),
    ("read", "This module requires read rights."),
    ("write", "This module requires write rights."),
    ("posted", "This module only accepts POST requests."),
)


def _type_text(param: Param, ctx: ApiContext) -> str:
    kind = param.type
    if isinstance(kind, tuple) or kind == "submodule":
        values = (
            list(kind) if isinstance(kind, tuple) else ctx.registry.names(param.submodule_group or "action")
        )
        head = "Values (separate with | or alternative)" if param.multi else "One of the following values"
        return f"{head}: " + ", ".join(f"<kbd>{escape(v)}</kbd>" for v in values)
    names = {
        "boolean": "Type: boolean (details: presence means true)",
        "integer": "Type: integer",
        "limit": "Type: integer or <kbd>max</kbd>",
        "user": "Type: user name",
        "title": "Type: page title",
        "timestamp": "Type: timestamp",
        "expiry": "Type: expiry",
        "namespace": "Type: namespace ID",
        "password": "Type: password",
        "text": "Type: text",
        "string": "",
    }
    text = names.get(str(kind), f"Type: {escape(str(kind))}")
    if param.multi:
        text = (text + ". " if text else "") + (
            "Separate values with | or alternative. Maximum number of values is "
            f"{param.multi_limit} ({param.multi_high_limit} for clients that are allowed higher "
            "limits)."
        )
    if kind in ("integer", "limit") and (param.min is not None or param.max is not None):
        low = "−∞" if param.min is None else str(param.min)
        high = "∞" if param.max is None else str(param.max)
        text += f". The value must be between {low} and {high}"
        if param.highmax is not None and param.max is not None and param.highmax > param.max:
            text += f" ({param.highmax} for bots)"
    return text


def _module_html(doc: ModuleDoc, ctx: ApiContext) -> str:
    api = ctx.wiki.settings.site.api_url
    group = doc.group or "main"
    label = doc.path if group in ("action", "main", "format") else f"{doc.path} ({group}={doc.name})"
    parts = [f'<div class="apihelp-module" id="{escape(doc.path)}">', f"<h2>{escape(label)}</h2>"]
    flags = {
        "deprecated": doc.deprecated,
        "internal": doc.internal,
        "read": doc.read,
        "write": doc.write,
        "posted": doc.posted,
    }
    notes = [text for key, text in FLAG_TEXTS if flags[key]]
    notes.append(f"Source: {escape(doc.source)}. License: GPL-2.0-or-later.")
    parts.append('<ul class="apihelp-flags">' + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
    if doc.description:
        parts.append(f"<p>{escape(doc.description)}</p>")
    for url in doc.helpurls:
        parts.append(f'<p><a href="{escape(url)}">{escape(url)}</a></p>')
    if doc.params:
        parts.append("<h3>Parameters</h3><dl>")
        for param in doc.params:
            name = doc.prefix + param.name
            parts.append(f"<dt>{escape(name)}</dt>")
            if param.help:
                parts.append(f"<dd>{escape(param.help)}</dd>")
            if param.name == "token" and doc.token:
                parts.append(
                    f"<dd>A &quot;{escape(doc.token)}&quot; token retrieved from "
                    "action=query&amp;meta=tokens</dd>"
                )
            if param.required:
                parts.append("<dd>This parameter is required.</dd>")
            if param.deprecated:
                parts.append("<dd>This parameter is deprecated.</dd>")
            if param.must_post:
                parts.append("<dd>Must be sent in the POST body.</dd>")
            type_text = _type_text(param, ctx)
            if type_text:
                parts.append(f"<dd>{type_text}</dd>")
            if param.default is not None and param.type != "boolean":
                default = param.default if param.default != "" else "(empty)"
                parts.append(f"<dd>Default: {escape(str(default))}</dd>")
        parts.append("</dl>")
    if doc.examples:
        parts.append("<h3>Examples</h3><dl>")
        for query, text in doc.examples:
            parts.append(
                f"<dt>{escape(text)}</dt>"
                f'<dd><a href="{escape(api)}?{escape(query)}">api.php?{escape(query)}</a></dd>'
            )
        parts.append("</dl>")
    parts.append("</div>")
    return "\n".join(parts)


def help_page(ctx: ApiContext, docs: list[ModuleDoc]) -> str:
    site = ctx.wiki.settings.site
    title = f"MediaWiki API help - {escape(site.name)}"
    body = "\n".join(_module_html(d, ctx) for d in docs)
    return (
        '<!DOCTYPE html>\n<html class="client-nojs" lang="en" dir="ltr">\n<head>\n'
        f'<meta charset="UTF-8"/>\n<title>{title}</title>\n'
        '<meta name="robots" content="noindex,nofollow"/>\n</head>\n'
        '<body class="mediawiki ltr sitedir-ltr ns--1 ns-special page-Special_ApiHelp">\n'
        f'<h1 id="firstHeading">MediaWiki API help</h1>\n'
        f"<p>This is an automatically generated documentation page of the API of {escape(site.name)} "
        f'at <a href="{escape(site.api_url)}">{escape(site.api_url)}</a>.</p>\n'
        f"{body}\n</body>\n</html>\n"
    )


class Help(ApiModule):
    name = "help"
    classname = "ApiHelp"
    read = False
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Main_page",)
    description = "Display help for the specified modules."
    params = (
        Param(
            "modules",
            multi=True,
            default="main",
            help="Modules to display help for (values of the action and format parameters, "
            "or main). Can specify submodules with a +.",
        ),
        Param("submodules", "boolean", help="Include help for submodules of the named module."),
        Param("recursivesubmodules", "boolean", help="Include help for submodules recursively."),
        Param("wrap", "boolean", help="Wrap the output in a standard API response structure."),
        Param("toc", "boolean", help="Include a table of contents in the HTML output."),
    )
    examples = (
        ("action=help", "Help for the main module."),
        ("action=help&modules=query&submodules=1", "Help for action=query and all its submodules."),
        ("action=help&recursivesubmodules=1", "All help in one page."),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        from wikipost.api.main import RawOutput

        registry = ctx.registry
        docs: list[ModuleDoc] = []
        for path in params["modules"] or ["main"]:
            try:
                doc = resolve(registry, path)
            except UnknownModule as err:
                raise ApiError("badmodule", err.text) from None
            docs.append(doc)
            recursive = bool(params["recursivesubmodules"])
            if recursive or params["submodules"]:
                try:
                    paths = submodule_paths(registry, doc.path, recursive)
                except UnknownModule:
                    paths = []
                docs += [resolve(registry, p) for p in paths]
        page = help_page(ctx, docs)
        if params["wrap"]:
            ctx.result["help"] = {
                "mime": "text/html",
                "filename": "api-help.html",
                "help": page,
                "_subelements": ["help"],
            }
            return
        raise RawOutput(page, "text/html; charset=utf-8")
