"""results.json rendered as the Markdown report committed in docs/benchmarks.md."""

from typing import Any


def render(results: dict[str, Any], command: str) -> str:
    machine = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Generated {results['generated_at']} by `{command}`"
        f" ({'quick' if results['quick'] else 'full'} run, {results['database']} PostgreSQL).",
        f"Machine: {machine['platform']}, {machine['cpus']} CPUs, Python {machine['python']}.",
        "",
        "Each target is a ratio against a baseline measured in the same run, or an absolute",
        "bound (the targets are explained in the project's docs/benchmarks.md). Absolute",
        "figures below are for context only: they depend on the machine and its load.",
        "",
        "## Targets",
        "",
        "| target | value | unit | wanted | met |",
        "|---|---|---|---|---|",
    ]
    for t in results["targets"]:
        value = f"{t['value']:,.0f}" if abs(t["value"]) >= 100 else f"{t['value']:.3g}"
        lines.append(
            f"| {t['name']} | {value} | {t['unit']} | {t['target']} | "
            f"{'yes' if t['met'] else '**no**'} |"
        )
    lines += ["", "## Figures", ""]
    for name, figure in results["figures"].items():
        lines += [f"### {name}", "", "```json", _json(figure), "```", ""]
    for plot in results.get("plots", []):
        lines += [f"![{plot}]({plot})", ""]
    return "\n".join(lines)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, default=str)
