"""graph/ is plain functions over tables: it never imports monitoring (monitoring builds its
exposure scenario on graph, not the other way round), so either imports first without a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

GRAPH = Path(__file__).resolve().parents[2] / "src" / "counterflow" / "graph"


def test_graph_sources_do_not_import_monitoring() -> None:
    found = []
    for path in sorted(GRAPH.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}:{node.lineno} {n}" for n in names if "monitoring" in n]
    assert found == []


@pytest.mark.parametrize(
    "first",
    [
        "counterflow.graph",
        "counterflow.monitoring.scenario",
        "counterflow.monitoring.scenarios.exposure",
        "counterflow.monitoring.runner",
        "counterflow.monitoring",
    ],
)
def test_no_import_cycle_whichever_comes_first(first: str) -> None:
    code = (
        f"import sys, {first}\n"
        "if sys.argv[1] == 'counterflow.graph':\n"
        "    loaded = [m for m in sys.modules if m.startswith('counterflow.monitoring')]\n"
        "    assert not loaded, loaded\n"
        "from counterflow.monitoring import PACK, run_scenarios\n"
        "assert 'listed-counterparty-exposure' in PACK\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, first], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
