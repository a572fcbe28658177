"""``report.md``: the stage table, the top modules by FLOPs and by bytes, operator-category
shares, the TorchInfo cross-check, the module hierarchy with call counts, links to the layer pages.

Example
-------
>>> from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_inputs
>>> from llm_perf_opt.runners.report_builder import build_report
>>> text = render_report_markdown(build_report(resolve_inputs(WorkloadFlags(max_new_tokens=2))))
>>> text.splitlines()[0]
'# DeepSeek-OCR analytic report: dsocr-standard-v1'
>>> "[Attention](layers/Attention.md)" in text
True
"""

from __future__ import annotations

from collections.abc import Sequence

from llm_perf_opt.data.analytic_report import AnalyticModelReport
from llm_perf_opt.data.module_node import AnalyticModuleNode
from llm_perf_opt.data.operator_category import OperatorCategory
from llm_perf_opt.runners.report_builder import metrics_of
from llm_perf_opt.runners.summary_builder import stage_summary
from llm_perf_opt.visualize.layer_pages import page_name
from llm_perf_opt.visualize.number_format import grouped, percent, si
from llm_perf_opt.visualize.stage_table import render_stage_markdown
from llm_perf_opt.visualize.tables import markdown_table

TOP_N = 15


def _link(class_name: str) -> str:
    return f"[{class_name}](layers/{page_name(class_name)})"


def _fwd_flops(node: AnalyticModuleNode) -> int:
    return metrics_of(node.metrics).forward_flops


def _fwd_io(node: AnalyticModuleNode) -> int:
    return metrics_of(node.metrics).forward_io_bytes


def _workload_section(report: AnalyticModelReport) -> list[str]:
    w, g = report.workload, report.geometry
    rows = [
        ["model", report.model.name, report.model.config_source],
        ["workload", w.id, w.description],
        ["resolution mode", w.resolution_mode, w.sources.get("resolution_mode", "")],
        ["global view / crop size", f"{w.base_size} / {w.image_size} px", w.sources.get("base_size", "")],
        ["crop mode", str(w.crop_mode).lower(), w.sources.get("crop_mode", "")],
        [
            "page size",
            f"{w.image_width}x{w.image_height} px" if w.image_width else "not given",
            w.sources.get("image_width", ""),
        ],
        [
            "crop grid (rows x columns)",
            f"{g.crop_grid.rows}x{g.crop_grid.columns} ({g.n_crops} crops)",
            w.sources.get("crop_grid", ""),
        ],
        ["prompt tokens (besides BOS)", str(w.prompt_tokens), w.sources.get("prompt_tokens", "")],
        ["image tokens", grouped(g.image_tokens), report.model.family.image_rows],
        ["prefill tokens", grouped(g.prefill_tokens), "1 BOS + prompt tokens + image tokens"],
        ["max new tokens", grouped(w.max_new_tokens), w.sources.get("max_new_tokens", "")],
        ["decode forwards", grouped(g.decode_steps), "max_new_tokens - 1 (the prefill's logits give the first token)"],
        ["batch size", str(w.batch_size), w.sources.get("batch_size", "")],
        ["dtype", w.dtype, w.sources.get("dtype", "")],
        ["attention", w.attention, w.sources.get("attention", "")],
    ]
    out = ["## Model and workload", "", markdown_table(["", "value", "source / note"], rows), ""]
    if report.workload_overrides:
        out += ["Command-line overrides: " + ", ".join(f"`{o}`" for o in report.workload_overrides), ""]
    return out


def _top_section(title: str, nodes: list[AnalyticModuleNode], key_name: str, total: int, unit: str) -> list[str]:
    key = _fwd_flops if key_name == "flops" else _fwd_io
    ranked = sorted(nodes, key=lambda n: (-key(n), n.stage or "", n.id))[:TOP_N]
    rows = [
        [f"`{n.id}`", n.stage or "", _link(n.class_name), grouped(n.calls), si(key(n), unit), percent(key(n), total)]
        for n in ranked
    ]
    return [
        f"## {title}",
        "",
        "Leaf modules (operators), all calls of the node together.",
        "",
        markdown_table(["node", "stage", "class", "calls", "forward " + unit, "share"], rows, "lllrrr"),
        "",
    ]


def _category_section(report: AnalyticModelReport) -> list[str]:
    root = report.nodes[0]
    total = metrics_of(report.total)
    rows = []
    for om in root.categories:
        m = metrics_of(om.metrics)
        rows.append(
            [
                om.category.value,
                si(m.forward_tensor_core_flops, "FLOP"),
                si(m.forward_cuda_core_flops, "FLOP"),
                percent(m.forward_flops, total.forward_flops),
                si(m.forward_io_bytes, "B"),
                percent(m.forward_io_bytes, total.forward_io_bytes),
                grouped(m.params),
            ]
        )
    headers = ["category", "TC FLOPs", "CUDA FLOPs", "share of FLOPs", "I/O", "share of I/O", "params"]
    return [
        "## Operator-category shares",
        "",
        "The whole call (all stages), split by the category of the layer that does the work; categories: "
        + ", ".join(c.value for c in OperatorCategory)
        + ".",
        "",
        markdown_table(headers, rows, "lrrrrrr"),
        "",
    ]


def _torchinfo_section(report: AnalyticModelReport) -> list[str]:
    t = report.torchinfo
    if t is None:
        return []
    rows = [
        [
            c.class_name,
            c.status,
            c.basis,
            ", ".join(_link(a) for a in c.analytic_classes) or "-",
            f"{c.instances_matched}/{c.instances}",
            str(c.rows_compared),
            grouped(c.torchinfo_params) if c.torchinfo_params is not None else "-",
            grouped(c.analytic_params) if c.analytic_params is not None else "-",
        ]
        for c in t.classes
    ]
    mismatches = (
        ", ".join(
            f"{m.class_name} ({grouped(m.torchinfo_params)} vs {grouped(m.analytic_params)})"
            for m in t.param_mismatches
        )
        or "none"
    )
    return [
        "## TorchInfo cross-check",
        "",
        f"Artifacts: `{t.source_dir}`. {t.layer_classes} traced layer classes: {t.modeled} modeled, "
        f"{len(t.unclassified)} unclassified ({', '.join(t.unclassified) or 'none'}). "
        f"Parameters: TorchInfo {grouped(t.torchinfo_total_params)}, analytic {grouped(t.analytic_total_params)}. "
        f"Mismatches: {mismatches}.",
        "",
        markdown_table(
            [
                "traced class",
                "status",
                "basis",
                "analytic classes",
                "instances matched",
                "rows compared",
                "TorchInfo params",
                "analytic params",
            ],
            rows,
            "llllrrrr",
        ),
        "",
    ]


HIERARCHY_DEPTH = 3
"""Levels of the module tree report.md shows below the model (the whole tree is in report.json)."""


def _hierarchy_section(report: AnalyticModelReport) -> list[str]:
    rows = []
    depth: dict[str, int] = {}
    for n in report.nodes:  # parents come before their children
        depth[n.id] = 0 if n.parent is None or n.parent not in depth else depth[n.parent] + 1
        if depth[n.id] > HIERARCHY_DEPTH:
            continue
        m = metrics_of(n.metrics)
        rows.append(
            [
                f"`{n.id}`" if n.id else "(model)",
                _link(n.class_name),
                grouped(n.calls),
                grouped(n.instances),
                si(m.forward_flops, "FLOP"),
                si(m.forward_io_bytes, "B"),
                grouped(m.params),
            ]
        )
    return [
        "## Module hierarchy",
        "",
        f"The top {HIERARCHY_DEPTH} levels below the model, parents before children (every node of the tree is in "
        "`report.json`, under `nodes`, and each layer class has its page). Ids are vendor module paths below the "
        "stage, with call tags (`[crops]`, `[global]`, `steps[last]` ...) telling repeated calls apart; `*` stands "
        "for a run of identical experts. Calls multiply along the path; numbers are totals over all calls.",
        "",
        markdown_table(
            ["node", "class", "calls", "instances", "forward FLOPs", "forward I/O", "params"], rows, "llrrrrr"
        ),
        "",
    ]


def render_report_markdown(
    report: AnalyticModelReport, *, lead_sections: Sequence[str] = (), extra_sections: Sequence[str] = ()
) -> str:
    """The whole ``report.md``; ``lead_sections`` (Markdown: the answer) open it, ``extra_sections`` (e.g.
    predicted times per stage) follow the stage table."""
    leaves_parent = {n.parent for n in report.nodes}
    leaves = [n for n in report.nodes if n.id not in leaves_parent]
    total = metrics_of(report.total)
    stages = {s.stage: stage_summary(s.metrics) for s in report.stages}
    lines = [f"# {report.model.family.display_name} analytic report: {report.workload.id}", ""]
    for section in lead_sections:
        lines += [section.rstrip("\n"), ""]
    lines += _workload_section(report)
    lines += [
        "## Stages",
        "",
        "Forward FLOPs (Tensor-Core = what `FlopCounterMode` counts; CUDA-core = norms, activations, softmax, "
        "elementwise), forward I/O bytes, memory held, parameters. `lm_head` covers the prefill positions; "
        "`decode` covers every decode forward (its LM head included); it re-reads the prefill's weights every step "
        "and holds the KV cache at its final length.",
        "",
        render_stage_markdown(stages),
        "",
        f"Total: {si(total.forward_flops, 'FLOP')} forward, {si(total.forward_io_bytes, 'B')} forward I/O, "
        f"{grouped(total.params)} parameters.",
        "",
    ]
    for section in extra_sections:
        lines += [section.rstrip("\n"), ""]
    lines += _top_section("Top modules by forward FLOPs", leaves, "flops", total.forward_flops, "FLOP")
    lines += _top_section("Top modules by forward I/O bytes", leaves, "bytes", total.forward_io_bytes, "B")
    lines += _category_section(report)
    lines += _torchinfo_section(report)
    lines += ["## Layer pages", ""]
    lines += [f"- {_link(c.class_name)}: {c.definition}" for c in report.layer_classes]
    lines += [""]
    lines += _hierarchy_section(report)
    return "\n".join(lines).rstrip("\n") + "\n"
