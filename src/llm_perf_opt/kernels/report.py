"""Markdown for the "Where the time goes" section of ``report.md``: per stage, the roofline and
what a runtime adds on top of it, up to the predicted wall time (the parts add up to it; see
:mod:`llm_perf_opt.kernels.timing`).

Example
-------
>>> from llm_perf_opt.kernels.timing import StageRuntime
>>> rt = StageRuntime(stage="decode", roofline_s=1e-3, predicted_kernel_s=2e-3, predicted_wall_s=4e-3,
...     kernel_launches=900, host_launches=900, host_syncs=11, graph_launches=0, attention_io_s=0.0,
...     kernel_split_s=5e-4, small_kernel_floor_s=5e-4, launch_overhead_s=1.5e-3, sync_s=5e-4)
>>> text = where_time_goes_markdown({"decode": rt}, runtime="hf-eager", hardware="h100-sxm")
>>> print(text.splitlines()[0])
## Where the time goes (runtime `hf-eager`, hardware `h100-sxm`)
>>> [line for line in text.splitlines() if line.startswith("| decode")][0].split(" | ")[9]  # the wall time
'4.000'
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from llm_perf_opt.kernels.timing import SHARE_NAMES, StageRuntime

SHARE_LABELS: dict[str, str] = {
    "roofline_s": "roofline",
    "attention_io_s": "attention I/O",
    "kernel_split_s": "kernel split & extra traffic",
    "small_kernel_floor_s": "small-kernel inefficiency",
    "launch_overhead_s": "launch overhead",
    "sync_s": "host syncs",
}
"""Column label of each part of the wall time."""

DEFINITIONS = (
    "- **roofline**: every layer's own work at the GPU's calibrated matmul, CUDA-core and copy rates, attention "
    "as flash (scores on chip), no fixed costs: the ideal.",
    "- **attention I/O**: materialised attention (score matrices written and read, fp32 softmax, mask add, layout "
    "copies) over the flash ideal.",
    "- **kernel split & extra traffic**: the rest of the runtime's kernel work over the ideal: a layer's work split "
    "into several kernels and the intermediates they write (fp32 casts, layout copies); negative where fused kernels "
    "beat the per-layer pieces.",
    "- **small-kernel inefficiency**: kernel time beyond the roofline at the large-kernel rates: with the GPU's "
    "measured kernel-time curves, each kernel kind's fixed cost, small GEMMs, attention and copies below their "
    "asymptotic rates, strided and broadcasting access; without curves, kernels shorter than the minimum kernel "
    "duration.",
    "- **launch overhead**: the host's per-launch cost where it exceeds the kernel it launches, plus CUDA-graph "
    "launches.",
    "- **host syncs**: device-to-host round trips (each drains the launch queue).",
)


def _ms(seconds: float) -> str:
    ms = round(seconds * 1e3, 3)
    return f"{ms + 0.0:.3f}"  # + 0.0 turns a rounded -0.0 into 0.0


def _part(seconds: float, wall: float) -> str:
    pct = round(100.0 * seconds / wall) if wall else 0
    return f"{_ms(seconds)} ({pct + 0} %)"


def _total(times: Mapping[str, StageRuntime]) -> StageRuntime:
    rows = list(times.values())

    def add(name: str) -> float:
        return math.fsum(float(getattr(r, name)) for r in rows)

    def count(name: str) -> int:
        return sum(int(getattr(r, name)) for r in rows)

    return StageRuntime(
        stage="total",
        roofline_s=add("roofline_s"),
        predicted_kernel_s=add("predicted_kernel_s"),
        predicted_wall_s=add("predicted_wall_s"),
        kernel_launches=count("kernel_launches"),
        host_launches=count("host_launches"),
        host_syncs=count("host_syncs"),
        graph_launches=count("graph_launches"),
        attention_io_s=add("attention_io_s"),
        kernel_split_s=add("kernel_split_s"),
        small_kernel_floor_s=add("small_kernel_floor_s"),
        launch_overhead_s=add("launch_overhead_s"),
        sync_s=add("sync_s"),
    )


def where_time_goes_markdown(
    times: Mapping[str, StageRuntime],
    *,
    runtime: str,
    hardware: str,
    heading: str = "##",
) -> str:
    """The section: one row per stage (and a total) with the roofline, each part the runtime adds
    (ms and share of the wall time), the wall and kernel times, launches, syncs and the largest gap."""
    head = [
        "stage",
        "kernels",
        "syncs",
        *(f"{SHARE_LABELS[n]} (ms)" for n in SHARE_NAMES),
        "wall (ms)",
        "kernel time (ms)",
        "largest gap",
    ]
    lines = [
        f"{heading} Where the time goes (runtime `{runtime}`, hardware `{hardware}`)",
        "",
        "Predicted per stage: the roofline, then what the runtime adds on top of it; the parts add up to the "
        "predicted wall time (percentages of it). Kernel time is the GPU's busy time (roofline, attention I/O, "
        "kernel split and the small-kernel inefficiency).",
        "",
        "| " + " | ".join(head) + " |",
        "|---|" + "---:|" * (len(head) - 2) + "---|",
    ]
    rows = dict(times)
    if len(rows) > 1:
        rows["total"] = _total(times)
    for name, rt in rows.items():
        wall = rt.predicted_wall_s
        cells = [
            name,
            f"{rt.kernel_launches:,}",
            f"{rt.host_syncs:,}",
            *(_part(v, wall) for v in rt.shares().values()),
            _ms(wall),
            _ms(rt.predicted_kernel_s),
            SHARE_LABELS.get(rt.largest_gap, rt.largest_gap),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *DEFINITIONS, ""]
    return "\n".join(lines)
