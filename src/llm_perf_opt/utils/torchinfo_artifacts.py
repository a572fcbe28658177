"""Read and write the four TorchInfo artifacts of a traced DeepSeek-OCR (no torch needed).

Files, in one directory (the layout of ``../shared/reference/deepseek-ocr-torchinfo/``):

* ``torchinfo-summary.txt``: TorchInfo's table (``Layer (type (var_name):depth-idx)``, input and
  output shapes, ``Param #``, kernel shape, mult-adds) and its totals;
* ``torchinfo-unique-layers.json``: the traced setting and one entry per layer class
  (:class:`~llm_perf_opt.data.operator_spec.OperatorSpec`);
* ``torchinfo-unique-layers.md``: the same classes in prose;
* ``torchinfo-stages.json``: the traced setting and per-stage entries.

:func:`load_target_operator_list` reads and cross-checks them; any missing or corrupt file
raises :class:`~llm_perf_opt.utils.input_error.InputError` with one line naming the file.
The ``render_*`` functions write the same layouts, byte for byte (no final newline, as
TorchInfo's exporter wrote them; used by
``scripts/analytical/dsocr_find_static_components.py``).

Example
-------
>>> rows, total = parse_summary_text(SAMPLE_SUMMARY)
>>> [(r.path, r.class_name, r.params) for r in rows]
[('', 'Net', 0), ('fc', 'Linear', 30), ('fc', 'Linear', None)]
>>> total
30
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from llm_perf_opt.contracts.converter import structure, unstructure
from llm_perf_opt.contracts.json_input import load_json
from llm_perf_opt.contracts.yaml_input import InputFileError, read_input_file
from llm_perf_opt.data.operator_spec import OperatorSpec
from llm_perf_opt.data.target_operator_list import (
    TargetOperatorList,
    TorchInfoRow,
    TorchInfoRunInfo,
    TorchInfoStage,
    TorchInfoStagesFile,
    TorchInfoUniqueLayersFile,
)
from llm_perf_opt.utils.input_error import InputError

SUMMARY_FILE = "torchinfo-summary.txt"
UNIQUE_LAYERS_JSON = "torchinfo-unique-layers.json"
UNIQUE_LAYERS_MD = "torchinfo-unique-layers.md"
STAGES_JSON = "torchinfo-stages.json"
ARTIFACT_FILES: tuple[str, ...] = (SUMMARY_FILE, UNIQUE_LAYERS_JSON, UNIQUE_LAYERS_MD, STAGES_JSON)

LAYER_HEADER = "Layer (type (var_name):depth-idx)"
_COLUMNS = {
    "Input Shape": "input_shape",
    "Output Shape": "output_shape",
    "Param #": "params",
    "Kernel Shape": "kernel_shape",
    "Mult-Adds": "mult_adds",
}
_NAME = re.compile(r"^(?P<cls>[^\s(]+) \((?P<var>[^)]*)\)(?:: (?P<depth>\d+)-(?P<idx>\d+))?$")
_TREE_CHARS = "│├└─ \t"
_TOTAL = re.compile(r"^Total params: (\S+)\s*$")
MAX_COUNT_DIGITS = 30
"""Longest count a cell or the total may hold (digits and commas; a model's is at most 13 digits)."""
MD_TITLE = "# TorchInfo Unique Layers"
MD_CUSTOM = "## Non\u2011PyTorch Modules"
MD_BUILTIN = "## PyTorch Builtins"

SAMPLE_SUMMARY = """\
==============================================================================================
Layer (type (var_name):depth-idx)        Input Shape   Output Shape  Param #       Mult-Adds
==============================================================================================
Net (Net)                                [1, 5]        [1, 6]        --            --
├─Linear (fc): 1-1                       [1, 5]        [1, 6]        30            30
├─Linear (fc): 1-2                       [1, 5]        [1, 6]        (recursive)   30
==============================================================================================
Total params: 30
==============================================================================================
"""
"""A tiny table in TorchInfo's layout (for examples and tests)."""


def _count(cell: str) -> int | None:
    """``"1,234"`` -> 1234, ``"(1,234)"`` (non-trainable) -> 1234, ``"--"`` -> 0, ``"(recursive)"`` -> None."""
    text = cell.strip()
    if text == "(recursive)":
        return None
    if text in ("--", ""):
        return 0
    digits = text.strip("()").replace(",", "")
    if not digits.isdigit() or len(digits) > MAX_COUNT_DIGITS:
        raise ValueError(f"not a count: {cell.strip()[:40]!r}")
    return int(digits)


def parse_summary_text(text: str) -> tuple[tuple[TorchInfoRow, ...], int]:
    """Rows of a TorchInfo table (module paths rebuilt from the tree) and its ``Total params``."""
    lines = text.splitlines()
    try:
        h = next(i for i, line in enumerate(lines) if line.startswith(LAYER_HEADER))
    except StopIteration:
        raise ValueError(f"no {LAYER_HEADER!r} header line") from None
    header = lines[h]
    starts = sorted((header.index(label), field) for label, field in _COLUMNS.items() if label in header)
    name_end = starts[0][0] if starts else len(header)
    rows: list[TorchInfoRow] = []
    paths: dict[int, str] = {}
    for lineno, line in enumerate(lines[h + 2 :], start=h + 3):
        if line.startswith("="):
            break
        name = line[:name_end].lstrip(_TREE_CHARS).rstrip()
        match = _NAME.match(name)
        if not match:
            raise ValueError(f"line {lineno}: cannot read the layer cell {name!r}")
        depth = int(match.group("depth") or 0)
        if depth and depth - 1 not in paths:
            raise ValueError(f"line {lineno}: depth {depth} row without a parent row")
        var = match.group("var")
        path = "" if depth == 0 else (f"{paths[depth - 1]}.{var}" if paths[depth - 1] else var)
        paths[depth] = path
        cells: dict[str, str] = {}
        for k, (start, field) in enumerate(starts):
            end = starts[k + 1][0] if k + 1 < len(starts) else len(line)
            cells[field] = line[start:end].strip()
        try:
            params = _count(cells.get("params", "--"))
            mult_adds = _count(cells.get("mult_adds", "--")) or 0
        except ValueError as exc:
            raise ValueError(f"line {lineno}: {exc}") from None
        rows.append(
            TorchInfoRow(
                path=path,
                class_name=match.group("cls"),
                var_name=var,
                depth=depth,
                depth_index=int(match.group("idx") or 0),
                input_shape=cells.get("input_shape", "--"),
                output_shape=cells.get("output_shape", "--"),
                params=params,
                recursive=params is None,
                kernel_shape=cells.get("kernel_shape", "--"),
                mult_adds=mult_adds,
            )
        )
    total_cells = [m.group(1) for m in map(_TOTAL.match, lines) if m]
    if not total_cells:
        raise ValueError("no 'Total params:' line")
    try:
        total = _count(total_cells[0])
    except ValueError as exc:
        raise ValueError(f"Total params: {exc}") from None
    if total is None:
        raise ValueError("Total params: not a count: '(recursive)'")
    if not rows:
        raise ValueError("the table has no rows")
    return tuple(rows), total


def md_qualified_names(text: str) -> list[str]:
    """The ``**class_name_qualified**:`` values of a unique-layers Markdown file, in order."""
    if MD_TITLE not in text:
        raise ValueError(f"no {MD_TITLE!r} title")
    prefix = "**class_name_qualified**: "
    return [line[len(prefix) :].strip() for line in text.splitlines() if line.startswith(prefix)]


def _read(directory: Path, name: str, flag: str) -> str:
    path = directory / name
    if not path.is_file():
        raise InputError(f"{flag}: {path} is missing; the directory must hold {', '.join(ARTIFACT_FILES)}")
    try:
        return read_input_file(path)
    except InputFileError as exc:
        raise InputError(f"{flag}: {path}: {exc}") from None


def _json(directory: Path, name: str, flag: str) -> object:
    text = _read(directory, name, flag)
    try:
        return load_json(text)
    except InputFileError as exc:
        raise InputError(f"{flag}: {directory / name}: {exc}") from None


def load_target_operator_list(directory: str | Path, *, flag: str = "--torchinfo-dir") -> TargetOperatorList:
    """Read the four artifacts of ``directory`` into a :class:`TargetOperatorList`."""
    d = Path(directory)
    if not d.is_dir():
        raise InputError(f"{flag}: {d} is not a directory holding {', '.join(ARTIFACT_FILES)}")
    unique_data = _json(d, UNIQUE_LAYERS_JSON, flag)
    stages_data = _json(d, STAGES_JSON, flag)
    try:
        unique = structure(unique_data, TorchInfoUniqueLayersFile)
    except ValueError as exc:
        raise InputError(f"{flag}: {d / UNIQUE_LAYERS_JSON}: {exc}") from None
    try:
        stages = structure(stages_data, TorchInfoStagesFile)
    except ValueError as exc:
        raise InputError(f"{flag}: {d / STAGES_JSON}: {exc}") from None
    if unique.num_unique_layers != len(unique.layers):
        raise InputError(
            f"{flag}: {d / UNIQUE_LAYERS_JSON}: num_unique_layers is {unique.num_unique_layers} "
            f"but {len(unique.layers)} layers are listed"
        )
    try:
        rows, total = parse_summary_text(_read(d, SUMMARY_FILE, flag))
    except ValueError as exc:
        raise InputError(f"{flag}: {d / SUMMARY_FILE}: {exc}") from None
    if total != unique.total_params:
        raise InputError(
            f"{flag}: {d / SUMMARY_FILE}: Total params {total:,} differs from {UNIQUE_LAYERS_JSON}'s "
            f"total_params {unique.total_params:,}"
        )
    try:
        md_names = md_qualified_names(_read(d, UNIQUE_LAYERS_MD, flag))
    except ValueError as exc:
        raise InputError(f"{flag}: {d / UNIQUE_LAYERS_MD}: {exc}") from None
    json_names = [layer.class_name_qualified for layer in unique.layers]
    if sorted(md_names) != sorted(json_names):
        missing = sorted(set(json_names) - set(md_names)) or sorted(set(md_names) - set(json_names))
        raise InputError(
            f"{flag}: {d / UNIQUE_LAYERS_MD} does not list the same classes as {UNIQUE_LAYERS_JSON} "
            f"(differs on {_few(missing) or 'repeated entries'})"
        )
    run = TorchInfoRunInfo(**{k: getattr(unique, k) for k in _run_fields()})
    return TargetOperatorList(
        source_dir=str(directory), run=run, layers=unique.layers, rows=rows, stages=tuple(stages.stages.values())
    )


def _run_fields() -> tuple[str, ...]:
    import attrs

    return tuple(a.name for a in attrs.fields(TorchInfoRunInfo))


# ---- writers: the same layouts --------------------------------------------------------------


def render_unique_layers_json(run: TorchInfoRunInfo, layers: Iterable[OperatorSpec]) -> str:
    """``torchinfo-unique-layers.json`` text."""
    specs = tuple(layers)
    record = TorchInfoUniqueLayersFile(
        **{k: getattr(run, k) for k in _run_fields()}, num_unique_layers=len(specs), layers=specs
    )
    return json.dumps(unstructure(record), indent=2, ensure_ascii=False)


def render_stages_json(run: TorchInfoRunInfo, stages: Iterable[TorchInfoStage]) -> str:
    """``torchinfo-stages.json`` text."""
    record = TorchInfoStagesFile(
        **{k: getattr(run, k) for k in _run_fields()}, stages={s.stage_name: s for s in stages}
    )
    return json.dumps(unstructure(record), indent=2, ensure_ascii=False)


def _md_section(spec: OperatorSpec) -> list[str]:
    lines = [
        f"### {spec.class_name}",
        "",
        "",
        f"**class_name**: {spec.class_name}",
        "",
        f"**class_name_qualified**: {spec.class_name_qualified}",
        "",
        "**filepaths**:",
        *(f"- {p}" for p in spec.filepaths),
        "",
        "",
    ]
    if spec.children:
        lines += ["**children**:", *(f"- {c}" for c in spec.children), ""]
    else:
        lines += ["**children**: (none)"]
    return lines


def render_unique_layers_md(layers: Iterable[OperatorSpec]) -> str:
    """``torchinfo-unique-layers.md`` text: custom classes first, then torch builtins."""
    specs = tuple(layers)
    lines = ["", "", "", "", MD_TITLE, "", MD_CUSTOM, ""]
    for spec in specs:
        if not spec.is_torch_builtin:
            lines += _md_section(spec)
    lines += [MD_BUILTIN, ""]
    for spec in specs:
        if spec.is_torch_builtin:
            lines += _md_section(spec)
    return "\n".join(lines)


def _few(names: list[str], shown: int = 2) -> str:
    """The first ``shown`` names (last dotted part), and how many more: a message stays one short line."""
    short = [n.rsplit(".", 1)[-1] for n in names[:shown]]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(short) + more
