"""The parity tables of impl/aisref/README.md, checked against the code and the official SDK.

Names: every public name of the installed ``aistore.pytorch`` has a row, and each row's
verdict is what ``inspect`` finds. Behaviour: each row names a check, and a test
``test_parity_<check>`` exists for it (and for nothing else), asserting aisref's side.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
README = REPO / "impl" / "aisref" / "README.md"
BEHAVIOUR_TEST_FILES = (
    REPO / "tests" / "unit" / "pytorch" / "test_parity_behaviour.py",
    REPO / "tests" / "integration" / "test_parity_on_cluster.py",
)
OFFICIAL = "aistore.pytorch"
OURS = "aisref.pytorch"
OFFICIAL_VERSION = "2.0.0"
MISSING = "missing:"  # a verdict for a name aisref does not have (yet), with why
EMPTY_DEFAULTS: tuple[Any, ...] = (None, {}, [], ())


# -- reading the tables ----------------------------------------------------------------------


def table_rows(heading: str) -> list[list[str]]:
    """Cells of the Markdown table under ``### heading`` (header and rule left out)."""
    text = README.read_text()
    section = text.split(f"### {heading}\n", 1)[1]
    rows: list[list[str]] = []
    for line in section.splitlines():
        if line.startswith("### ") or line.startswith("## "):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[2:]


def unquote(cell: str) -> str:
    return cell.replace("`", "").strip()


@dataclass(frozen=True)
class NameRow:
    name: str  # path under aistore.pytorch / aisref.pytorch
    official: str  # "2.0.0", or "1.9.2: <signature or names>"
    verdict: str


def name_rows() -> list[NameRow]:
    return [NameRow(unquote(name), unquote(official), unquote(verdict))
            for name, official, verdict in table_rows("Names")]


def behaviour_checks() -> list[str]:
    return [unquote(row[0]) for row in table_rows("Behaviour")]


# -- resolving names ---------------------------------------------------------------------------


def resolve(package: str, path: str) -> Any:
    """The module or object at ``package.path`` (``Class.method`` and ``module.name`` too);
    raises LookupError when it does not exist."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join([package, *parts[:split]]))
        except ModuleNotFoundError:
            continue
        rest = parts[split:]
        break
    else:
        obj, rest = importlib.import_module(package), parts
    for part in rest:
        if not hasattr(obj, part):
            raise LookupError(f"{package}.{path}: no attribute {part!r}")
        obj = getattr(obj, part)
    return obj


def exists(package: str, path: str) -> bool:
    try:
        resolve(package, path)
    except LookupError:
        return False
    return True


def parameters(obj: Any) -> list[inspect.Parameter]:
    sig = inspect.signature(obj)
    return list(sig.parameters.values())


def signature_from_text(text: str) -> list[inspect.Parameter]:
    """``(a, b=1, *, c=None)`` → its parameters (defaults must be literals)."""
    args = ast.parse(f"def f{text}: pass").body[0].args  # type: ignore[attr-defined]
    found: list[inspect.Parameter] = []
    positional = args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in zip(positional, defaults, strict=True):
        value = inspect.Parameter.empty if default is None else ast.literal_eval(default)
        found.append(inspect.Parameter(arg.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                       default=value))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        value = inspect.Parameter.empty if default is None else ast.literal_eval(default)
        found.append(inspect.Parameter(arg.arg, inspect.Parameter.KEYWORD_ONLY, default=value))
    return found


def same_default(a: Any, b: Any) -> bool:
    if a is inspect.Parameter.empty or b is inspect.Parameter.empty:
        return a is b
    if any(a == e and type(a) is type(e) for e in EMPTY_DEFAULTS) and any(
        b == e and type(b) is type(e) for e in EMPTY_DEFAULTS
    ):
        return True
    return bool(a == b)


def describe(params: list[inspect.Parameter]) -> list[tuple[str, str, str]]:
    return [(p.name, p.kind.name, repr(p.default)) for p in params]


def signature_verdict(official: list[inspect.Parameter], ours: list[inspect.Parameter]) -> str:
    """``same``, ``same + keyword-only a, b``, or what differs."""
    extras = [p for p in ours if p.name not in {o.name for o in official}]
    core = [p for p in ours if p not in extras]
    if len(core) != len(official) or any(
        (o.name, o.kind) != (c.name, c.kind) or not same_default(o.default, c.default)
        for o, c in zip(official, core, strict=True)
    ):
        return f"differs: official {describe(official)}, aisref {describe(ours)}"
    if not extras:
        return "same"
    if any(p.kind is not p.KEYWORD_ONLY or p.default is p.empty for p in extras):
        return f"differs: extra parameters not keyword-only with defaults: {describe(extras)}"
    if ours[: len(core)] != core:
        return "differs: extra parameters come before official ones"
    return "same + keyword-only " + ", ".join(p.name for p in extras)


def defined_names(module: types.ModuleType) -> set[str]:
    """Public classes and functions defined in ``module`` itself (not imported into it)."""
    return {
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and obj.__module__ == module.__name__
    }


def official_modules() -> dict[str, types.ModuleType]:
    package = importlib.import_module(OFFICIAL)
    return {
        info.name: importlib.import_module(f"{OFFICIAL}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    }


# -- the tests -----------------------------------------------------------------------------------


def test_the_installed_official_sdk_is_the_version_the_table_describes():
    from aistore.version import __version__

    assert __version__ == OFFICIAL_VERSION


def test_every_public_official_name_has_a_row():
    rows = {row.name for row in name_rows()}
    package = importlib.import_module(OFFICIAL)
    exported = {name for name in dir(package) if not name.startswith("_")}
    wanted = {name for name in exported if not isinstance(getattr(package, name), types.ModuleType)}
    for module_name, module in official_modules().items():
        wanted.add(module_name)
        wanted |= {f"{module_name}.{name}" for name in defined_names(module)
                   if name not in exported}
    assert sorted(wanted - rows) == []


def test_rows_are_unique():
    names = [row.name for row in name_rows()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("row", name_rows(), ids=lambda row: row.name)
def test_name_row_matches_the_code(row: NameRow):
    if row.verdict.startswith(MISSING):
        assert not exists(OURS, row.name), (
            f"{OURS}.{row.name} exists now: update its row in {README.name}"
        )
        return
    ours = resolve(OURS, row.name)
    if row.official.startswith("1.9.2:"):
        written = row.official.removeprefix("1.9.2:").strip()
        if row.verdict == "same names":
            names = {unquote(name) for name in written.split(",")}
            assert names <= set(vars(ours)), f"{OURS}.{row.name} lacks {names - set(vars(ours))}"
            return
        assert signature_verdict(signature_from_text(written), parameters(ours)) == row.verdict
        return
    assert row.official == OFFICIAL_VERSION
    official = resolve(OFFICIAL, row.name)
    if row.verdict == "same names":
        assert isinstance(official, types.ModuleType) and isinstance(ours, types.ModuleType)
        missing = {name for name in defined_names(official) if not hasattr(ours, name)}
        assert missing == set(), f"{OURS}.{row.name} lacks {sorted(missing)}"
        return
    assert signature_verdict(parameters(official), parameters(ours)) == row.verdict


def test_top_level_names_are_the_objects_at_the_module_paths():
    package = importlib.import_module(OURS)
    for module_name in ("base_iter_dataset", "base_map_dataset", "iter_dataset", "map_dataset",
                        "multishard_dataset", "shard_reader"):
        module = importlib.import_module(f"{OURS}.{module_name}")
        for name in getattr(module, "__all__", defined_names(module)):
            if hasattr(package, name):
                assert getattr(module, name) is getattr(package, name), f"{module_name}.{name}"


def behaviour_tests_defined() -> set[str]:
    found: set[str] = set()
    for path in BEHAVIOUR_TEST_FILES:
        tree = ast.parse(path.read_text())
        found |= {node.name.removeprefix("test_parity_") for node in tree.body
                  if isinstance(node, ast.FunctionDef) and node.name.startswith("test_parity_")}
    return found


def test_every_behaviour_row_has_its_test_and_every_test_its_row():
    checks = behaviour_checks()
    assert len(checks) == len(set(checks))
    assert all(re.fullmatch(r"[a-z_]+", check) for check in checks)
    assert sorted(set(checks) ^ behaviour_tests_defined()) == []


# -- the checker itself -------------------------------------------------------------------------


def _f(a, b=None, *, c=1):
    pass


def test_checker_sees_a_changed_default_a_missing_parameter_and_extensions():
    official = signature_from_text("(a, b={})")
    assert signature_verdict(official, parameters(_f)) == "same + keyword-only c"
    assert signature_verdict(signature_from_text("(a, b=2)"), parameters(_f)).startswith("differs")
    assert signature_verdict(signature_from_text("(a, b=None, x=1)"),
                             parameters(_f)).startswith("differs")
    assert signature_verdict(signature_from_text("(a, b=None, c=1)"),
                             parameters(_f)).startswith("differs")  # c became keyword-only
