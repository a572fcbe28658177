"""The one cattrs converter between the analyzer's attrs records and plain data (JSON and YAML).

Strict in both directions:

* structuring refuses keys a record does not have (``forbid_extra_keys``), and refuses
  lossy coercions: an ``int`` field takes only integers (not ``true``, ``"3"`` or ``3.5``),
  a ``bool`` only booleans, a ``str`` only strings, a ``float`` only finite numbers;
* unstructuring writes enums as their values and tuples as lists, so the result is
  plain JSON/YAML data, and ``structure(unstructure(x), type(x)) == x``.

Text helpers fix the byte layout (key order as declared, 2-space indent, trailing newline)
so equal records always give identical files.

Example
-------
>>> from llm_perf_opt.data.workload_profile import CropGrid
>>> text = to_json_text(CropGrid(rows=3, columns=2))
>>> text
'{\\n  "rows": 3,\\n  "columns": 2\\n}\\n'
>>> from_json_text(text, CropGrid)
CropGrid(rows=3, columns=2)
>>> from_yaml_text("rows: 3\\ncolumns: 2\\nextra: 1\\n", CropGrid)
Traceback (most recent call last):
...
ValueError: extra fields found (extra) @ $
"""

from __future__ import annotations

import enum
import json
import math
from typing import Any, TypeVar, cast

import cattrs
import yaml
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.v import format_exception

from llm_perf_opt.contracts.block_yaml import dump_block_yaml
from llm_perf_opt.contracts.indented_json import dump_indented_json
from llm_perf_opt.contracts.yaml_input import load_yaml

T = TypeVar("T")

# libyaml's emitter and parser when PyYAML was built with it (same output, much faster).
_YAML_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"expected a finite number, got {value!r}")
    return out


OPTIONAL_SUMMARY_KEYS: dict[str, tuple[str, ...]] = {
    "StageSummary": ("predicted_time_s", "predicted_kernel_s", "predicted_wall_s", "kernel_launches", "torch_calls"),
    "AnalyzerSummary": ("hardware", "runtime", "page"),
}
"""Keys ``summary.json`` writes only when ``--hardware`` gave them values (absent, not null)."""


def _omit_absent_predictions(conv: cattrs.Converter) -> None:
    from cattrs.gen import make_dict_unstructure_fn, override

    from llm_perf_opt.data.analyzer_summary import AnalyzerSummary, StageSummary

    for cls in (StageSummary, AnalyzerSummary):
        keys = OPTIONAL_SUMMARY_KEYS[cls.__name__]
        fn = make_dict_unstructure_fn(cls, conv, **{k: override(omit_if_default=True) for k in keys})  # type: ignore[arg-type]
        conv.register_unstructure_hook(cls, fn)


def _register_model_unions(conv: cattrs.Converter) -> None:
    """Structure hooks for the records that hold either model (DeepSeek-OCR or DeepSeek-OCR-2).

    An architecture is OCR-2's when it has the ``encoder`` key (v1's has ``clip``). A planning point's workload
    has the same keys for both models: the point's ``model`` key (absent for v1) picks the workload record.
    """
    from cattrs.gen import make_dict_structure_fn

    from llm_perf_opt.data.planning import PlanningPoint
    from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
    from modelmeter.models.deepseek_ocr.workload import OCRWorkload
    from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch
    from modelmeter.models.families import FAMILIES, V1, AnyOCRWorkload, OCRArch

    def arch(value: Any, _: Any) -> OCRArch:
        if isinstance(value, dict) and "encoder" in value:
            return conv.structure(value, DeepseekOCR2Arch)
        return conv.structure(value, DeepseekOCRArch)

    def workload(value: Any, _: Any) -> AnyOCRWorkload:
        if isinstance(value, tuple(f.workload_type for f in FAMILIES.values())):
            return cast(AnyOCRWorkload, value)  # already built by the point's hook below
        return conv.structure(value, OCRWorkload)

    conv.register_structure_hook(OCRArch, arch)
    conv.register_structure_hook(AnyOCRWorkload, workload)
    point_fn = make_dict_structure_fn(PlanningPoint, conv)

    def point(value: Any, cls: type) -> PlanningPoint:
        model = value.get("model", V1) if isinstance(value, dict) else V1
        if isinstance(model, str) and model in FAMILIES and model != V1 and isinstance(value.get("workload"), dict):
            value = {**value, "workload": conv.structure(value["workload"], FAMILIES[model].workload_type)}
        return point_fn(value, cls)

    conv.register_structure_hook(PlanningPoint, point)


def _omit_v1_model(conv: cattrs.Converter) -> None:
    """A planning point's ``model`` is written only when it is not DeepSeek-OCR (v1's files stay as they were)."""
    from cattrs.gen import make_dict_unstructure_fn, override

    from llm_perf_opt.data.planning import PlanningPoint

    fn = make_dict_unstructure_fn(PlanningPoint, conv, model=override(omit_if_default=True))
    conv.register_unstructure_hook(PlanningPoint, fn)


def _refuse_moved_calibration_keys(conv: cattrs.Converter) -> None:
    """A hardware entry's calibration written with the former flat host constants (``launch_overhead_us``,
    ``module_launch_us``, ...) is refused with the first such key and its place now
    (:data:`~llm_perf_opt.data.hardware.MOVED_CONSTANTS`), instead of cattrs's bare "extra fields"."""
    from cattrs.gen import make_dict_structure_fn

    from llm_perf_opt.data.hardware import MOVED_CONSTANTS, Calibration

    calibration_fn = make_dict_structure_fn(Calibration, conv, _cattrs_forbid_extra_keys=True)

    def calibration(value: Any, cls: type) -> Calibration:
        if isinstance(value, dict):
            flat = [k for k in value if k in MOVED_CONSTANTS]
            if flat:
                more = f"; {len(flat) - 1} more former flat keys" if len(flat) > 1 else ""
                raise ValueError(
                    f"calibration.{flat[0]}: moved to calibration.{MOVED_CONSTANTS[flat[0]]} (host costs are one "
                    f"record per execution kind; docs/calibration.md){more}"
                )
        return calibration_fn(value, cls)

    conv.register_structure_hook(Calibration, calibration)


def _enum_value(member: enum.Enum) -> Any:
    return member.value


def _structure_enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"expected one of {', '.join(str(m.value) for m in cls)}, got {value!r}")
    try:
        return cls(value)
    except ValueError:
        raise ValueError(f"unknown {value!r}; allowed: {', '.join(str(m.value) for m in cls)}") from None


def make_converter() -> cattrs.Converter:
    """A fresh converter configured as described in the module docstring."""
    conv = cattrs.Converter(forbid_extra_keys=True, unstruct_collection_overrides={tuple: list})
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(float, _structure_float)
    # singledispatch on the enum bases: StrEnum must be named, it would otherwise dispatch as ``str``
    conv.register_unstructure_hook(enum.Enum, _enum_value)
    conv.register_unstructure_hook(enum.StrEnum, _enum_value)
    conv.register_structure_hook(enum.Enum, _structure_enum)
    conv.register_structure_hook(enum.StrEnum, _structure_enum)
    _register_model_unions(conv)
    _omit_v1_model(conv)
    _refuse_moved_calibration_keys(conv)
    _omit_absent_predictions(conv)  # last: it resolves the hooks of its records' field types
    return conv


CONVERTER = make_converter()
"""The shared converter."""


def _format_exception(exc: BaseException, typ: type | None) -> str:
    if isinstance(exc, ForbiddenExtraKeysError):
        return _extra_keys(exc)
    if isinstance(exc, KeyError):
        return format_exception(exc, typ)
    return str(exc)


def _extra_keys(exc: ForbiddenExtraKeysError) -> str:
    """cattrs's ``extra fields found (...)``, also for keys that are not strings (YAML allows ``? [1]``, ``1:``,
    ``null:``), which cattrs's own formatter cannot join."""
    return f"extra fields found ({', '.join(sorted(str(k) for k in exc.extra_fields))})"


def describe_errors(exc: BaseException, path: str = "$") -> str:
    """One line naming every problem of a structuring failure with its key path."""
    if isinstance(exc, ClassValidationError | IterableValidationError):
        problems = cattrs.transform_error(exc, path=path, format_exception=_format_exception)
        more = f"; and {len(problems) - 2} more" if len(problems) > 2 else ""
        return "; ".join(problems[:2]) + more
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"{_extra_keys(exc)} @ {path}"
    return f"{exc} @ {path}"


def unstructure(obj: Any) -> Any:
    """Plain data (dicts, lists, str, int, float, bool, None) for an attrs record."""
    return CONVERTER.unstructure(obj)


def structure(data: Any, cls: type[T], converter: cattrs.Converter | None = None) -> T:
    """Build ``cls`` from plain data (with ``converter``, default :data:`CONVERTER`); raises
    ``ValueError`` with one line listing every problem."""
    try:
        return (converter or CONVERTER).structure(data, cls)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError, ValueError, TypeError) as exc:
        raise ValueError(describe_errors(exc)) from exc


def structure_document(data: Any, cls: type[T], converter: cattrs.Converter | None = None) -> T:
    """:func:`structure` for a parsed YAML/JSON file, whose top level must be a mapping."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a mapping at the top level, got {type(data).__name__}")
    return structure(data, cls, converter)


def to_json_text(obj: Any) -> str:
    """Deterministic JSON text of a record (declared key order, 2-space indent, final newline):
    :func:`json_text` of its plain data."""
    return json_text(unstructure(obj))


def json_text(data: Any) -> str:
    """The JSON text of plain data (a record's :func:`unstructure`): the bytes of
    ``json.dumps(..., indent=2, ensure_ascii=False, allow_nan=False)`` and a final newline, written by
    :func:`~llm_perf_opt.contracts.indented_json.dump_indented_json`."""
    return dump_indented_json(data) + "\n"


def to_yaml_text(obj: Any) -> str:
    """Deterministic YAML text of a record (declared key order, block style): :func:`yaml_text` of its plain
    data."""
    return yaml_text(unstructure(obj))


def yaml_text(data: Any) -> str:
    """The YAML text of plain data (a record's :func:`unstructure`): PyYAML's safe dumper's bytes, written by
    :func:`~llm_perf_opt.contracts.block_yaml.dump_block_yaml` for a mapping or list."""
    if isinstance(data, dict | list) and data:
        return dump_block_yaml(data)
    text: str = yaml.dump(
        data,
        Dumper=_YAML_DUMPER,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    return text


def from_json_text(text: str, cls: type[T]) -> T:
    """Parse JSON text into ``cls`` (``ValueError`` on bad JSON or a bad record)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    return structure(data, cls)


def from_yaml_text(text: str, cls: type[T]) -> T:
    """Parse YAML text into ``cls`` (``ValueError`` on bad YAML or a bad record)."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ValueError("not valid YAML: " + " ".join(str(exc).split())) from exc
    return structure(data, cls)
