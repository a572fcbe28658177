"""What ``--mode serve`` writes: ``serve.csv`` (every configuration), ``report.md`` (the answer first) and the
throughput-latency plots (one per GPU: pages/s against p90 page latency as ``max_num_seqs`` grows).

Example
-------
>>> serve_csv_text([]).splitlines()[0].split(",")[:3]
['rank', 'hardware', 'runtime']
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import attrs

from llm_perf_opt.planning.table import csv_cell
from llm_perf_opt.serving.records import ServePoint, ServeSummary
from llm_perf_opt.visualize.tables import markdown_table

_FIELDS = [a.name for a in attrs.fields(ServePoint)]


def serve_csv_text(points: Sequence[ServePoint]) -> str:
    """``serve.csv``: a ``rank`` column, then :class:`ServePoint`'s fields in order, best first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["rank", *_FIELDS])
    for i, p in enumerate(points, start=1):
        writer.writerow([i, *(csv_cell(getattr(p, f)) for f in _FIELDS)])
    return buf.getvalue()


def _n(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def _pages_day(value: float) -> str:
    return f"{value / 1000:,.0f}k"


def headline(summary: ServeSummary) -> str:
    """One paragraph: the best configuration, its pages per day, latencies and what the target takes."""
    p = summary.answer
    if p is None:
        return "No configuration meets the latency SLA at any offered load tried (see the table below)."
    tp = f", tensor parallel {p.tensor_parallel}" if p.tensor_parallel > 1 else ""
    text = (
        f"Best: **{p.hardware}**, {p.mix} pages, `max_num_seqs={p.max_num_seqs}`{tp} under `{p.runtime}`: "
        f"**{_pages_day(p.pages_per_day)} pages/day** per replica ({_n(p.pages_per_s)} pages/s, "
        f"{_n(p.output_tokens_per_s, 0)} output tokens/s at {p.load:.0%} of its capacity of "
        f"{_n(p.capacity_pages_per_s)} pages/s), p90 time to first token {_n(p.ttft_p90_s)} s, "
        f"p90 page latency {_n(p.latency_p90_s)} s."
    )
    if p.gpus is not None and summary.inputs.target_pages_per_day is not None:
        gpus = f"{p.gpus} GPU" + ("s" if p.gpus > 1 else "")
        replicas = f"{p.replicas} replica" + ("s" if p.replicas != 1 else "")
        text += f" {summary.inputs.target_pages_per_day:,.0f} pages/day take **{gpus}** ({replicas})"
        if p.fleet_cost_per_hour is not None:
            text += f", {_n(p.fleet_cost_per_hour)} per hour"
        text += "."
    return text


def _row(i: int, p: ServePoint) -> list[str]:
    return [
        str(i),
        p.hardware,
        p.mix,
        str(p.max_num_seqs),
        str(p.tensor_parallel),
        _n(p.capacity_pages_per_s),
        f"{p.load:.0%}",
        _pages_day(p.pages_per_day),
        _n(p.output_tokens_per_s, 0),
        _n(p.ttft_p90_s),
        _n(p.latency_p90_s),
        f"{p.gpu_busy_fraction:.0%}",
        str(p.preemptions),
        "yes" if p.meets_sla else "no",
        "" if p.gpus is None else str(p.gpus),
        "" if p.cost_per_million_pages is None else _n(p.cost_per_million_pages),
    ]


HEADERS = [
    "rank", "GPU", "pages", "max_num_seqs", "TP", "capacity pages/s", "load", "pages/day", "tokens/s",
    "p90 TTFT s", "p90 latency s", "GPU busy", "preemptions", "SLA", "GPUs", "cost / 1M pages",
]  # fmt: skip


def best_text(summary: ServeSummary, *, best: int = 5) -> str:
    """The best few configurations as a console table (the whole table is ``serve.csv``)."""
    from llm_perf_opt.visualize.tables import text_table

    return text_table(HEADERS, [_row(i, p) for i, p in enumerate(summary.points[:best], 1)])


def report_markdown(summary: ServeSummary, *, best: int = 5, plots: Sequence[str] = ()) -> str:
    """``report.md``: the answer, the best few configurations, the inputs, the plots; the whole table is in
    ``serve.csv``."""
    s = summary.inputs
    e = s.engine
    sla = []
    if s.sla.ttft_p90_s is not None:
        sla.append(f"p90 time to first token <= {s.sla.ttft_p90_s:g} s")
    if s.sla.latency_p90_s is not None:
        sla.append(f"p90 page latency <= {s.sla.latency_p90_s:g} s")
    lines = [
        "# Serving DeepSeek-OCR pages",
        "",
        headline(summary),
        "",
        f"## The best {min(best, len(summary.points))} of {len(summary.points)} configurations",
        "",
        markdown_table(HEADERS, [_row(i, p) for i, p in enumerate(summary.points[:best], 1)], align="lllrrrrrrrrrrlrr"),
        "",
        "Every configuration: `serve.csv`. Capacity: a backlog served flat out; load: the highest offered load "
        "(a fraction of the capacity) whose p90 latencies meet the SLA; pages/day, tokens/s and latencies at "
        "that load (docs/serving.md).",
        "",
        "## Inputs",
        "",
        f"* GPUs: {', '.join(s.hardware)}; runtime profile: `{s.runtime}`",
        f"* pages: {', '.join(c.label for c in s.page_mix)} (modes searched: {', '.join(s.modes)}); output tokens "
        f"per page: mean {s.output_tokens.mean:,}, coefficient of variation {s.output_tokens.cv:g}",
        f"* engine: max_num_seqs {', '.join(map(str, s.max_num_seqs))}; max_num_batched_tokens "
        f"{e.max_num_batched_tokens:,}; block size {e.block_size}; gpu_memory_utilization "
        f"{e.gpu_memory_utilization:g}; max_model_len {e.max_model_len:,}; CUDA-graph pool {e.graph_pool_gib:g} GiB; "
        f"{e.preprocess_threads} pre-processing threads at {e.preprocess_s_per_page:g} s per page; scheduler "
        f"{e.scheduler}; host loop `{e.host_loop}`"
        + (f" plus {1000 * e.step_overhead_s:g} ms per step" if e.step_overhead_s else "")
        + f"; vision {'per page' if e.vision_per_page else 'batched'}; kernel data `{e.kernel_data}`; tensor parallel "
        f"{', '.join(map(str, s.tensor_parallel))}",
        f"* SLA: {'; '.join(sla) if sla else 'none'}; target: "
        + ("none" if s.target_pages_per_day is None else f"{s.target_pages_per_day:,.0f} pages/day"),
        f"* trace: {s.requests:,} pages, seed {s.seed}, loads tried {', '.join(f'{x:g}' for x in s.loads)}",
    ]
    if plots:
        lines += ["", "## Throughput against latency", ""]
        lines += [f"![{name}]({name})" for name in plots]
    return "\n".join(lines) + "\n"


def throughput_latency_plots(points: Sequence[ServePoint]) -> dict[str, bytes]:
    """``plots/throughput-latency-<gpu>.svg`` and ``.png``: per GPU, one line per mix (and tensor
    parallelism), pages/s against p90 page latency, each point labelled with its ``max_num_seqs``."""
    from llm_perf_opt.planning.plots import matplotlib_figure, save_figure

    out: dict[str, bytes] = {}
    for gpu in sorted({p.hardware for p in points}):
        mine = [p for p in points if p.hardware == gpu]
        with matplotlib_figure() as figure:
            fig: Any = figure(figsize=(6.4, 4.2))
            ax = fig.add_subplot()
            for key in sorted({(p.mix, p.tensor_parallel) for p in mine}):
                line = sorted((p for p in mine if (p.mix, p.tensor_parallel) == key), key=lambda p: p.max_num_seqs)
                label = key[0] if key[1] == 1 else f"{key[0]}, TP {key[1]}"
                ax.plot([p.latency_p90_s for p in line], [p.pages_per_s for p in line], marker="o", label=label)
                for p in line:
                    ax.annotate(str(p.max_num_seqs), (p.latency_p90_s, p.pages_per_s), fontsize=7,
                                xytext=(3, 3), textcoords="offset points")  # fmt: skip
            ax.set_xlabel("p90 page latency (s)")
            ax.set_ylabel("pages/s per replica")
            ax.set_title(f"{gpu}: throughput against latency as max_num_seqs grows")
            ax.grid(True, alpha=0.3)
            ax.legend()
            save_figure(fig, f"plots/throughput-latency-{gpu}", out)
    return out
