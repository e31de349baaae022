"""Forms declared as data, like MediaWiki's HTMLForm descriptors.

A page lists its fields; one place (``special.FormSpecialPage`` and ``templates/form.html``)
renders them, reads them back from the request, checks the token and shows errors. Field names
get MediaWiki's ``wp`` prefix unless ``raw_name`` is set (MassMessage's fields have none), and
each input gets ``id="mw-input-<name>"`` as HTMLForm gives it, so scripts and browser automation
written against MediaWiki find the same elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Kinds of field the template knows how to draw.
KINDS = frozenset(
    {"text", "email", "password", "textarea", "check", "select", "multicheck", "hidden", "info", "user"}
)


@dataclass(frozen=True)
class Field:
    """One form field. ``name`` is the descriptor key; the HTML name is ``wp<Name>`` unless
    ``raw_name``. For ``info`` fields ``default`` is shown as text (escaped)."""

    name: str
    kind: str = "text"
    label: str = ""
    default: Any = ""
    required: bool = False
    maxlength: int | None = None
    rows: int = 10
    help: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (value, label) for select and multicheck
    raw_name: bool = False
    section: str = ""
    disabled: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")

    @property
    def html_name(self) -> str:
        if self.raw_name:
            return self.name
        return "wp" + self.name[:1].upper() + self.name[1:]

    @property
    def html_id(self) -> str:
        return f"mw-input-{self.html_name}"

    def read(self, form: Mapping[str, list[str]], posted: bool) -> Any:
        """The field's value from submitted form data (``form`` maps names to all values)."""
        values = form.get(self.html_name + "[]" if self.kind == "multicheck" else self.html_name, [])
        if self.kind == "check":
            return bool(values and values[0] not in ("", "0")) if posted else bool(self.default)
        if self.kind == "multicheck":
            allowed = {value for value, _ in self.options}
            return [v for v in values if v in allowed] if posted else list(self.default or [])
        if self.kind == "info":
            return self.default
        if not values:
            return self.default if not posted else ""
        return values[0].replace("\r\n", "\n")

    def problem(self, value: Any) -> str | None:
        """HTMLForm's own validation (required, maxlength, options); None when fine."""
        if self.kind in ("info", "hidden", "check"):
            return None
        if self.required and (value is None or (isinstance(value, str) and not value.strip())):
            return "This value is required."
        if self.maxlength is not None and isinstance(value, str) and len(value) > self.maxlength:
            return f"This value is too long (at most {self.maxlength} characters)."
        if self.kind == "select" and value and value not in {v for v, _ in self.options}:
            return "This value is not one of the choices."
        return None


@dataclass
class FormState:
    """What the template draws: the fields, their current values and per-field errors."""

    fields: tuple[Field, ...]
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)  # form-level errors, plain text

    @classmethod
    def read(cls, fields: tuple[Field, ...], form: Mapping[str, list[str]], posted: bool) -> FormState:
        values = {f.name: f.read(form, posted) for f in fields}
        return cls(fields, values)

    def validate(self) -> bool:
        for f in self.fields:
            problem = f.problem(self.values.get(f.name))
            if problem is not None:
                self.errors[f.name] = problem
        return not self.errors

    def sections(self) -> list[tuple[str, list[Field]]]:
        """Fields grouped by section, in order of first appearance."""
        out: dict[str, list[Field]] = {}
        for f in self.fields:
            out.setdefault(f.section, []).append(f)
        return list(out.items())
