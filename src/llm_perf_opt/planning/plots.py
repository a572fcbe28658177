"""Plots of a sweep (SVG + PNG), drawn with matplotlib's Agg renderer.

matplotlib is imported only inside these functions (the ``plots`` extra; the analytic path
never needs it). Output is deterministic: SVG ids come from a fixed ``svg.hashsalt``, no file
carries a date, and every figure is drawn from sorted data.

Which points each figure shows (a sweep may vary everything at once):

* the **reference slice**: the first GPU (sorted by name) with the first prompt length,
  generation length and attention kernel of the sorted points, at the smallest batch;
* the **reference view**: Gundam 2x3 (the vendor's grid for an A4 portrait page) when the
  sweep has it, else the slice's view with the median image-token count.

Figures (``<name>.svg`` and ``<name>.png``):

``flops_vs_image_tokens``, ``io_bytes_vs_image_tokens``, ``time_vs_image_tokens``
    per-stage forward FLOPs, bytes moved and roofline time against image tokens per page
    (reference slice; one line per stage and mode, points labelled by crop grid);
``memory_vs_image_tokens``
    the device-memory footprint (weights, peak kernel working set, KV cache at the end) against
    image tokens, with the GPU's usable capacity;
``tensor_vs_cuda_core``
    Tensor-Core and CUDA-core FLOPs per stage (reference view and slice);
``kv_cache_vs_context``
    KV-cache bytes against context length for each batch size of the sweep, with each GPU's
    memory left after the weights;
``ttft_tpot_vs_batch``
    time to first token and time per output token (at the final KV length) against the batch,
    one line per GPU (reference view);
``roofline_<gpu>``
    each layer class placed by arithmetic intensity (FLOPs per byte) and achieved FLOP/s under
    the time model, separately for the time-to-first-token stages and the decode, under the
    GPU's achievable roofs (reference view, smallest batch).

Example
-------
>>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
>>> from modelmeter.models.deepseek_ocr.workload import OCRWorkload
>>> from llm_perf_opt.planning.predict import predict
>>> p = predict(DeepseekOCRArch(), OCRWorkload(crop_grid=(2, 3), max_new_tokens=20), "l4")
>>> files = sweep_plots([p], DeepseekOCRArch())
>>> sorted(files)[:3]
['flops_vs_image_tokens.png', 'flops_vs_image_tokens.svg', 'io_bytes_vs_image_tokens.png']
>>> files["roofline_l4.svg"][:5]
b'<?xml'
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from llm_perf_opt.data.planning import ROOFLINE, PlanningPoint
from llm_perf_opt.data.stage_names import first_token_stages
from llm_perf_opt.hardware.rates import achievable_rates
from llm_perf_opt.planning.predict import hardware_spec
from llm_perf_opt.timing.memory_fit import device_memory_bytes
from llm_perf_opt.timing.roofline import roofline_pieces
from modelmeter.models.deepseek_ocr.layers.core.decode import DeepseekOCRDecodeStep
from modelmeter.models.families import OCRArch, family_of

RC: dict[str, Any] = {
    "svg.hashsalt": "llm-perf-opt",
    "svg.fonttype": "path",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "figure.dpi": 100,
}
"""Fixed rendering settings (``svg.hashsalt`` makes SVG element ids reproducible)."""
PNG_DPI = 130
STAGE_COLORS = {
    "sam": "#1f77b4",
    "clip": "#ff7f0e",
    "qwen2": "#17becf",
    "projector": "#2ca02c",
    "prefill": "#d62728",
    "lm_head": "#9467bd",
    "decode": "#8c564b",
}
MODE_MARKERS = {
    "tiny": "v",
    "small": "^",
    "base": "s",
    "large": "D",
    "gundam": "o",
    "gundam-m": "P",
    "dynamic": "o",
    "global-1024": "s",
    "global-768": "^",
    "custom": "X",
}
STANDARD_GRID = (2, 3)
"""2 crops across x 3 down: the vendor's grid for an A4 portrait page (Gundam; OCR-2's dynamic mode)."""
STANDARD_MODES = ("gundam", "dynamic")
"""The mode of each model's standard workload (the reference view of the plots)."""


def _stages(points: Sequence[PlanningPoint]) -> tuple[str, ...]:
    """The stage names of the points' model (the plots of one sweep show one model)."""
    return tuple(s.stage for s in points[0].stages)


@contextmanager
def _matplotlib() -> Iterator[Any]:
    import matplotlib

    with matplotlib.rc_context(cast(Any, RC)):
        from matplotlib.figure import Figure

        yield Figure


_SUPERSCRIPTS = str.maketrans(
    "-.0123456789", "\u207b\u00b7\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
)
_MATHDEFAULT = ("$\\mathdefault{", "}$")


def _plain_power(label: str) -> str:
    """A log axis's tick label as plain text: matplotlib's ``$\\mathdefault{10^{-3}}$`` (or ``2\\times10^{3}``)
    as ``10⁻³`` (``2×10³``), so the label is laid out as text instead of parsed as mathtext (a tenth of a sweep's
    plotting time)."""
    start, end = _MATHDEFAULT
    if not (label.startswith(start) and label.endswith(end)):
        return label
    mantissa, _, exponent = label[len(start) : -len(end)].partition("^{")
    return mantissa.replace("\\times", "\u00d7") + exponent.rstrip("}").translate(_SUPERSCRIPTS)


def _plain_log_labels(fig: Any) -> None:
    """Give every log axis of ``fig`` still on matplotlib's default power labels the plain-text ones."""
    from matplotlib import ticker

    class PlainPowers(ticker.LogFormatterSciNotation):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return _plain_power(str(super().__call__(x, pos)))

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() != "log":
                continue
            for formatter, setter in (
                (axis.get_major_formatter(), axis.set_major_formatter),
                (axis.get_minor_formatter(), axis.set_minor_formatter),
            ):
                if type(formatter) is ticker.LogFormatterSciNotation:
                    setter(PlainPowers(cast(Any, formatter)._base, labelOnlyBase=formatter.labelOnlyBase))


def _save(fig: Any, name: str, out: dict[str, bytes]) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    _plain_log_labels(fig)
    # the tight bounding box (0.1 inch around what is drawn) measured once for both files: savefig's "tight"
    # lays the whole figure out again for each format before drawing it
    canvas: Any = FigureCanvasAgg(fig)
    bbox = fig.get_tightbbox(canvas.get_renderer()).padded(0.1)
    for fmt, meta in (("svg", {"Date": None}), ("png", {"Software": None})):
        buf = io.BytesIO()
        dpi = PNG_DPI if fmt == "png" else 72
        fig.savefig(buf, format=fmt, metadata=meta, dpi=dpi, bbox_inches=bbox)
        out[f"{name}.{fmt}"] = buf.getvalue()


matplotlib_figure = _matplotlib
"""The Figure class under the fixed rendering settings (a context manager), for other modules' plots."""
save_figure = _save
"""Save a figure as SVG and PNG under the fixed settings into ``out`` (name without extension -> bytes)."""


def _grid_label(p: PlanningPoint) -> str:
    """The crop grid as ROWSxCOLUMNS in a crop mode (1x1 included), else the mode's name."""
    across, down = p.workload.crop_grid
    if p.workload.crop_mode:
        return f"{down}x{across}"
    return p.resolution_mode


def reference_slice(points: Sequence[PlanningPoint]) -> list[PlanningPoint]:
    """The points of the first GPU / time model / prompt / generation length / kernel, at their smallest batch."""
    first = min(points, key=lambda p: (p.hardware, p.runtime, p.workload.prompt_tokens, p.workload.max_new_tokens))
    w0 = first.workload

    def same(p: PlanningPoint) -> bool:
        w = p.workload
        return (p.hardware, p.runtime, w.prompt_tokens, w.max_new_tokens, w.attention, w.dtype) == (
            first.hardware,
            first.runtime,
            w0.prompt_tokens,
            w0.max_new_tokens,
            w0.attention,
            w0.dtype,
        )

    chosen = [p for p in points if same(p)]
    batch = min(p.workload.batch_size for p in chosen)
    return [p for p in chosen if p.workload.batch_size == batch]


def _view_key(p: PlanningPoint) -> tuple[Any, ...]:
    w = p.workload
    return (p.resolution_mode, w.base_size, w.image_size, w.crop_grid, p.page_width, p.page_height)


def reference_view(points: Sequence[PlanningPoint]) -> tuple[Any, ...]:
    """Key of the reference view (Gundam 2x3 when present, else the slice's median by image tokens)."""
    sl = reference_slice(points)
    for p in sl:
        if p.resolution_mode in STANDARD_MODES and p.workload.crop_grid == STANDARD_GRID:
            return _view_key(p)
    ranked = sorted(sl, key=lambda p: (p.image_tokens, _view_key(p)))
    return _view_key(ranked[len(ranked) // 2])


def _series_by_mode(points: Sequence[PlanningPoint]) -> dict[str, list[PlanningPoint]]:
    """Mode -> its points by image tokens, one per workload (pages with the same grid coincide)."""
    out: dict[str, list[PlanningPoint]] = {}
    seen: set[object] = set()
    for p in sorted(points, key=lambda p: (p.image_tokens, _view_key(p))):
        if p.workload not in seen:
            seen.add(p.workload)
            out.setdefault(p.resolution_mode, []).append(p)
    order = list(MODE_MARKERS)
    return dict(sorted(out.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))


def _clusters(xs: Sequence[float], span: float, gap: float = 0.014) -> list[list[int]]:
    """Indices of ``xs`` grouped left to right: a point joins the current group while it is
    within ``gap * span`` of the group's first point (so groups start at least that far apart)."""
    out: list[list[int]] = []
    for i in sorted(range(len(xs)), key=lambda k: xs[k]):
        if out and xs[i] - xs[out[-1][0]] < gap * span:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _figure_with_grid_strip(figure: Any, by_mode: dict[str, list[PlanningPoint]]) -> tuple[Any, Any, Any]:
    """A figure with the main axes on top and, below them on the same x axis, a strip that
    names every view: one row per crop mode (its grids, ROWSxCOLUMNS) and one row for the
    single-view modes. Grids closer than 2% of the x range (same tile count: they differ by
    a few newline tokens) share one label."""
    rows: list[tuple[str, list[PlanningPoint]]] = []
    single = [p for m, ps in by_mode.items() for p in ps if not p.workload.crop_mode]
    if single:
        rows.append(("single view", single))
    rows += [(m, ps) for m, ps in by_mode.items() if ps[0].workload.crop_mode]
    xs_all = [p.image_tokens for _, ps in rows for p in ps]
    span = (max(xs_all) - min(xs_all)) or 1
    labelled: list[tuple[int, float, str, list[float], str]] = []
    for r, (_, series) in enumerate(rows):
        xs = [p.image_tokens for p in series]
        for members in _clusters(xs, span):
            text = " ".join(dict.fromkeys(_grid_label(series[i]) for i in members))
            labelled.append(
                (len(rows) - 1 - r, xs[members[0]], text, [xs[i] for i in members], series[members[0]].resolution_mode)
            )
    row_in = 0.3 + 0.052 * max(len(text) for *_, text, _, _ in labelled)
    fig = figure(figsize=(11, 6.2 + row_in * len(rows)))
    ax, strip = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [6.2, row_in * len(rows)], "hspace": 0.04}
    )
    for y, x, text, near, mode in labelled:
        strip.plot(
            near, [y] * len(near), linestyle="none", color="#555555", marker=MODE_MARKERS.get(mode, "o"), markersize=3
        )
        strip.annotate(
            text, (x, y), textcoords="offset points", xytext=(0, 4), rotation=90, ha="center", va="bottom", fontsize=6
        )
    strip.set_ylim(-0.25, len(rows) - 0.25)
    strip.set_yticks(range(len(rows)), [name for name, _ in reversed(rows)], fontsize=7)
    strip.tick_params(axis="y", length=0)
    strip.grid(True, axis="x", alpha=0.3)
    strip.set_xlabel("image tokens per page (newlines and view separator included); labels: crop grid ROWSxCOLUMNS")
    ax.tick_params(labelbottom=False)
    return fig, ax, strip


def _stage_figure(
    figure: Any, points: Sequence[PlanningPoint], value: Callable[[PlanningPoint, str], float], ylabel: str, title: str
) -> Any:
    by_mode = _series_by_mode(points)
    fig, ax, _ = _figure_with_grid_strip(figure, by_mode)
    for stage in _stages(points):
        for mode, series in by_mode.items():
            xs = [p.image_tokens for p in series]
            ys = [value(p, stage) for p in series]
            if any(ys):
                ax.plot(
                    xs, ys, marker=MODE_MARKERS.get(mode, "o"), markersize=4, linewidth=1, color=STAGE_COLORS[stage]
                )
    _stage_legend(ax, by_mode, _stages(points))
    ax.set_ylabel(ylabel)
    ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def _stage_legend(ax: Any, by_mode: dict[str, list[PlanningPoint]], stages: tuple[str, ...]) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=STAGE_COLORS[s], linewidth=2, label=s) for s in stages]
    handles += [
        Line2D([], [], color="#555555", marker=MODE_MARKERS.get(m, "o"), linestyle="none", label=f"mode {m}")
        for m in by_mode
    ]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)


def _slice_title(p: PlanningPoint) -> str:
    w = p.workload
    return (
        f"{_series_name(p)}, batch {w.batch_size}, prompt {w.prompt_tokens} + {w.max_new_tokens} new tokens, "
        f"{w.attention}"
    )


def _series_name(p: PlanningPoint) -> str:
    """The GPU, with the time model when it is a runtime profile (``h100-sxm`` or ``h100-sxm, hf-eager``)."""
    return p.hardware if p.runtime == ROOFLINE else f"{p.hardware}, {p.runtime}"


def _stage_seconds(p: PlanningPoint, stage: str) -> float:
    return p.stage(stage).wall_seconds  # the roofline under the roofline model


def _stage_flops(p: PlanningPoint, stage: str) -> float:
    s = p.stage(stage)
    return float(s.forward_tensor_core_flops + s.forward_cuda_core_flops)


def _stage_bytes(p: PlanningPoint, stage: str) -> float:
    return float(p.stage(stage).forward_io_bytes)


def _memory_figure(figure: Any, points: Sequence[PlanningPoint]) -> Any:
    by_mode = _series_by_mode(points)
    fig, ax, _ = _figure_with_grid_strip(figure, by_mode)
    parts: tuple[tuple[str, str, Callable[[PlanningPoint], int]], ...] = (
        ("weights", "#1f77b4", lambda p: p.memory.weight_bytes),
        ("peak kernel working set", "#ff7f0e", lambda p: p.memory.peak_activation_bytes),
        ("KV cache at the end", "#2ca02c", lambda p: p.memory.kv_cache_bytes),
        ("total", "#000000", lambda p: p.memory.total_bytes),
    )
    gib = 2**30
    for _, color, get in parts:
        for mode, series in by_mode.items():
            xs = [p.image_tokens for p in series]
            ax.plot(
                xs,
                [get(p) / gib for p in series],
                marker=MODE_MARKERS.get(mode, "o"),
                markersize=4,
                linewidth=1,
                color=color,
            )
    cap = points[0].memory.capacity_bytes / gib
    ax.axhline(cap, color="#d62728", linestyle="--", linewidth=1)
    ax.annotate(
        f"usable memory of {points[0].hardware}: {cap:.1f} GiB",
        (0.01, cap),
        xycoords=("axes fraction", "data"),
        textcoords="offset points",
        xytext=(0, -10),
        fontsize=7,
        color="#d62728",
    )
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, linewidth=2, label=lab) for lab, c, _ in parts]
    handles += [
        Line2D([], [], color="#555555", marker=MODE_MARKERS.get(m, "o"), linestyle="none", label=f"mode {m}")
        for m in by_mode
    ]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_ylabel("device memory (GiB)")
    ax.set_yscale("log")
    ax.set_title("Memory footprint at the end of generation\n" + _slice_title(points[0]))
    ax.grid(True, alpha=0.3)
    return fig


def _split_figure(figure: Any, p: PlanningPoint) -> Any:
    fig = figure(figsize=(8.5, 4.8))
    ax = fig.add_subplot()
    stages = _stages([p])
    xs = list(range(len(stages)))
    tc = [p.stage(s).forward_tensor_core_flops for s in stages]
    cc = [p.stage(s).forward_cuda_core_flops for s in stages]
    width = 0.38
    tc_label = "Tensor-Core FLOPs (matmul, conv, attention)"
    cc_label = "CUDA-core FLOPs (norms, activations, softmax, ...)"
    ax.bar([x - width / 2 for x in xs], tc, width, label=tc_label, color="#1f77b4")
    ax.bar([x + width / 2 for x in xs], cc, width, label=cc_label, color="#ff7f0e")
    ax.set_yscale("log")
    for x, a, b in zip(xs, tc, cc, strict=True):
        share = 100 * b / (a + b) if a + b else 0.0
        top = max(a, b, 1)
        ax.annotate(
            f"CUDA-core {share:.2f}%", (x, top), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=7
        )
        if b == 0:
            ax.annotate(
                "0",
                (x + width / 2, 0),
                xycoords=("data", "axes fraction"),
                textcoords="offset points",
                xytext=(0, 3),
                ha="center",
                fontsize=7,
            )
    ax.set_xticks(xs, list(stages))
    ax.set_ylabel("forward FLOPs per batch (FLOP)")
    ax.set_title(f"Tensor-Core vs CUDA-core work, {p.resolution_mode} {_grid_label(p)}, " + _slice_title(p))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
    ax.grid(True, axis="y", alpha=0.3)
    return fig


KV_FIGURE_BATCHES = 8
"""Most batch sizes the KV-cache figure draws a line for (a sweep of more shows this many, spread over them)."""


def _spread(values: Sequence[int], most: int) -> list[int]:
    """At most ``most`` of the sorted ``values``, evenly spaced by position, the first and the last included.

    >>> _spread(list(range(1, 101)), 4)
    [1, 34, 67, 100]
    """
    if len(values) <= most:
        return list(values)
    return [values[round(i * (len(values) - 1) / (most - 1))] for i in range(most)]


def _kv_figure(
    figure: Any, points: Sequence[PlanningPoint], arch: OCRArch, reference: PlanningPoint | None = None
) -> Any:
    fig = figure(figsize=(9, 5.2))
    ax = fig.add_subplot()
    w0 = points[0].workload
    every_batch = sorted({p.workload.batch_size for p in points})
    batches = _spread(every_batch, KV_FIGURE_BATCHES)
    contexts = [256 * k for k in range(1, 33)]
    gib = 2**30
    for b in batches:
        ys = [
            DeepseekOCRDecodeStep(
                config=arch.language, batch=b, kv_len=c, attention=w0.attention, dtype=w0.dtype
            ).kv_cache_memory_bytes
            / gib
            for c in contexts
        ]
        ax.plot(contexts, ys, linewidth=1.5, label=f"batch {b}")
        ax.annotate(
            f"batch {b}: {ys[-1]:.3g} GiB",
            (contexts[-1], ys[-1]),
            textcoords="offset points",
            xytext=(4, 0),
            va="center",
            fontsize=7,
        )
    weights = points[0].memory.weight_bytes
    for name in sorted({p.hardware for p in points}):
        spec = hardware_spec(name)
        left = (points[0].memory.memory_utilization * device_memory_bytes(spec) - weights) / gib
        ax.axhline(left, linestyle="--", linewidth=0.8, color="#777777")
        ax.annotate(
            f"{name}: {left:.1f} GiB after weights",
            (contexts[0], left),
            textcoords="offset points",
            xytext=(0, 3),
            fontsize=7,
            color="#555555",
        )
    ax.set_xlabel("context length per page (tokens in the KV cache: prefill + generated)")
    ax.set_ylabel("KV cache (GiB, all pages of the batch)")
    ax.set_yscale("log")
    ax.set_xlim(0, contexts[-1] * 1.22)
    if reference is not None:
        ctx = reference.prefill_tokens + reference.decode_steps
        ax.axvline(ctx, color="#999999", linestyle=":", linewidth=1)
        ax.annotate(
            f"{reference.resolution_mode} {_grid_label(reference)}: {reference.prefill_tokens} prefill + "
            f"{reference.decode_steps} generated = {ctx}",
            (ctx, 0.02),
            xycoords=("data", "axes fraction"),
            textcoords="offset points",
            xytext=(3, 0),
            fontsize=7,
            color="#555555",
        )
    layers = arch.language.num_hidden_layers
    ax.set_title(f"KV cache vs context length ({w0.dtype}, {layers} layers x keys and values)")
    shown = "" if len(batches) == len(every_batch) else f"{len(batches)} of the sweep's {len(every_batch)} batch sizes"
    ax.legend(loc="lower right", frameon=False, title=shown or None, title_fontsize=7)
    ax.grid(True, alpha=0.3)
    return fig


def _batch_figure(figure: Any, points: Sequence[PlanningPoint], view: tuple[Any, ...]) -> Any:
    """TTFT and time per output token against the batch, one line per GPU. Every point is
    labelled with its value when there are at most 3 GPUs and 6 batches; otherwise each line's
    last point is labelled with the GPU and its value."""
    fig = figure(figsize=(12, 5.2))
    ax_ttft, ax_tpot = fig.subplots(1, 2)
    first = reference_slice(points)[0].workload
    chosen = [
        p
        for p in points
        if _view_key(p) == view
        and (p.workload.prompt_tokens, p.workload.max_new_tokens, p.workload.attention)
        == (first.prompt_tokens, first.max_new_tokens, first.attention)
    ]
    names = sorted({_series_name(p) for p in chosen})
    batches = sorted({p.workload.batch_size for p in chosen})
    every_point = len(names) <= 3 and len(batches) <= 6
    labels: dict[int, list[tuple[float, float, str, str]]] = {0: [], 1: []}
    for k, name in enumerate(names):
        color = f"C{k % 10}"
        series = sorted((p for p in chosen if _series_name(p) == name), key=lambda p: p.workload.batch_size)
        xs = [p.workload.batch_size for p in series]
        for panel, (ax, ys) in enumerate(
            (
                (ax_ttft, [p.ttft_seconds * 1e3 for p in series]),
                (ax_tpot, [p.tpot_final_seconds * 1e3 for p in series]),
            )
        ):
            ax.plot(xs, ys, marker="o", markersize=4, linewidth=1.2, label=name, color=color)
            if every_point:
                labels[panel] += [(x, y, _milliseconds(y), color) for x, y in zip(xs, ys, strict=True)]
            else:
                labels[panel].append((xs[-1], ys[-1], f"{name} {_milliseconds(ys[-1])}", color))
    example = chosen[0] if chosen else points[0]
    for panel, (ax, title) in enumerate(
        (
            (ax_ttft, "time to first token (vision + prefill + LM head)"),
            (ax_tpot, "time per output token at the final KV length"),
        )
    ):
        ax.set_xscale("log", base=2)
        ax.set_xticks(batches, [str(b) for b in batches])
        ax.minorticks_off()
        ax.set_xlim(batches[0] / 1.4, batches[-1] * (1.8 if every_point else 6))
        ax.set_yscale("log")
        ax.set_ylim(*ax.get_ylim())
        ax.set_xlabel("batch size (pages per call)")
        ax.set_ylabel("milliseconds")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(frameon=False, fontsize=7, loc="upper left")
        found = labels[panel]
        _place_labels(
            ax, [x for x, *_ in found], [y for _, y, *_ in found], [t for *_, t, _ in found], [c for *_, c in found]
        )
    w = example.workload
    fig.suptitle(
        f"{example.resolution_mode} {_grid_label(example)} ({example.image_tokens} image tokens), prompt "
        f"{w.prompt_tokens}, {w.max_new_tokens} new tokens, {w.attention}",
        fontsize=10,
    )
    return fig


def _place_labels(
    ax: Any,
    xs: Sequence[float],
    ys: Sequence[float],
    texts: Sequence[str],
    color: str | Sequence[str],
    fontsize: float = 6.5,
) -> None:
    """Write each text beside its point at the first of a few offsets where it overlaps no text
    placed before (widths estimated from the font size), with a leader line when set apart.
    The axes limits must be final."""
    fig = ax.figure
    to_pt = 72.0 / fig.dpi
    placed: list[tuple[float, float, float, float]] = []
    offsets = [(5, 3), (5, -9), (5, 12), (5, -18), (-5, 3), (-5, -9), (-5, 12), (-5, -18), (14, 22), (14, -28),
               (-14, 22), (-14, -28), (24, 34), (24, -40)]  # fmt: skip
    order = sorted(range(len(xs)), key=lambda i: (-ys[i], xs[i]))
    for i in order:
        px, py = (v * to_pt for v in ax.transData.transform((xs[i], ys[i])))
        width, height = 0.6 * fontsize * len(texts[i]), 1.15 * fontsize
        chosen = offsets[-1]
        for dx, dy in offsets:
            x0 = px + dx - (width if dx < 0 else 0)
            box = (x0, py + dy, x0 + width, py + dy + height)
            if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed):
                chosen = (dx, dy)
                break
        dx, dy = chosen
        x0 = px + dx - (width if dx < 0 else 0)
        placed.append((x0, py + dy, x0 + width, py + dy + height))
        far = abs(dy) > 10 or abs(dx) > 10
        ax.annotate(
            texts[i],
            (xs[i], ys[i]),
            textcoords="offset points",
            xytext=(dx, dy),
            ha="right" if dx < 0 else "left",
            va="bottom",
            fontsize=fontsize,
            color=color if isinstance(color, str) else color[i],
            arrowprops={"arrowstyle": "-", "color": "#bbbbbb", "linewidth": 0.5} if far else None,
        )


PHASES: tuple[str, ...] = ("time to first token", "decode")


def _milliseconds(ms: float) -> str:
    """``12.3 ms``, or ``3.42 s`` from a second up."""
    return f"{ms / 1e3:.3g} s" if ms >= 1000 else f"{ms:.3g} ms"


def _class_points(p: PlanningPoint, arch: OCRArch) -> dict[str, dict[str, list[float]]]:
    """phase -> layer class -> [FLOPs, bytes, seconds] summed over the pieces of that class."""
    spec = hardware_spec(p.hardware)
    layers = family_of(arch).model(arch, p.workload).stage_layers()
    out: dict[str, dict[str, list[float]]] = {phase: {} for phase in PHASES}
    stages = _stages([p])
    for stage in stages:
        phase = PHASES[0] if stage in first_token_stages(stages) else PHASES[1]
        for piece in roofline_pieces(layers[stage], spec, min_kernel_seconds=p.min_kernel_seconds):
            acc = out[phase].setdefault(piece.layer_name, [0.0, 0.0, 0.0])
            acc[0] += piece.calls * (piece.tensor_core_flops + piece.cuda_core_flops)
            acc[1] += piece.calls * piece.io_bytes
            acc[2] += piece.total_seconds
    return {phase: dict(sorted(classes.items())) for phase, classes in out.items()}


def _roofline_figure(figure: Any, p: PlanningPoint, arch: OCRArch) -> Any:
    spec = hardware_spec(p.hardware)
    rates = achievable_rates(spec)
    fig = figure(figsize=(13, 6.2))
    axes = fig.subplots(1, 2, sharey=True)
    classes = _class_points(p, arch)
    pts = {
        phase: [(name, f / b, f / t / 1e12) for name, (f, b, t) in cl.items() if f > 0 and b > 0 and t > 0]
        for phase, cl in classes.items()
    }
    xs_all = [x for v in pts.values() for _, x, _ in v]
    ys_all = [y for v in pts.values() for _, _, y in v]
    lo, hi = min([*xs_all, 0.1]) / 4, max([*xs_all, 1000.0]) * 4
    grid = [lo * (hi / lo) ** (k / 200) for k in range(201)]
    bw = rates.memory_bytes_per_s
    top = rates.tensor_core_flops_per_s / 1e12 * 3
    bottom = min([*ys_all, 1.0]) / 4
    colors = {PHASES[0]: "#1f77b4", PHASES[1]: "#d62728"}
    for ax, phase in zip(axes, PHASES, strict=True):
        for peak, label, style in (
            (rates.tensor_core_flops_per_s, "Tensor-Core roof", "-"),
            (rates.cuda_core_flops_per_s, "CUDA-core roof", ":"),
        ):
            ax.plot(
                grid,
                [min(peak, x * bw) / 1e12 for x in grid],
                style,
                color="#444444",
                linewidth=1.2,
                label=f"{label}: {peak / 1e12:.0f} TFLOP/s; memory {bw / 1e12:.2f} TB/s",
            )
        names = [n for n, _, _ in pts[phase]]
        xs = [x for _, x, _ in pts[phase]]
        ys = [y for _, _, y in pts[phase]]
        ax.plot(xs, ys, marker="o", color=colors[phase], markersize=5, linestyle="none")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(bottom, top)
        _place_labels(ax, xs, ys, names, colors[phase])
        ax.set_xlabel("arithmetic intensity (forward FLOPs per byte moved)")
        stages = "vision + prefill + LM head" if phase == PHASES[0] else f"{p.decode_steps} decode steps"
        ax.set_title(f"{phase} ({stages})")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="lower right", frameon=False, fontsize=7)
    axes[0].set_ylabel("achieved under the time model (TFLOP/s)")
    fig.text(
        0.01,
        0.005,
        "Classes with no FLOPs (embedding lookup, the image-row scatter) move bytes only and are not placed.",
        fontsize=7,
        color="#555555",
    )
    fig.suptitle(
        f"Roofline on {spec.display_name} (achievable rates): each layer class of {p.resolution_mode} "
        f"{_grid_label(p)} at batch {p.workload.batch_size}, all its calls together",
        fontsize=10,
    )
    return fig


def _render(task: tuple[str, Callable[..., Any], tuple[Any, ...]]) -> dict[str, bytes]:
    """One figure, built and written as SVG and PNG (run in a worker process)."""
    name, build, args = task
    out: dict[str, bytes] = {}
    with _matplotlib() as figure:
        _save(build(figure, *args), name, out)
    return out


def sweep_plots(points: Sequence[PlanningPoint], arch: OCRArch) -> dict[str, bytes]:
    """Every figure of the module docstring, as ``{file name: bytes}`` (sorted by name), for the points of one
    model (``arch``'s).

    The figures are independent, so they are drawn on up to two worker processes (matplotlib's text layout is
    most of a sweep's time); each file's bytes are the same as drawn alone."""
    if not points:
        return {}
    sl = reference_slice(points)
    view = reference_view(points)
    ref = next(p for p in sl if _view_key(p) == view)
    title = _slice_title(sl[0])
    seconds_label = f"{'roofline' if sl[0].runtime == ROOFLINE else sl[0].runtime + ' wall'} time per batch (s)"
    tasks: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
        (
            "flops_vs_image_tokens",
            _stage_figure,
            (
                sl,
                _stage_flops,
                "forward FLOPs per batch (FLOP, Tensor-Core + CUDA-core)",
                "Forward FLOPs per stage\n" + title,
            ),
        ),
        (
            "io_bytes_vs_image_tokens",
            _stage_figure,
            (sl, _stage_bytes, "forward bytes moved per batch (B)", "Memory traffic per stage\n" + title),
        ),
        (
            "time_vs_image_tokens",
            _stage_figure,
            (sl, _stage_seconds, seconds_label, "Predicted time per stage\n" + title),
        ),
        ("memory_vs_image_tokens", _memory_figure, (sl,)),
        ("tensor_vs_cuda_core", _split_figure, (ref,)),
        ("kv_cache_vs_context", _kv_figure, (list(points), arch, ref)),
        ("ttft_tpot_vs_batch", _batch_figure, (list(points), view)),
    ]
    rooflines: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = []
    for name in sorted({p.hardware for p in points}):
        at = [p for p in points if p.hardware == name and _view_key(p) == view]
        smallest = min(at or [p for p in points if p.hardware == name], key=lambda p: p.workload.batch_size)
        rooflines.append((f"roofline_{name}", _roofline_figure, (smallest, arch)))
    # the rooflines (two log-log panels with placed labels) take the longest: queued first, so that the workers
    # finish together instead of one drawing the last roofline alone
    tasks = rooflines + tasks
    import multiprocessing

    import matplotlib.figure  # noqa: F401  (imported once here, inherited by the forked workers)

    out: dict[str, bytes] = {}
    workers = min(2, os.cpu_count() or 1, len(tasks))
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for files in pool.map(_render, tasks, chunksize=1):
                out |= files
    else:
        for task in tasks:
            out |= _render(task)
    return dict(sorted(out.items()))
