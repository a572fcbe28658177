"""A hardware entry from a calibration run: the datasheet half (:mod:`llm_perf_opt.calibrate.gpus`), the
measured constants (the GPU's rates, curves and floor, and ``calibration.host``: the host's cost record per
execution kind, :func:`~llm_perf_opt.data.hardware.nested_constants`) and how each was measured, as YAML the
hardware loader reads (:func:`llm_perf_opt.hardware.registry.load_hardware_file`).

Example
-------
>>> from llm_perf_opt.calibrate.gpus import datasheet
>>> cal = {"measured": False, "how_measured": "stand-in", "matmul_efficiency": 0.8, "copy_efficiency": 0.9}
>>> sheet = datasheet(device_name="NVIDIA H200", compute_capability="9.0", total_memory_bytes=150_754_820_096)
>>> entry = hardware_entry(name="h200-test", sheet=sheet, calibration=cal)
>>> structure_hardware(entry).memory_bandwidth_tbps.value
4.8
>>> print(render_yaml(entry, header=("# An example.",)).splitlines()[1])
name: h200-test
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from llm_perf_opt.calibrate.gpus import Datasheet
from llm_perf_opt.contracts.hardware_converter import structure_hardware, unstructure_hardware
from llm_perf_opt.data.hardware import FIGURE_FIELDS

FOLD_AT = 100
"""Strings longer than this are written as folded YAML blocks (``>-``)."""

__all__ = ["hardware_entry", "render_yaml", "structure_hardware"]


def _figure(sheet: Datasheet, key: str) -> dict[str, Any]:
    fig = getattr(sheet, key)
    out: dict[str, Any] = {"value": fig.value, "dense": fig.dense, "source": fig.source}
    if fig.note:
        out["note"] = fig.note
    return out


def hardware_entry(*, name: str, sheet: Datasheet, calibration: Mapping[str, Any]) -> dict[str, Any]:
    """The entry as plain data (keys in the packaged entries' order), checked by the hardware converter
    (``ValueError``, one line per problem, when it would not load)."""
    entry: dict[str, Any] = {
        "name": name,
        "display_name": sheet.display_name,
        "architecture": sheet.architecture,
        "compute_capability": sheet.compute_capability,
        **{key: _figure(sheet, key) for key in FIGURE_FIELDS},
        **sheet.parameters,
    }
    if sheet.notes:
        entry["notes"] = sheet.notes
    entry["calibration"] = {k: v for k, v in calibration.items() if v is not None}
    structure_hardware(entry)
    return entry


def canonical(entry: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` as the hardware converter writes it back (a round trip): what a test compares."""
    return unstructure_hardware(structure_hardware(entry))


class _Folded(str):
    """A long string, written as a folded block."""


class _Flow(dict[str, Any]):
    """A small mapping written on one line (a curve point)."""


class _Dumper(yaml.SafeDumper):
    """Block style, folded long strings, curve points on one line each, keys in insertion order."""


_Dumper.add_representer(_Folded, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", str(s), style=">"))
_Dumper.add_representer(_Flow, lambda d, m: d.represent_mapping("tag:yaml.org,2002:map", m.items(), flow_style=True))


def _styled(value: Any, key: str = "") -> Any:
    if isinstance(value, Mapping):
        styled = {k: _styled(v, k) for k, v in value.items()}
        return _Flow(styled) if set(styled) == {"work", "us"} else styled
    if isinstance(value, list | tuple):
        return [_styled(v) for v in value]
    if isinstance(value, str) and len(value) > FOLD_AT and "\n" not in value:
        return _Folded(value)
    return value


def render_yaml(entry: Mapping[str, Any], header: Sequence[str] = ()) -> str:
    """``entry`` as YAML under ``header`` (comment lines, each starting with ``#``)."""
    body = yaml.dump(_styled(dict(entry)), Dumper=_Dumper, sort_keys=False, width=FOLD_AT + 10, allow_unicode=True)
    return "".join(f"{line}\n" for line in header) + body
