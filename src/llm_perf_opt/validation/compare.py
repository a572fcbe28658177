"""Predicted versus measured time per point, error statistics, and the reports' tables.

Example
-------
>>> rows = [ComparisonRow(label="a", stage="sam", mode="base", batch=1, kv_len=None, predicted_s=1.1,
...                       measured_s=1.0, measured_wall_s=1.5)]
>>> [round(x, 6) for x in (rows[0].error_pct, *error_stats(rows))]
[10.0, 10.0, 10.0]
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from attrs import define

from llm_perf_opt.validation.points import MeasuredPoint

REPO = Path(__file__).resolve().parents[3]
"""The source checkout this module runs from (``src/llm_perf_opt/validation/compare.py``)."""


def shown_path(path: Path) -> str:
    """``path`` relative to the checkout when inside it (so a report reads the same on every checkout).

    Example
    -------
    >>> shown_path(REPO / "reports" / "validation" / "h100")
    'reports/validation/h100'
    """
    full = path.resolve()
    return full.relative_to(REPO).as_posix() if full.is_relative_to(REPO) else full.as_posix()


@define(frozen=True, kw_only=True)
class ComparisonRow:
    """One point: prediction, measurement, signed error ``(predicted - measured) / measured``."""

    label: str
    stage: str
    mode: str | None
    batch: int
    kv_len: int | None
    predicted_s: float
    measured_s: float
    measured_wall_s: float

    @property
    def error_pct(self) -> float:
        """Signed relative error in percent."""
        return 100.0 * (self.predicted_s - self.measured_s) / self.measured_s


def compare(
    points: Iterable[MeasuredPoint],
    predict: Callable[[MeasuredPoint], float],
    *,
    measured: Callable[[MeasuredPoint], float] = lambda p: p.measured_kernel_s,
) -> list[ComparisonRow]:
    """Rows for ``points`` with ``predict(point)`` against ``measured(point)`` (kernel time by default)."""
    return [
        ComparisonRow(
            label=p.label,
            stage=p.stage,
            mode=p.mode,
            batch=p.batch,
            kv_len=p.kv_len,
            predicted_s=predict(p),
            measured_s=measured(p),
            measured_wall_s=p.measured_wall_s,
        )
        for p in points
    ]


def error_stats(rows: Sequence[ComparisonRow]) -> tuple[float, float]:
    """``(median, max)`` of the absolute percentage errors."""
    errs = [abs(r.error_pct) for r in rows]
    return statistics.median(errs), max(errs)


def summary_dict(gpu: str, rows: Sequence[ComparisonRow]) -> dict[str, Any]:
    """The ``summary.json`` contract of the validation report."""
    median, worst = error_stats(rows)
    return {
        "gpu": gpu,
        "points": [
            {
                "stage": r.stage,
                "mode": r.mode,
                "batch": r.batch,
                "kv_len": r.kv_len,
                "predicted_s": r.predicted_s,
                "measured_kernel_s": r.measured_s,
                "measured_wall_s": r.measured_wall_s,
            }
            for r in rows
        ],
        "median_abs_error_pct": median,
        "max_abs_error_pct": worst,
    }


def markdown_table(rows: Sequence[ComparisonRow], *, predicted_header: str = "predicted (ms)") -> str:
    """A Markdown table of the rows, in input order."""
    lines = [
        f"| point | {predicted_header} | measured kernel (ms) | error | measured wall (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.predicted_s * 1e3:.3f} | {r.measured_s * 1e3:.3f} | {r.error_pct:+.1f}% "
            f"| {r.measured_wall_s * 1e3:.3f} |"
        )
    return "\n".join(lines)
