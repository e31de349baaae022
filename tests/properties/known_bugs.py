"""Bugs the fuzzer found in code these tests do not own, each with its own xfail property.

The broad properties spare the fields a known bug is about (valid values only there), so they
keep guarding everything else; the bug's own property (``xfail(strict=True)``) fails until the
bug is fixed — then remove its entry here and the mark there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.properties.contract import FieldSpec


@dataclass(frozen=True)
class KnownBug:
    reason: str
    applies: Callable[[FieldSpec], bool]  # the fields whose junk values hit it


def _value_schema_type(field: FieldSpec) -> object:
    schema = field.schema["items"] if field.multi else field.schema
    return schema.get("type")


NAMESPACE = KnownBug(
    "Fixed BUG (wikipost/api/params.py: the 'namespace' type is not validated; "
    "query_recentchanges.py, query_categorymembers.py and query_logevents.py then int() the raw "
    "value): action=query&list=recentchanges&rcnamespace=0| (or =x; cmnamespace=x, "
    "lenamespace=x) answers internal_api_error_ValueError. 1.39 validates namespace parameters "
    "as an enum of namespace ids (badvalue; for a multi-value an unrecognizedvalues warning).",
    lambda field: field.mwtype == "namespace",
)
INTEGER = KnownBug(
    "Fixed BUG (wikipost/api/params.py _integer: Python's int() with no 64-bit bound): "
    "action=query&pageids=99999999999999999999 (also revids, ususerids, mmsids, "
    "action=parse&pageid) answers internal_api_error_OverflowError (SQLite cannot bind it). 1.39's "
    "IntegerDef accepts only ^[+-]?\\d+$ within PHP's int range and answers badinteger otherwise; "
    "Wikipost also accepts ' 7 ', '1_0' and a full-width '７' as 7.",
    lambda field: _value_schema_type(field) == "integer",
)
# Fixed (params.py: namespace ids as an enum, IntegerDef's form and 64-bit range); their
# properties above now hold and guard them, so no field is spared any more.
KNOWN_BUGS: tuple[KnownBug, ...] = ()


def spared(field: FieldSpec) -> bool:
    """Whether a broad property should give ``field`` valid values only (a known bug's field)."""
    return any(bug.applies(field) for bug in KNOWN_BUGS)
