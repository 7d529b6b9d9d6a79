"""`tickets bench`: run the benchmark suite and write results.json and plots."""

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tickets.cli.core import app, settings_from_env
from tickets.logging_setup import configure_logging

console = Console()


@app.command()
def bench(
    out: Annotated[Path, typer.Option(help="folder for results.json and plots")] = Path(
        "bench-out"
    ),
    quick: Annotated[bool, typer.Option(help="small datasets, about 2 minutes")] = False,
    database_url: Annotated[
        str | None, typer.Option(help="PostgreSQL server URL; default: the embedded one")
    ] = None,
) -> None:
    """Measure the performance targets against baselines run on the same machine."""
    from tickets.bench import outbox_delivery
    from tickets.bench.databases import server
    from tickets.bench.report import Report

    settings = settings_from_env()
    configure_logging(settings.log_format, "WARNING")
    url = database_url or settings.database_url
    started = time.perf_counter()
    with server(url, settings.data_dir.resolve() / "bench") as server_url:
        report = Report(quick=quick, database="external" if url else "embedded")
        console.print("[bold]outbox delivery[/] …")
        asyncio.run(outbox_delivery.run(report, server_url, quick))
    report.figures["duration_seconds"] = round(time.perf_counter() - started, 1)
    path = report.write(out)
    report.print(console)
    console.print(f"results: {path}")
