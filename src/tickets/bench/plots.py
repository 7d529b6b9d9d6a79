"""PNG plots of a benchmark run (matplotlib, headless)."""

from pathlib import Path
from typing import Any


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def lag_over_time(samples: list[tuple[float, float]], out: Path) -> Path | None:
    if not samples:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.scatter([t for t, _ in samples], [lag * 1000 for _, lag in samples], s=4)
    ax.axhline(100, color="red", linewidth=1, linestyle="--", label="target p99 (100 ms)")
    ax.set_xlabel("seconds into the run")
    ax.set_ylabel("commit → visible (ms)")
    ax.set_title("Projection lag under sustained command load")
    ax.legend(loc="upper right")
    path = out / "projection_lag.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def bars(title: str, values: dict[str, float], unit: str, out: Path, name: str) -> Path | None:
    if not values:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    labels = list(values)
    ax.barh(labels, [values[k] for k in labels])
    for i, label in enumerate(labels):
        ax.text(values[label], i, f" {values[label]:,.0f}", va="center")
    ax.set_xlabel(unit)
    ax.set_title(title)
    path = out / name
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
