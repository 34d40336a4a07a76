"""The one-way flow of ARCHITECTURE.md, checked: every import inside aisbench points down a layer
(or stays in its package), and impl/aisref imports nothing of aisbench."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each package with the layer it sits in; a package may import only from lower layers.
LAYERS: dict[str, int] = {
    "errors": 0, "md_table": 0, "atomic_file": 0,
    "cluster": 1, "results": 1, "scenario": 1,
    "datagen": 2, "strategies": 2, "analysis": 2,
    "runner": 3, "report": 3,
    "profile": 4, "faults": 4, "ab": 4,
    "commands": 5, "pytest_plugin": 5,
    "cli": 6,
}


def _imports(path: Path) -> set[str]:
    """The top-level aisbench packages (or modules) a file imports from."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] == "aisbench" and len(parts) > 1:
                found.add(parts[1])
            elif node.module == "aisbench":
                found.update(a.name for a in node.names if a.name in LAYERS)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("aisbench.") and a.name.count(".") >= 1)
    return found


def _package(path: Path) -> str:
    parts = path.relative_to(ROOT / "aisbench").parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def test_every_package_has_a_layer() -> None:
    packages = {_package(p) for p in (ROOT / "aisbench").rglob("*.py")} - {"__init__"}
    assert packages == set(LAYERS), "add the new package to LAYERS and to ARCHITECTURE.md"


def test_imports_point_down_only() -> None:
    upward = []
    for path in sorted((ROOT / "aisbench").rglob("*.py")):
        source = _package(path)
        if source == "__init__":
            continue
        for target in _imports(path) - {source}:
            if LAYERS[target] >= LAYERS[source]:
                upward.append(f"{path.relative_to(ROOT)}: {source} -> {target}")
    assert upward == []


def test_impl_imports_nothing_of_aisbench() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "impl").rglob("*.py")
                 if "aisbench" in {n.module.split(".")[0] for n in ast.walk(ast.parse(
                     p.read_text())) if isinstance(n, ast.ImportFrom) and n.module}]
    assert offenders == []


def test_other_packages_are_used_through_their_face() -> None:
    """Inside aisbench, a package's modules are its own business: other packages import what its
    ``__init__`` exports (``from aisbench.results import RunRecord``), never a module of it."""
    reaching = []
    for path in sorted((ROOT / "aisbench").rglob("*.py")):
        source = _package(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[0] == "aisbench" and len(parts) > 2 and parts[1] != source:
                    reaching.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
    assert reaching == []


def test_the_lazy_runner_face_names_exactly_what_it_exports() -> None:
    import aisbench.runner as runner

    for name in runner.__all__:
        assert getattr(runner, name) is not None
    assert set(runner.__all__) == set(runner._HOMES)
