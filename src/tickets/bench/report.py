"""Benchmark results: targets with verdicts, figures for context, results.json, table."""

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def scale() -> float:
    """TICKETS_BENCH_SCALE shrinks every duration and dataset (the smoke test uses it to
    prove the harness works in seconds; its numbers mean nothing)."""
    return float(os.environ.get("TICKETS_BENCH_SCALE", "1"))


def scaled(value: float, minimum: float = 1) -> float:
    return max(minimum, value * scale())


@dataclass
class Target:
    name: str
    value: float
    unit: str
    target: str
    met: bool


@dataclass
class Report:
    quick: bool
    database: str
    targets: list[Target] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    plots: list[str] = field(default_factory=list)

    def check(
        self,
        name: str,
        value: float,
        unit: str,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> Target:
        """Record a target: ``value`` must be >= minimum and/or <= maximum."""
        parts = []
        met = True
        if minimum is not None:
            parts.append(f">= {minimum:g}")
            met = met and value >= minimum
        if maximum is not None:
            parts.append(f"<= {maximum:g}")
            met = met and value <= maximum
        target = Target(name, round(value, 4), unit, " and ".join(parts), met)
        self.targets.append(target)
        return target

    def failed(self, scenario: str, error: str) -> Target:
        """Record a scenario that could not measure: an unmet row naming the error."""
        target = Target(f"{scenario}: scenario failed", 0.0, "", f"ran ({error[:120]})", False)
        self.targets.append(target)
        return target

    def write(self, out: Path) -> Path:
        out.mkdir(parents=True, exist_ok=True)
        document = {
            "generated_at": datetime.now(UTC).isoformat(),
            "quick": self.quick,
            "machine": machine(),
            "database": self.database,
            "targets": [asdict(t) for t in self.targets],
            "figures": self.figures,
            "plots": self.plots,
        }
        path = out / "results.json"
        path.write_text(json.dumps(document, indent=2, default=str))
        return path

    def print(self, console: Console) -> None:
        table = Table(title="tickets bench: targets")
        for column in ("target", "value", "unit", "wanted", "met"):
            table.add_column(column)
        for t in self.targets:
            verdict = "[green]yes[/]" if t.met else "[red]no[/]"
            value = f"{t.value:,.0f}" if abs(t.value) >= 100 else f"{t.value:.3g}"
            table.add_row(t.name, value, t.unit, t.target, verdict)
        console.print(table)


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }
