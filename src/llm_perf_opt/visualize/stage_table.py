"""The per-stage table (printed at the end of a run and at the top of ``report.md``).

Columns are a list of :class:`StageColumn`, so callers can add columns (a time model's
estimates, say) without touching the renderer.

Example
-------
>>> from llm_perf_opt.data.analyzer_summary import StageSummary
>>> rows = {"sam": StageSummary(tensor_core_flops=2 * 10**12, cuda_core_flops=0, io_bytes=10**9, weight_bytes=0,
...                             activation_bytes=0, kv_cache_bytes=0, params=95569152)}
>>> print(render_stage_table(rows))
stage  TC FLOPs  CUDA FLOPs  I/O   weights  activations  KV cache  params
-----  --------  ----------  ----  -------  -----------  --------  -------
sam    2 TFLOP   0 FLOP      1 GB  0 B      0 B          0 B       95.57 M
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from attrs import define

from llm_perf_opt.data.analyzer_summary import StageSummary
from llm_perf_opt.visualize.number_format import si
from llm_perf_opt.visualize.tables import markdown_table, text_table


@define(frozen=True)
class StageColumn:
    """A column: header and how to render a stage's value.

    Example
    -------
    >>> StageColumn("params", lambda s: str(s.params)).header
    'params'
    """

    header: str
    render: Callable[[StageSummary], str]


def _count(value: int) -> str:
    return si(value, "").strip() if value >= 1000 else str(value)


DEFAULT_COLUMNS: tuple[StageColumn, ...] = (
    StageColumn("TC FLOPs", lambda s: si(s.tensor_core_flops, "FLOP")),
    StageColumn("CUDA FLOPs", lambda s: si(s.cuda_core_flops, "FLOP")),
    StageColumn("I/O", lambda s: si(s.io_bytes, "B")),
    StageColumn("weights", lambda s: si(s.weight_bytes, "B")),
    StageColumn("activations", lambda s: si(s.activation_bytes, "B")),
    StageColumn("KV cache", lambda s: si(s.kv_cache_bytes, "B")),
    StageColumn("params", lambda s: _count(s.params)),
)
"""Forward FLOPs (Tensor-Core, CUDA-core), forward I/O, memory held, parameters."""


def _rows(stages: Mapping[str, StageSummary], columns: Sequence[StageColumn]) -> list[list[str]]:
    return [[name, *(c.render(s) for c in columns)] for name, s in stages.items()]


def render_stage_table(stages: Mapping[str, StageSummary], columns: Sequence[StageColumn] = DEFAULT_COLUMNS) -> str:
    """Plain-text table, one row per stage."""
    return text_table(["stage", *(c.header for c in columns)], _rows(stages, columns))


def render_stage_markdown(stages: Mapping[str, StageSummary], columns: Sequence[StageColumn] = DEFAULT_COLUMNS) -> str:
    """Markdown table, one row per stage."""
    return markdown_table(["stage", *(c.header for c in columns)], _rows(stages, columns), "l" + "r" * len(columns))
