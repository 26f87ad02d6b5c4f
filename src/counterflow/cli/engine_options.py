"""The options that choose where analytics run (``--engine``, ``--master``, ``--spark-conf``)
and the Spark session's life for one command: started when the command needs it, stopped
when it ends."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from counterflow.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])
ENGINES = ("duckdb", "spark")


def engine_options(command: F) -> F:
    """``--engine``, ``--master`` and ``--spark-conf`` (repeatable)."""
    command = click.option(
        "--spark-conf",
        multiple=True,
        metavar="KEY=VALUE",
        help="A Spark setting (repeatable), e.g. spark.executor.memory=8g.",
    )(command)
    command = click.option(
        "--master",
        metavar="URL",
        help="With --engine spark: local[2], spark://host:7077, yarn, k8s://… (default: "
        "spark-submit's, else local[*]).",
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default="duckdb",
        show_default=True,
        help="Where the queries run: DuckDB in the workspace, or Apache Spark (docs/spark.md).",
    )(command)


def check_engine_options(
    engine: str, master: str | None, spark_conf: tuple[str, ...], **spark_only: Any
) -> None:
    """Spark's options without ``--engine spark`` are a usage error, not silently ignored."""
    if engine == "spark":
        return
    given = ["--master"] if master else []
    given += ["--spark-conf"] if spark_conf else []
    given += [f"--{k.replace('_', '-')}" for k, v in spark_only.items() if v is not None]
    if given:
        raise click.UsageError(f"{', '.join(given)}: only with --engine spark")


@contextmanager
def spark_for(master: str | None, spark_conf: tuple[str, ...]) -> Iterator[Any]:
    """A Spark session for the command, stopped when it ends if the command started it. Without
    ``--master``: spark-submit's when it started this process, else every local core."""
    from counterflow.engines.spark import DEFAULT_MASTER, parse_conf, session_scope

    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit runs us with its gateway
    chosen = master or (None if submitted else DEFAULT_MASTER)
    with session_scope(chosen, parse_conf(spark_conf)) as session:
        yield session


@contextmanager
def exported_for_spark(workspace: Workspace, dataset: str) -> Iterator[Path]:
    """The workspace's dataset written as Parquet for Spark to read, in the workspace's tmp
    folder, removed when the command ends. (On a cluster the executors must reach the files:
    export to shared storage and give --input instead; docs/spark.md.)"""
    from counterflow.transactions import store

    spill = workspace.home / "tmp"
    spill.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"spark-{dataset}-", dir=spill))
    try:
        store.export_dataset(workspace, dataset, folder / "dataset")
        yield folder / "dataset"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
