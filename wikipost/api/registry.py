"""Which module answers which name: one declarative table, checked once at start-up."""

from __future__ import annotations

from collections.abc import Iterable

from wikipost.api.errors import ContractError
from wikipost.api.module import ApiModule

GROUPS = ("action", "list", "meta", "prop", "format")
FORMATS = ("json", "jsonfm", "none", "php", "phpfm", "rawfm", "xml", "xmlfm")


class Registry:
    def __init__(self, modules: Iterable[type[ApiModule]]) -> None:
        self._groups: dict[str, dict[str, type[ApiModule]]] = {g: {} for g in GROUPS}
        for module in modules:
            self.add(module)

    def add(self, module: type[ApiModule]) -> None:
        _check_contract(module)
        table = self._groups[module.group]
        if module.name in table:
            raise ContractError(f"two modules named {module.group}={module.name}")
        table[module.name] = module

    def get(self, group: str, name: str) -> type[ApiModule] | None:
        return self._groups.get(group, {}).get(name)

    def names(self, group: str) -> list[str]:
        if group == "format":
            return list(FORMATS)
        if group == "query":
            return sorted({m for g in ("list", "meta", "prop") for m in self._groups[g]})
        if group == "generator":
            return sorted(m.name for g in ("prop", "list") for m in self._groups[g].values() if m.generator)
        return sorted(self._groups[group])

    def modules(self, group: str) -> list[type[ApiModule]]:
        return [self._groups[group][n] for n in sorted(self._groups[group])]

    def by_path(self, path: str) -> type[ApiModule] | None:
        if path.startswith("query+"):
            name = path[len("query+") :]
            for group in ("list", "meta", "prop"):
                module = self.get(group, name)
                if module is not None:
                    return module
            return None
        return self.get("action", path)


def _check_contract(module: type[ApiModule]) -> None:
    name = getattr(module, "name", None)
    if not name:
        raise ContractError(f"{module.__qualname__} has no name")
    if module.group not in GROUPS:
        raise ContractError(f"{name}: unknown group {module.group}")
    if module.token and not module.posted():
        raise ContractError(f"{name}: a module that needs a token must be posted")
    seen: set[str] = set()
    for param in module.all_params():
        if param.name in seen:
            raise ContractError(f"{name}: parameter {param.name} declared twice")
        seen.add(param.name)
        if param.required and param.default is not None:
            raise ContractError(f"{name}: required parameter {param.name} has a default")


def build_registry() -> Registry:
    """The built-in modules. Each lives in its own file under ``api.modules``."""
    from wikipost.api.modules import ALL_MODULES

    return Registry(ALL_MODULES)
