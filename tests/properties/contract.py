"""The Action API's contract as the fuzzer reads it: from the served OpenAPI document.

The document (``wikipost/api/openapi.py``) is generated from the modules' declarations, the
same ones paraminfo reports; the fuzzer reads it rather than the Python classes, so that what
it tests is the published contract. ``$ref`` are resolved here; the MediaWiki extensions
(``x-mediawiki-*``) say which submodule reads a parameter, its token type and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHARED_MODULES = ("main", "format")


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of one operation."""

    name: str
    schema: dict[str, Any]  # $ref resolved, top level
    required: bool
    module: str  # "main", "format", the action, or a query submodule path ("query+users")
    must_post: bool
    tokentype: str | None
    generator: bool
    mwtype: str | None  # x-mediawiki-type of the (item) value: "boolean", "user" …; None: enum, string

    @property
    def multi(self) -> bool:
        return self.schema.get("type") == "array"

    @property
    def submodule(self) -> str | None:
        """``query+users`` → ``users``; None for the action's own parameters."""
        return self.module.split("+", 1)[1] if "+" in self.module else None


@dataclass(frozen=True)
class OperationSpec:
    """One action: whether GET is allowed, its own fields, and for query its submodules."""

    action: str
    get_allowed: bool
    token: str | None
    fields: tuple[FieldSpec, ...]

    def own_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.submodule is None]

    def submodule_fields(self, submodule: str, generator: bool) -> list[FieldSpec]:
        return [f for f in self.fields if f.submodule == submodule and f.generator == generator]


@dataclass(frozen=True)
class Contract:
    operations: tuple[OperationSpec, ...]
    shared: tuple[FieldSpec, ...]  # main and format parameters
    formats: tuple[str, ...]
    token_types: tuple[str, ...]

    def operation(self, action: str) -> OperationSpec:
        return next(op for op in self.operations if op.action == action)

    def shared_field(self, name: str) -> FieldSpec:
        return next(f for f in self.shared if f.name == name)


def resolve(doc: dict[str, Any], node: Any) -> Any:
    """``node`` with a top-level ``$ref`` (local, ``#/a/b``) followed, repeatedly."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def _field(doc: dict[str, Any], name: str, schema: dict[str, Any], required: bool) -> FieldSpec:
    schema = resolve(doc, schema)
    return FieldSpec(
        name=name,
        schema=schema,
        required=required,
        module=str(schema.get("x-mediawiki-module", "")),
        must_post=bool(schema.get("x-mediawiki-mustpost")),
        tokentype=schema.get("x-mediawiki-tokentype"),
        generator=bool(schema.get("x-mediawiki-generator")),
        mwtype=(schema["items"] if schema.get("type") == "array" else schema).get("x-mediawiki-type"),
    )


def read_contract(doc: dict[str, Any]) -> Contract:
    """Every action of the document, each with its POST body's fields (a superset of GET's)."""
    operations = []
    shared: dict[str, FieldSpec] = {}
    token_types: set[str] = set()
    for key, item in doc["paths"].items():
        action = key.split("#", 1)[1]
        post = item["post"]
        body = resolve(doc, post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"])
        required = set(body.get("required", ()))
        fields = []
        for name, schema in body["properties"].items():
            if name == "action":
                continue
            field = _field(doc, name, schema, name in required)
            if field.module in SHARED_MODULES:
                shared.setdefault(name, field)
            else:
                fields.append(field)
            if field.tokentype:
                token_types.add(field.tokentype)
        operations.append(OperationSpec(action, "get" in item, post.get("x-mediawiki-token"), tuple(fields)))
    formats = tuple(shared["format"].schema["enum"])
    return Contract(tuple(operations), tuple(shared.values()), formats, tuple(sorted(token_types)))
