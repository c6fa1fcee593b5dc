"""The house rules of the layout, checked on the source: one-way data flow, SQL only in store/, short functions."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "ingest", "dedupe", "store")
# Functions that may be long: the CLI's argparse builders (`build_parser`, `add_*_parser(s)`) read best as
# one declaration.
PARSER_BUILDER = re.compile(r"^(build_parser|add_\w+_parsers?)$")
SQL_NAMES = {"select", "update", "delete", "insert", "text"}


def _modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(ROOT).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path, ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module, *, top_level_only: bool) -> Iterator[str]:
    """Imported module names (`from a.b import c` gives `a.b` and `a.b.c`)."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


MODULES = {name: (path, tree) for name, path, tree in _modules()}


class TestDataFlow:
    """config -> ingest -> dedupe -> store, one way; each room imports only what it may."""

    def test_no_import_cycle(self) -> None:
        """No cycle among the project's modules through their module-level imports."""
        graph = {
            name: {dep for dep in _imports(tree, top_level_only=True) if dep in MODULES and dep != name}
            for name, (_, tree) in MODULES.items()
        }
        state: dict[str, int] = {}

        def visit(node: str, trail: list[str]) -> None:
            state[node] = 1
            for dep in sorted(graph[node]):
                if state.get(dep) == 1:
                    pytest.fail("import cycle: " + " -> ".join([*trail[trail.index(dep):], dep]))
                if dep not in state:
                    visit(dep, [*trail, dep])
            state[node] = 2

        for name in sorted(graph):
            if name not in state:
                visit(name, [name])

    def test_dedupe_knows_nothing_else(self) -> None:
        """dedupe/ imports no project module outside itself, and no SQL or HTTP library."""
        for name, (_, tree) in MODULES.items():
            if not name.startswith("dedupe"):
                continue
            for dep in _imports(tree, top_level_only=False):
                root = dep.split(".")[0]
                assert root not in {"ingest", "store", "config", "sqlalchemy", "httpx", "httpcore", "alembic"}, (
                    f"{name} imports {dep}")

    def test_store_knows_no_http_or_html(self) -> None:
        """store/ imports nothing of ingest/, HTTP or HTML."""
        for name, (_, tree) in MODULES.items():
            if not name.startswith("store"):
                continue
            for dep in _imports(tree, top_level_only=False):
                root = dep.split(".")[0]
                assert root not in {"ingest", "httpx", "httpcore", "lxml", "trafilatura", "feedparser"}, (
                    f"{name} imports {dep}")

    def test_sql_only_in_store(self) -> None:
        """No SQL statement is built outside store/: no sqlalchemy select/update/delete/insert/text elsewhere."""
        for name, (_, tree) in MODULES.items():
            if name.startswith("store"):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sqlalchemy"):
                    names = {alias.name for alias in node.names}
                    assert not names & SQL_NAMES, f"{name} imports {sorted(names & SQL_NAMES)} from {node.module}"


class TestSize:
    """A newcomer reads each function on one screen."""

    def test_no_function_over_60_lines(self) -> None:
        """Every function outside the CLI's parser builders is at most 60 lines."""
        long = []
        for name, (_, tree) in MODULES.items():
            for node in ast.walk(tree):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if name.startswith("ingest.cli") and PARSER_BUILDER.match(node.name):
                    continue
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    long.append(f"{name}.{node.name}: {length} lines")
        assert long == []

    def test_pipeline_is_a_facade(self) -> None:
        """ingest/pipeline.py, the facade the daemon, cron and backfill call, stays under 150 lines."""
        lines = MODULES["ingest.pipeline"][0].read_text(encoding="utf-8").count("\n")
        assert lines < 150

    def test_every_package_says_what_lives_there(self) -> None:
        """Each package's __init__.py has a docstring."""
        for path in sorted(ROOT.glob("*/**/__init__.py")):
            if path.parts[len(ROOT.parts)] not in PACKAGES or "migrations" in path.parts:
                continue
            assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path
