"""``counterflow simulate``: the world into Parquet and the workspace, with the workspace's list
names varied for the listed-counterparty channel."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store as lists_store
from counterflow.transactions import store
from counterflow.workspace import Workspace


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def test_simulate_loads_the_world_and_varies_the_workspace_lists(
    home: Path, tmp_path: Path
) -> None:
    lists_store.import_list(Workspace(home), sample_list_path())
    out = tmp_path / "world"
    args = ["simulate", "--out", str(out), "--parties", "2000", "--days", "60", "--seed", "5"]
    result = run(home, *args)
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "world.json").read_text(encoding="utf-8"))
    assert "names varied from a given watchlist" in result.output
    with Workspace(home).connect(read_only=True) as conn:
        counts = store.get_dataset(conn, "world").counts
        planted = conn.execute(
            "SELECT typology, count(*) FROM transactions WHERE is_suspicious GROUP BY typology"
        ).fetchall()
    assert counts["transactions"] == meta["counts"]["transactions"]
    assert dict(planted) == {k: v["transactions"] for k, v in meta["typologies"].items()}
    imitated = json.dumps(meta, ensure_ascii=False)
    assert "un-sc:ZZ" in imitated  # the sample list's entries were the names varied
    again = run(home, *args)  # the same folder simulated again replaces world and dataset
    assert again.exit_code == 0 and "Loaded as dataset world" in again.output
    taken = run(home, "simulate", "--out", str(tmp_path / "other"), "--dataset", "world")
    assert taken.exit_code == 2 and "already has a dataset 'world'" in taken.output
    too_small = run(home, "simulate", "--out", str(tmp_path / "x"), "--parties", "10")
    assert too_small.exit_code == 2
