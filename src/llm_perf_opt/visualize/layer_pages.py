"""``layers/<ClassName>.md``: one page per analytic layer class, rendered from a report's
:class:`~llm_perf_opt.data.layer_class_info.LayerClassInfo` (the analyzer's output pages and
the documentation's ``docs/layers/`` come from this one renderer).

Example
-------
>>> from llm_perf_opt.data.layer_class_info import LayerClassInfo, LayerShape
>>> from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
>>> from llm_perf_opt.data.operator_category import OperatorCategory
>>> info = LayerClassInfo(class_name="Linear", python_path="modelmeter.layers.linear.Linear",
...     category=OperatorCategory.LINEAR, definition="y = x W^T + b.", description="A dense layer.",
...     formulas={"params": "in * out + out"}, shapes=(LayerShape(identifier="Linear(tokens=4)", calls=2,
...     example_node="a", per_call=ModuleMetricsSnapshot(params=30)),))
>>> page = render_layer_page(info, "dsocr-standard-v1")
>>> page.splitlines()[0], "| `params` | `in * out + out` |" in page
('# Linear', True)
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from llm_perf_opt.data.layer_class_info import LayerClassInfo
from llm_perf_opt.data.module_metrics import ModuleMetricsSnapshot
from llm_perf_opt.visualize.number_format import grouped
from llm_perf_opt.visualize.tables import markdown_table

METRIC_NAMES: tuple[str, ...] = tuple(a.name for a in attrs.fields(ModuleMetricsSnapshot))
SHAPES_PER_TABLE = 6
"""Shapes per numbers table (a class with more shapes gets several tables)."""

COMBINATION_RULE = (
    "A layer's totals are its own work plus, for each child, the child's totals times its call count; "
    "parameters, weight memory and KV-cache memory are multiplied by the child's instance count instead "
    "(a module called again on new inputs re-uses its weights). Metrics the table above does not list are "
    "therefore the sum over the children (see their pages), or zero for a leaf that does not produce them."
)


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else text


def page_name(class_name: str) -> str:
    """File name of a class's page."""
    return f"{class_name}.md"


def render_layer_page(info: LayerClassInfo, workload_id: str) -> str:
    """Markdown of one class's page for the workload ``workload_id``."""
    calls = sum(s.calls for s in info.shapes)
    lines = [
        f"# {info.class_name}",
        "",
        f"*{info.definition}*" if info.definition else "*(no definition given by the class)*",
        "",
        f"- Python: `{info.python_path}`",
        f"- Operator category of its own work: `{info.category.value}`",
        f"- In workload `{workload_id}`: {len(info.shapes)} distinct shape(s), {grouped(calls)} call(s)",
        "",
        "## What it is in DeepSeek-OCR",
        "",
        info.description or info.definition or "(the class has no description)",
        "",
        "## Formulas",
        "",
    ]
    if info.formulas:
        lines.append(markdown_table(["metric", "formula"], [[_code(k), _code(v)] for k, v in info.formulas.items()]))
    else:
        lines.append("The class states no formula of its own.")
    lines += ["", COMBINATION_RULE, "", "## Shapes in this workload", ""]
    lines.append(
        markdown_table(
            ["#", "shape (identifier)", "calls", "first node"],
            [
                [str(i), _code(s.identifier), grouped(s.calls), _code(s.example_node or "(root)")]
                for i, s in enumerate(info.shapes, 1)
            ],
            "lllr",
        )
    )
    lines += ["", "## Numbers (one call; parameters and memory of one instance)", ""]
    for first in range(0, len(info.shapes), SHAPES_PER_TABLE):
        chunk = list(enumerate(info.shapes, 1))[first : first + SHAPES_PER_TABLE]
        lines.append(
            markdown_table(
                ["metric", *(f"#{i}" for i, _ in chunk)],
                [[f"`{name}`", *(grouped(getattr(s.per_call, name)) for _, s in chunk)] for name in METRIC_NAMES],
                "l" + "r" * len(chunk),
            )
        )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_layer_index(infos: Iterable[LayerClassInfo], workload_id: str) -> str:
    """An index page linking every class page."""
    rows = [
        [f"[{i.class_name}]({page_name(i.class_name)})", i.category.value, i.definition, str(len(i.shapes))]
        for i in infos
    ]
    return (
        "# Layer classes\n\n"
        f"Every analytic class used by workload `{workload_id}`, with its definition, formulas and numbers.\n\n"
        + markdown_table(["class", "category", "definition", "shapes"], rows, "lllr")
        + "\n"
    )
