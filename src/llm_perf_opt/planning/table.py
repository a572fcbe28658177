"""One flat CSV row per :class:`~llm_perf_opt.data.planning.PlanningPoint`.

Columns follow the record's field order: the point's scalars; the workload's fields, with the
crop grid written ``ROWSxCOLUMNS`` (crops down x across, as the analyzer's ``--crop-grid``)
and ``n_crops`` beside it; each stage's fields as ``<stage>.<field>``; the memory fields as
``memory.<field>``. Empty cell: no value (``None``, or a stage the point's model does not have); booleans are
``true``/``false``; floats are written with Python's shortest round-trip repr, so equal points give identical text.

The stage columns are those of the models the table holds (``models``; DeepSeek-OCR's by default: ``sam``,
``clip``, ...; with DeepSeek-OCR-2 also ``qwen2``), and the ``model`` column is written only when a model other
than DeepSeek-OCR is present.

Example
-------
>>> header = csv_header()
>>> header[:4], "prefill.seconds" in header, "memory.max_batch" in header
(['hardware', 'runtime', 'calibrated', 'basis'], True, True)
>>> header.count("decode_seconds"), "decode.seconds" in header  # the point's and the stage's
(1, True)
>>> both = csv_header(("deepseek-ocr", "deepseek-ocr-2"))
>>> both[-1], "qwen2.seconds" in both, "qwen2.seconds" in header
('model', True, False)
"""

from __future__ import annotations

import attrs

from llm_perf_opt.data.planning import MemoryPrediction, PlanningPoint, StagePrediction
from llm_perf_opt.data.stage_names import ALL_STAGE_NAMES, MODEL_STAGES
from modelmeter.models.deepseek_ocr.workload import OCRWorkload
from modelmeter.models.families import V1

_WORKLOAD_FIELDS = [a.name for a in attrs.fields(OCRWorkload)]
_STAGE_FIELDS = [a.name for a in attrs.fields(StagePrediction) if a.name != "stage"]
_MEMORY_FIELDS = [a.name for a in attrs.fields(MemoryPrediction)]
_POINT_FIELDS = [a.name for a in attrs.fields(PlanningPoint)]


def csv_cell(value: object) -> object:
    """A value as a CSV cell: ``None`` empty, booleans ``true``/``false``, the rest as is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _stages(models: tuple[str, ...]) -> list[str]:
    return [s for s in ALL_STAGE_NAMES if any(s in MODEL_STAGES[m] for m in models)]


def _fields(models: tuple[str, ...]) -> list[str]:
    return [f for f in _POINT_FIELDS if f != "model" or models != (V1,)]


def csv_header(models: tuple[str, ...] = (V1,)) -> list[str]:
    """Column names, in order, for points of ``models``."""
    out: list[str] = []
    for name in _fields(models):
        if name == "workload":
            for w in _WORKLOAD_FIELDS:
                out += [w, "n_crops"] if w == "crop_grid" else [w]
        elif name == "stages":
            out += [f"{stage}.{f}" for stage in _stages(models) for f in _STAGE_FIELDS]
        elif name == "memory":
            out += [f"memory.{f}" for f in _MEMORY_FIELDS]
        else:
            out.append(name)
    return out


def csv_row(point: PlanningPoint, models: tuple[str, ...] = (V1,)) -> list[object]:
    """The cells of ``point``, in :func:`csv_header` order of ``models``."""
    out: list[object] = []
    for name in _fields(models):
        if name == "workload":
            w = point.workload
            for f in _WORKLOAD_FIELDS:
                if f == "crop_grid":
                    across, down = w.crop_grid
                    out += [f"{down}x{across}", w.n_crops]
                else:
                    out.append(csv_cell(getattr(w, f)))
        elif name == "stages":
            by_name = {s.stage: s for s in point.stages}
            out += [
                csv_cell(getattr(by_name[stage], f)) if stage in by_name else ""
                for stage in _stages(models)
                for f in _STAGE_FIELDS
            ]
        elif name == "memory":
            out += [csv_cell(getattr(point.memory, f)) for f in _MEMORY_FIELDS]
        else:
            out.append(csv_cell(getattr(point, name)))
    return out
