"""Settings sections (tables of scalars, lists and sub-tables) written as TOML text.

The standard library reads TOML but does not write it; the configurations the development
cluster and the tests write are small and regular enough for this.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Path):
        return json.dumps(str(value))
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def to_toml(config: Mapping[str, Mapping[str, Any]]) -> str:
    lines: list[str] = []

    def table(path: str, values: Mapping[str, Any]) -> None:
        lines.append(f"[{path}]")
        subtables = []
        for key, value in values.items():
            if isinstance(value, Mapping):
                subtables.append((key, value))
            else:
                lines.append(f"{json.dumps(key)} = {toml_value(value)}")
        lines.append("")
        for key, value in subtables:
            table(f"{path}.{json.dumps(key)}", value)

    for section, values in config.items():
        table(section, values)
    return "\n".join(lines)
