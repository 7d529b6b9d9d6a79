"""`tickets bench`: run the benchmark suite and write results.json, plots and a report."""

import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from tickets import event_loop
from tickets.cli.context import settings_from_env
from tickets.cli.core import app
from tickets.logging_setup import configure_logging

if TYPE_CHECKING:
    from tickets.bench.report import Report

console = Console()
SCENARIOS = (
    "http",
    "overload",
    "outbox",
    "claims",
    "lag",
    "queries",
    "peer",
    "broker",
    "tracing",
    "storage",
)


@app.command()
def bench(
    out: Annotated[Path, typer.Option(help="folder for results.json and plots")] = Path(
        "bench-out"
    ),
    quick: Annotated[bool, typer.Option(help="small datasets, about 2 minutes")] = False,
    database_url: Annotated[
        str | None, typer.Option(help="PostgreSQL server URL; default: the embedded one")
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            help=f"run only these (repeat it or separate by commas): {', '.join(SCENARIOS)}"
        ),
    ] = None,
) -> None:
    """Measure the performance targets against baselines run on the same machine."""
    chosen = chosen_scenarios(only)
    unknown = chosen - set(SCENARIOS)
    if unknown:
        console.print(f"[red]unknown scenario(s): {', '.join(sorted(unknown))}[/]")
        raise typer.Exit(2)
    from tickets.bench import (
        broker_publish,
        claims,
        http_load,
        lag,
        outbox_delivery,
        overload,
        peer,
        plots,
        queries,
        storage,
        tracing_cost,
    )
    from tickets.bench.databases import server
    from tickets.bench.markdown import render
    from tickets.bench.report import Report

    settings = settings_from_env()
    configure_logging(settings.log_format, "WARNING")
    url = database_url or settings.database_url
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report = Report(quick=quick, database="external" if url else "embedded")
    lag_samples: list[Any] = []

    async def lag_run(r: Report, s: str, q: bool) -> None:
        lag_samples.extend(await lag.run(r, s, q))

    async def outbox_run(r: Report, s: str, q: bool) -> None:
        await outbox_delivery.run(r, s, q, handlers="projections")

    async def broker_run(r: Report, s: str, q: bool) -> None:
        await broker_publish.run(r, s, q, settings.broker_url)

    steps: dict[str, Step] = {
        "http": http_load.run,
        "overload": overload.run,
        "outbox": outbox_run,
        "claims": claims.run,
        "lag": lag_run,
        "queries": queries.run,
        "peer": peer.run,
        "broker": broker_run,
        "tracing": tracing_cost.run,
        "storage": storage.run,
    }
    with server(url, settings.data_dir.resolve() / "bench") as server_url:
        failed = run_scenarios(steps, chosen, report, server_url, quick)
    for path in (
        plots.lag_over_time(lag_samples, out),
        plots.bars(
            "Outbox delivery into the read model",
            _rates(report),
            "events/s",
            out,
            "outbox_delivery.png",
        ),
    ):
        if path is not None:
            report.plots.append(path.name)
    report.figures["duration_seconds"] = round(time.perf_counter() - started, 1)
    path = report.write(out)
    command = "tickets bench" + (" --quick" if quick else "") + f" --out {out}"
    import json

    (out / "benchmarks.md").write_text(render(json.loads(path.read_text()), command))
    report.print(console)
    console.print(f"results: {path}")
    sys.stdout.flush()
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/] (the others' results are above)")
        raise typer.Exit(1)


Step = Callable[["Report", str, bool], Coroutine[Any, Any, Any]]


def run_scenarios(
    steps: dict[str, Step], chosen: set[str], report: "Report", server_url: str, quick: bool
) -> list[str]:
    """Run the chosen scenarios in order; the names of those that failed. A failure is
    a row of the report and the next scenario runs: one scenario's error (a dataset
    that could not be built, a server that would not start) must not lose the results
    of the minutes of measurement around it."""
    failed = []
    for name in SCENARIOS:
        if chosen and name not in chosen:
            continue
        console.print(f"[bold]{name}[/] …")
        try:
            event_loop.run(steps[name](report, server_url, quick))
        except Exception as error:
            console.print(f"[red]{name} failed:[/] {error!r}")
            report.failed(name, repr(error))
            failed.append(name)
    return failed


def chosen_scenarios(only: list[str] | None) -> set[str]:
    """The names given to ``--only``, repeated or comma-separated (empty: run them all)."""
    return {name.strip() for value in only or () for name in value.split(",") if name.strip()}


def _rates(report: Any) -> dict[str, float]:
    figure = report.figures.get("outbox_delivery_projections", {})
    rates: dict[str, float] = figure.get("events_per_second", {})
    return rates
