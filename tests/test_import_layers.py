"""The layers import downward only, read from the source with `ast` (imports inside functions and
`TYPE_CHECKING` blocks included): contracts ← domain ← infrastructure ← services, and no service reaches
into another service's modules, except the embedded mode, which composes them all in one process."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUR_PACKAGES = frozenset({"contracts", "domain", "infrastructure", "services", "tools", "bench", "tests"})
MAY_IMPORT: dict[str, frozenset[str]] = {
    "contracts": frozenset({"contracts"}),
    "domain": frozenset({"contracts", "domain"}),
    "infrastructure": frozenset({"contracts", "domain", "infrastructure"}),
    "services": frozenset({"contracts", "domain", "infrastructure", "services"}),
}
COMPOSERS = frozenset({"embedded"})  # services that may import every other service (they compose them)


def module_name(path: Path) -> str:
    """The dotted name of a source file of the repository (a package's `__init__` is the package)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[tuple[str, int]]:
    """Every module `path` imports (relative imports resolved), with the line."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.module or "", node.lineno
            else:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                yield ".".join([*base, *([node.module] if node.module else [])]), node.lineno


def violations(layer: str) -> list[str]:
    """The imports of `layer`'s modules that break the layering, as `file:line imports module`."""
    found = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        importer = module_name(path)
        for imported, line in imported_modules(path):
            if not breaks_layering(layer, importer, imported):
                continue
            found.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    return found


def breaks_layering(layer: str, importer: str, imported: str) -> bool:
    """Whether `importer` (a module of `layer`) may not import `imported`."""
    top = imported.split(".")[0]
    if top not in OUR_PACKAGES:
        return False  # the standard library or a third-party package
    if top not in MAY_IMPORT[layer]:
        return True
    return top == "services" and crosses_services(importer, imported)


def crosses_services(importer: str, imported: str) -> bool:
    """Whether a service module imports a module of another service (the composers excepted)."""
    own, other = importer.split(".")[1:2], imported.split(".")[1:2]
    return bool(other) and own != other and own[0] not in COMPOSERS


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    assert violations(layer) == []


def test_the_check_sees_a_crossing() -> None:
    assert breaks_layering("domain", "domain.records", "infrastructure.store.port")
    assert breaks_layering("contracts", "contracts.events", "domain.records")
    assert breaks_layering("services", "services.api.app", "services.scheduler.office")
    assert breaks_layering("services", "services.alerter.rules", "services.scheduler.triggers")
    assert breaks_layering("services", "services.workers.worker", "tests.jobs")
    assert not breaks_layering("services", "services.embedded.system", "services.api.app")
    assert not breaks_layering("infrastructure", "infrastructure.adapters", "pydantic")


def test_relative_imports_are_resolved() -> None:
    assert module_name(ROOT / "services" / "api" / "__init__.py") == "services.api"
    names = {name for name, _ in imported_modules(ROOT / "tests" / "ports" / "test_run_claims.py")}
    assert "tests.ports.conftest_mongo" in names
