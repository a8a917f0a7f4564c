"""Dependencies are honest: a distribution is declared in pyproject.toml if and only if the
project's code imports it (runtime code against [project.dependencies], tests and benchmarks
against the dev group), apart from the few tools that are run, not imported (named below)."""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
import tomllib
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

import pytest

from sources.settings import PROJECT_ROOT

RUNTIME_DIRS = ("sources", "quality", "orchestration", "serving")
DEV_DIRS = ("tests", "bench")
# Declared and used, but as programs or plugins, never imported by our code.
RUN_NOT_IMPORTED = {
    "dagster-webserver": "the UI behind `make dev` (`dagster dev`)",
    "dbt-core": "the `dbt` executable dagster-dbt runs",
    "dbt-duckdb": "dbt's DuckDB adapter, loaded by dbt",
    "pytest-timeout": "a pytest plugin (timeout in pyproject.toml)",
    "pytest-xdist": "a pytest plugin (-n in pyproject.toml)",
    "ruff": "`make lint`",
    "sqlfluff": "`make lint` (dbt SQL)",
}


def normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def requirement_name(requirement: str) -> str:
    """The distribution a PEP 508 requirement names ("dbt-core>=1.11,<1.12" -> "dbt-core")."""
    return normalise(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip()).group(0))


@functools.cache
def owner(module: str, candidates: tuple[str, ...]) -> tuple[str, ...]:
    """The distribution(s) a module comes from. A namespace such as ``dbt`` is shared by several
    (dbt-core, dbt-adapters, dbt-duckdb): the one whose files hold the imported module owns it."""
    if len(candidates) < 2:
        return candidates
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return candidates
    origin = Path(spec.origin).resolve()
    for name in candidates:
        dist = distribution(name)
        for file in dist.files or ():
            if Path(dist.locate_file(file)).resolve() == origin:
                return (name,)
    return candidates


def imported_distributions(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """{distribution: files importing it} for third-party imports under ``folders``."""
    local = {p.name for p in PROJECT_ROOT.iterdir() if p.is_dir()} | {"tests"}
    distributions = packages_distributions()
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in local or top in sys.stdlib_module_names or top == "__future__":
                        continue
                    for name in owner(module, tuple(distributions.get(top, [top]))):
                        found.setdefault(normalise(name), set()).add(str(path.relative_to(PROJECT_ROOT)))
    return found


def declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = {requirement_name(r) for r in project["project"]["dependencies"]}
    dev = {requirement_name(r) for r in project["dependency-groups"]["dev"]}
    return runtime, dev


@pytest.mark.parametrize("layer", ["runtime", "dev"])
def test_declared_if_and_only_if_imported(layer: str) -> None:
    runtime, dev = declared()
    if layer == "runtime":
        imported = imported_distributions(RUNTIME_DIRS)
        wanted = runtime
    else:
        imported = {d: f for d, f in imported_distributions(DEV_DIRS).items() if d not in runtime}
        wanted = dev
    tools = {normalise(name) for name in RUN_NOT_IMPORTED}
    missing = {d: sorted(files)[:3] for d, files in imported.items() if d not in wanted}
    unused = sorted(wanted - set(imported) - tools)
    assert missing == {}, f"imported but not declared in the {layer} dependencies"
    assert unused == [], f"declared in the {layer} dependencies but never imported"
