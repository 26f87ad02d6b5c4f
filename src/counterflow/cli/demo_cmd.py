"""``counterflow demo``: the main job end to end on a list, offline."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from importlib import resources
from pathlib import Path

import click

from counterflow.cli.console import Column, console, counting, shorten, table
from counterflow.cli.context import Command, state
from counterflow.lists import store
from counterflow.screening import Query, Screener
from counterflow.settings import Settings, default_home
from counterflow.workspace import Workspace

#: the sample is filed under its own list id so it never mixes with real UN editions
SAMPLE_LIST_ID = "sample"
#: names the demo screens against the shipped (fictitious) sample list: spelling, script and
#: transliteration variants of its entries, and a name that is on no list
SAMPLE_NAMES = (
    "Djebhat el-Misal",
    "جبهة المثال",
    "Иван Примеров",
    "Mokhammed Abdel Mithal",
    "John Smith",
)
#: names the demo screens against a real list given with --list
LIST_NAMES = (
    "dzhebhat EN-Nusra",
    "Джебхат ан-Нусра",
    "Аль-Каида",
    "Islamic State in Iraq and the Levant",
    "John Smith",
)


def sample_list_path() -> Path:
    """The hand-written, fictitious UN-format list that ships inside the package."""
    return Path(str(resources.files("counterflow") / "data" / "sample_un.xml"))


def program() -> str:
    """How to run counterflow again from this shell: ``counterflow`` when it is on the PATH,
    else the program running now (``scripts/demo.sh`` runs ``.venv/bin/counterflow``, which
    is not on the PATH), quoted for a shell."""
    if shutil.which("counterflow"):
        return "counterflow"
    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if running is not None and running.name.startswith("counterflow") and running.exists():
        return shlex.quote(str(running.resolve()))
    beside = Path(sys.executable).parent / "counterflow"
    if beside.exists():
        return shlex.quote(str(beside))
    return f"{shlex.quote(sys.executable)} -m counterflow"


def demo_workspace(ctx: click.Context) -> Workspace:
    """--home (or $COUNTERFLOW_HOME) when given, else a 'demo' folder beside the default
    workspace, so that the demo never touches a real one."""
    home = state(ctx).home
    settings = Settings.from_env(home=Path(home) if home else None)
    if settings.home == default_home():
        settings = settings.with_(home=default_home() / "demo")
    return Workspace(settings=settings)


@click.command(cls=Command)
@click.option(
    "--list",
    "list_path",
    type=click.Path(exists=True, path_type=Path),
    help="A list file to use instead of the shipped sample list.",
)
@click.option(
    "--name",
    "names",
    multiple=True,
    help="A name to screen (repeatable; default: a few names that fit the list).",
)
@click.option("--no-monitor", is_flag=True, help="Skip the simulated world and its monitoring.")
@click.pass_context
def demo(
    ctx: click.Context, list_path: Path | None, names: tuple[str, ...], no_monitor: bool
) -> None:
    """Run the main job offline: import a list, screen names against it, then simulate a small
    world with planted terrorist-financing channels and monitor it.

    Uses --home (or $COUNTERFLOW_HOME) when given, else a 'demo' workspace beside the default
    one, so the demo never touches your real workspace. The next steps it prints name the
    program that ran it (counterflow when it is on the PATH, else its path).

    \b
    Example:
      counterflow demo --home demo
      counterflow demo --list ../shared/data/lists/un_sc/un_sc_2026-02-27.xml --no-monitor
    """
    ws = demo_workspace(ctx)
    path = list_path or sample_list_path()
    console.print(f"Workspace: {ws.home}", style="bold")
    what = (
        f"the list {path}"
        if list_path
        else "the shipped sample list (fictitious names, UN XML format)"
    )
    console.print(f"1. Importing {what}")
    with counting(f"Reading {path.name}") as progress:
        sample_id = None if list_path else SAMPLE_LIST_ID
        result = store.import_list(ws, path, list_id=sample_id, progress=progress)
    e = result.edition
    counts = ", ".join(f"{n:,} {s}" for s, n in e.schema_counts.items())
    verb = "imported" if result.created else "already there:"
    console.print(f"   {verb} {e.list_id} edition {e.label}, {e.entity_count:,} entries ({counts})")
    queries = names or (LIST_NAMES if list_path else SAMPLE_NAMES)
    console.print("2. Screening names against the active editions")
    screener = Screener.from_workspace(ws, [e.list_id])
    rows: list[list[str]] = []
    missed: list[str] = []
    for query in queries:
        matches = screener.screen(Query.make(query), limit=1)
        if matches:
            m = matches[0]
            pairs = ", ".join(f"{p.query}={p.listed}" for p in m.comparison.pairs)
            why = f"{m.matched_property} '{shorten(m.matched_name, 40)}': {pairs}"
            rows.append([query, f"{m.score:.2f}", m.entity.ref, shorten(m.entity.caption, 36), why])
        else:
            missed.append(f"   {query}: no entry scores {screener.threshold:.2f} or more")
    columns = [
        Column("query", "short"),
        Column("score", "number"),
        Column("ref", "key"),
        Column("entry", "short"),
        Column("why", "text"),
    ]
    if rows:
        console.print(table(columns, rows))
    for line in missed:
        console.print(line)
    step = 4
    if not no_monitor:
        _monitor_a_world(ws)
        _open_a_case(ws)
        step = 5
    run = f"{program()} --home {shlex.quote(str(ws.home))}"
    console.print(f"{step}. Next: screen your own names, inspect an entry, or import more lists")
    console.print(f'   {run} screen "A NAME" --limit 3')
    console.print(f"   {run} lists")
    console.print(f"   {run} lists show {e.list_id}:{'ZZe.001' if not list_path else 'QDe.137'}")
    body = json.dumps(
        {"queries": {"q1": {"schema": "LegalEntity", "properties": {"name": [queries[0]]}}}},
        ensure_ascii=False,
    ).replace("'", "")
    console.print(
        f"{step + 1}. Serve the same lists over HTTP (yente's /match API) and send one request:"
    )
    console.print(f"   KEY=$({run} keys create --role screen --name trial)")
    console.print(f"   {run} serve --port 8000 &")
    console.print(
        '   curl -s localhost:8000/match/default -H "Authorization: ApiKey $KEY" '
        "-H 'Content-Type: application/json' \\"
    )
    console.print(f"     -d '{body}'")
    console.print("   (serve --open skips keys for a local trial; API docs: localhost:8000/docs)")
    password = _web_password(ws)
    if password is None:
        console.print(
            "   The analyst's web UI: http://localhost:8000/ui/ (give a user a password first: "
            f"{run} users password NAME)"
        )
    else:
        console.print(
            f"   The analyst's web UI: http://localhost:8000/ui/ (sign in as {DEMO_ANALYST}, "
            f"password {password})"
        )


#: the demo's world: about 100,000 transactions, every channel planted densely enough to count
DEMO_PARTIES, DEMO_DAYS, DEMO_SEED, DEMO_DENSITY = 5_000, 150, 2026, 30.0


def _monitor_a_world(ws: Workspace) -> None:
    """Simulate a world whose listed-counterparty channel varies the imported list's names,
    run the typology pack, and score the alerts against the planted truth."""
    from counterflow.cli.ingest_cmd import parquet_files
    from counterflow.cli.simulate_cmd import SIMULATED, _mode, _watchlist
    from counterflow.monitoring import SCENARIOS, run_scenarios
    from counterflow.monitoring.evaluate import evaluate
    from counterflow.simulate import TypologyConfig, simulate
    from counterflow.transactions import store

    out = ws.home / "demo-world"
    console.print(
        f"3. Simulating {DEMO_PARTIES:,} customers over {DEMO_DAYS} days with ten planted "
        "financing channels, then running the typology pack"
    )
    with counting("Simulating", unit="transactions"):
        summary = simulate(
            out,
            parties=DEMO_PARTIES,
            days=DEMO_DAYS,
            seed=DEMO_SEED,
            watchlist=_watchlist(ws),
            typology_params=TypologyConfig().scaled(DEMO_DENSITY),
            overwrite=True,
        )
    source = str(out.resolve())
    mode = _mode(ws, "demo-world", source)
    store.load_parquet(
        ws, "demo-world", parquet_files(out), fmt=SIMULATED, source=source,
        mode="replace" if mode == "taken" else mode,
    )  # fmt: skip
    with counting("Monitoring", unit="scenarios"):
        report = run_scenarios(ws, "demo-world", SCENARIOS)
    with ws.connect(read_only=True) as conn:
        scores = evaluate(conn, "demo-world")
    console.print(
        f"   {summary.transactions:,} transactions, {sum(summary.planted.values()):,} of them "
        f"planted; {report.alerts:,} alerts. Against the planted truth:"
    )
    unscored = 0
    rows: list[list[str]] = []
    for score in scores:
        if not score.planted_parties and not score.planted_transactions:
            unscored += score.alerts  # a typology nothing was planted for (exposure)
            continue
        rows.append(
            [
                score.typology,
                f"{score.alerts:,}",
                _share(score.party_precision),
                _share(score.key_recall),
                _share(score.tx_recall),
            ]
        )
    columns = [
        Column("typology", "key"),
        Column("alerts", "number"),
        Column("party\nprecision", "number"),
        Column("key-party\nrecall", "number"),
        Column("tx\nrecall", "number"),
    ]
    console.print(table(columns, rows))
    if unscored:
        console.print(
            f"   and {unscored:,} exposure alerts: parties within two hops of a listed "
            "counterparty, which the truth does not label."
        )
    console.print(
        "   (key parties: the front company, the collector, the hub… that each scenario means "
        f"to name; see {program()} evaluate and docs/monitoring.md)"
    )


#: the demo's analyst, who opens the demo's case (no password: a local trial)
DEMO_ANALYST = "demo-analyst"


def _open_a_case(ws: Workspace) -> None:
    """Open a case from the oil alert as the demo's analyst, freezing its evidence, and write
    the case's printable report beside the world."""
    from counterflow.cases.db import CaseStore
    from counterflow.cases.dispositions import list_with_dispositions
    from counterflow.cases.lifecycle import get_case, open_case, verify_history
    from counterflow.cases.users import add_user, list_users
    from counterflow.cli.cases_cmd import evidence_counts
    from counterflow.reporting.case_report import write_case_report
    from counterflow.reporting.from_case import base_currency

    with CaseStore.open(ws.settings, write=True) as store:
        if not any(u.name == DEMO_ANALYST for u in list_users(store)):
            add_user(store, DEMO_ANALYST, "analyst")
        with ws.connect(read_only=True) as conn:
            found = list_with_dispositions(
                store, conn, "demo-world", status="open", scenario="oil-border-trade", limit=1
            )
        if not found:
            console.print(
                f"4. The oil alert is in a case already (a demo run before): see "
                f"{program()} --home {shlex.quote(str(ws.home))} cases list"
            )
            return
        alert, _ = found[0]
        case = open_case(
            store,
            ws,
            DEMO_ANALYST,
            title=f"Under-priced oil sold at the border by {alert.subject_id}",
            alerts=[alert.alert_id],
            priority="high",
        )
        view = get_case(store, case.id)
        check = verify_history(store, case.id)
    currency, _note = base_currency(ws, view)
    path = ws.home / f"case-{case.id}.html"
    write_case_report(path, view, check, base_currency=currency)
    frozen = evidence_counts(view.evidence)
    console.print(
        f"4. Opened case {case.id} from the oil alert {alert.alert_id} as {DEMO_ANALYST}, "
        f"freezing its evidence ({frozen}); its printable report: {path}"
    )


def _web_password(ws: Workspace) -> str | None:
    """A fresh password for the demo's analyst, to sign in to the web UI with (printed once;
    ``counterflow users password`` sets another). None in a workspace whose other users work
    without passwords: one password would make all of them sign in (docs/cases.md), and the
    demo does not change how a workspace it was pointed at works."""
    import secrets

    from counterflow.cases.db import CaseStore
    from counterflow.cases.users import add_user, list_users, set_password

    password = secrets.token_urlsafe(9)
    with CaseStore.open(ws.settings, write=True) as store:
        users = list_users(store)
        others = [u for u in users if u.name != DEMO_ANALYST and u.active]
        if others and not any(u.has_password for u in others):
            return None
        if not any(u.name == DEMO_ANALYST for u in users):
            add_user(store, DEMO_ANALYST, "analyst")
        set_password(store, DEMO_ANALYST, password)
    return password


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
