"""Sweep specifications (``conf/sweeps/*.yaml``) and sweep results (``sweep.json``).

A sweep is either the **cartesian** product of value lists (:class:`SweepAxes`) or an explicit
list of **points** (:class:`SweepPointSpec`). Crop grids are written ``ROWSxCOLUMNS`` (crops
down x crops across, as the analyzer's ``--crop-grid``: ``3x2`` for an A4 portrait), page
sizes ``WIDTHxHEIGHT`` in pixels. ``all`` in ``crop_grids`` stands for every grid the vendor's
rule allows between ``min_crops`` and ``max_crops`` tiles. Grids apply to the crop modes
(``gundam``, ``gundam-m``; OCR-2's ``dynamic``) only; a mode without crops always has the 1x1 grid.

``models`` (cartesian) or ``model`` (a listed point) names the model (``deepseek-ocr``, the default, or
``deepseek-ocr-2``); each resolution mode is combined with the listed models it belongs to, and a mode that
belongs to none of them is an error.

Every value is checked when the record is built: a bad one raises a one-line ``ValueError``
naming the field and what is allowed.

Example
-------
>>> axes = SweepAxes(resolution_modes=("small", "gundam"), crop_grids=("all",), batch_sizes=(1, 8))
>>> spec = SweepSpec(name="demo", description="two modes", cartesian=axes)
>>> spec.max_crops, spec.cartesian.hardware, spec.cartesian.models
(None, ('h100-sxm',), ('deepseek-ocr',))
>>> SweepAxes(models=("deepseek-ocr-2",), resolution_modes=("gundam",))
Traceback (most recent call last):
...
ValueError: resolution_modes: 'gundam' is a mode of none of the models (deepseek-ocr-2); allowed: dynamic, \
global-1024, global-768
>>> SweepAxes(crop_grids=("3by2",))
Traceback (most recent call last):
...
ValueError: crop_grids: bad '3by2'; expected ROWSxCOLUMNS (each >= 1) such as 3x2, or all
"""

from __future__ import annotations

import re
from typing import Any

import attrs
from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import (
    fraction,
    non_empty_str,
    one_of,
    optional_finite_positive,
    optional_positive_int,
    slug,
)
from llm_perf_opt.data.model_spec import DeepSeekOCRModelSpec
from llm_perf_opt.data.planning import ROOFLINE, PlanningPoint
from llm_perf_opt.data.workload_profile import CUSTOM_RESOLUTION, RESOLUTION_MODE_NAMES
from llm_perf_opt.hardware.registry import list_hardware
from llm_perf_opt.kernels.profiles import list_runtimes, load_runtime
from modelmeter.layers.attention_core import ATTENTION_IMPLS
from modelmeter.models.deepseek_ocr.workload import MAX_CROPS, page_count, token_count
from modelmeter.models.families import FAMILIES, V1
from modelmeter.units import KNOWN_DTYPES

SWEEP_SCHEMA_VERSION = "1"
ALL_GRIDS = "all"
_PAIR = re.compile(r"^\s*(\d{1,9})\s*[xX]\s*(\d{1,9})\s*$")
MAX_POINTS = 10_000
"""Most points a sweep may expand to (before duplicates are dropped); a larger study is several sweeps."""
MAX_ROOFLINE_WORKLOADS = 2_000
"""Most distinct workloads (model, view, tokens, batch, attention) a sweep may time with the roofline: about
1.5 ms of CPU each when nothing repeats (all GPUs of a workload are timed in one pass), plus its share of the CSV,
JSON and plots, so that such a sweep, plots included, ends within 10 s on one core of a 2-core machine."""
MAX_RUNTIME_POINTS = 100
"""Most points a sweep may time under a runtime profile (not the roofline): each walks the model's kernel
inventory, 25 to 50 ms of CPU a point when no stage repeats between points (100 such points: 2.5 to 5 s on one
core, ``scripts/bench/bench_runtime_sweep.py``; points sharing stages cost less). A sweep doing both may spend
each bound's share: ``workloads / MAX_ROOFLINE_WORKLOADS + runtime points / MAX_RUNTIME_POINTS <= 1``."""


def parse_pair(text: str) -> tuple[int, int] | None:
    """``"3x2"`` -> ``(3, 2)``; ``None`` when ``text`` is not two integers >= 1 joined by ``x``.

    Example
    -------
    >>> parse_pair("1654x2339"), parse_pair("3by2")
    ((1654, 2339), None)
    """
    match = _PAIR.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        return None
    return int(match.group(1)), int(match.group(2))


def _non_empty(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not value:
        raise ValueError(f"{attribute.name}: give at least one value")


def _each(check: Any) -> Any:
    """Apply a single-value validator to every item, then require at least one item."""

    def run(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        _non_empty(instance, attribute, value)
        for item in value:
            check(instance, attribute, item)

    return run


def _grid(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None or value == ALL_GRIDS:
        return
    pair = parse_pair(value)
    if pair is not None and pair[0] * pair[1] > MAX_CROPS:
        raise ValueError(f"{attribute.name}: at most {MAX_CROPS:,} crops, got {value} = {pair[0] * pair[1]:,}")
    if pair is not None:
        return
    raise ValueError(f"{attribute.name}: bad {value!r}; expected ROWSxCOLUMNS (each >= 1) such as 3x2, or {ALL_GRIDS}")


def _page(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None or parse_pair(value) is not None:
        return
    raise ValueError(f"{attribute.name}: bad {value!r}; expected WIDTHxHEIGHT in pixels such as 1654x2339")


def _hardware(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    known = list_hardware()
    if value not in known:
        raise ValueError(f"{attribute.name}: unknown {value!r}; allowed: {', '.join(known)}")


def _runtime(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    known = [ROOFLINE, *list_runtimes()]
    if value not in known:
        raise ValueError(f"{attribute.name}: unknown {value!r}; allowed: {', '.join(known)}")


def _at_most_max_crops(instance: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value > MAX_CROPS:
        raise ValueError(f"{attribute.name}: at most {MAX_CROPS:,} crops, got {value:,}")


_MODE = one_of(tuple(m for m in RESOLUTION_MODE_NAMES if m != CUSTOM_RESOLUTION))
_MODEL = one_of(tuple(FAMILIES))
_ATTENTION = one_of(ATTENTION_IMPLS)


def _check_modes_of_models(modes: tuple[str, ...], models: tuple[str, ...], field: str) -> None:
    """Every mode must be a mode of at least one of the models."""
    for mode in modes:
        if not any(mode in FAMILIES[m].resolution_modes for m in models):
            allowed = ", ".join(dict.fromkeys(x for m in models for x in FAMILIES[m].resolution_modes))
            raise ValueError(
                f"{field}: {mode!r} is a mode of none of the models ({', '.join(models)}); allowed: {allowed}"
            )


def _check_runtimes_of_models(runtimes: tuple[str, ...], models: tuple[str, ...], field: str) -> None:
    """Every runtime profile must describe every model it times (the roofline times any)."""
    for runtime in runtimes:
        if runtime == ROOFLINE:
            continue
        for model in models:
            try:
                load_runtime(runtime).check_model(model)
            except ValueError as exc:
                raise ValueError(f"{field}: {exc}") from None


@define(frozen=True, kw_only=True)
class SweepAxes:
    """Value lists whose cartesian product is swept.

    ``page_sizes``, when given, replaces ``crop_grids``: each page's grid is chosen by the
    vendor's rule for the mode's crop size (1x1 for pages no larger than 640 px). ``runtimes``: the time
    models every point is timed with (``roofline``, the default, or runtime profiles' names).

    Example
    -------
    >>> SweepAxes(hardware=("h100",))
    Traceback (most recent call last):
    ...
    ValueError: hardware: unknown 'h100'; allowed: a100-40gb, a100-80gb, a10g, b200, h100-pcie, h100-sxm, h200, l4, \
l40s, rtx-4090, rtx-5090, rtx-pro-6000-server
    """

    models: tuple[str, ...] = field(default=(V1,), validator=_each(_MODEL))
    resolution_modes: tuple[str, ...] = field(default=("gundam",), validator=_each(_MODE))
    crop_grids: tuple[str, ...] = field(default=(ALL_GRIDS,), validator=_each(_grid))
    page_sizes: tuple[str, ...] = field(default=(), validator=attrs.validators.deep_iterable(_page))
    prompt_tokens: tuple[int, ...] = field(default=(9,), validator=_each(token_count))
    max_new_tokens: tuple[int, ...] = field(default=(1000,), validator=_each(page_count))
    batch_sizes: tuple[int, ...] = field(default=(1,), validator=_each(page_count))
    hardware: tuple[str, ...] = field(default=("h100-sxm",), validator=_each(_hardware))
    attention: tuple[str, ...] = field(default=("flash",), validator=_each(_ATTENTION))
    runtimes: tuple[str, ...] = field(default=(ROOFLINE,), validator=_each(_runtime))

    def __attrs_post_init__(self) -> None:
        _check_modes_of_models(self.resolution_modes, self.models, "resolution_modes")
        if self.models != (V1,):
            _check_runtimes_of_models(self.runtimes, self.models, "runtimes")


@define(frozen=True, kw_only=True)
class SweepPointSpec:
    """One listed point. ``crop_grid`` or ``page_size`` (not both) sets the grid of a crop
    mode; with neither the grid is 1x1.

    Example
    -------
    >>> SweepPointSpec(resolution_mode="gundam", crop_grid="3x2", page_size="1654x2339")
    Traceback (most recent call last):
    ...
    ValueError: crop_grid/page_size: give one of them, not both
    """

    model: str = field(default=V1, validator=_MODEL)
    resolution_mode: str = field(default="gundam", validator=_MODE)
    crop_grid: str | None = field(default=None, validator=_grid)
    page_size: str | None = field(default=None, validator=_page)
    prompt_tokens: int = field(default=9, validator=token_count)
    max_new_tokens: int = field(default=1000, validator=page_count)
    batch_size: int = field(default=1, validator=page_count)
    hardware: str = field(default="h100-sxm", validator=_hardware)
    attention: str = field(default="flash", validator=_ATTENTION)
    runtime: str = field(default=ROOFLINE, validator=_runtime)

    def __attrs_post_init__(self) -> None:
        if self.crop_grid is not None and self.page_size is not None:
            raise ValueError("crop_grid/page_size: give one of them, not both")
        if self.crop_grid == ALL_GRIDS:
            raise ValueError(f"crop_grid: {ALL_GRIDS!r} is for cartesian sweeps; a listed point names one grid")
        _check_modes_of_models((self.resolution_mode,), (self.model,), "resolution_mode")
        if self.model != V1:
            _check_runtimes_of_models((self.runtime,), (self.model,), "runtime")


@define(frozen=True, kw_only=True)
class SweepSpec:
    """A sweep file.

    Parameters
    ----------
    name, description
        Identifier (lower-case slug) and one line saying what the sweep answers.
    cartesian, points
        Exactly one of them: value lists to combine, or the points themselves.
    min_crops, max_crops
        Bounds of the vendor's grid rule (``all`` grids and page sizes); default: each model's own
        (DeepSeek-OCR 2..9 as the vendor's ``infer()``; DeepSeek-OCR-2 2..6).
    dtype
        Element type of weights and activations.
    target_pages_per_day
        When given, each point also reports the GPUs needed for it.
    memory_utilization
        Fraction of device memory a run may use (default 0.9, as vLLM's default).
    plots
        Whether :func:`~llm_perf_opt.planning.sweep.run_sweep` draws the plots.

    Example
    -------
    >>> SweepSpec(name="x", description="y")
    Traceback (most recent call last):
    ...
    ValueError: cartesian/points: give exactly one of them
    """

    name: str = field(validator=slug)
    description: str = field(validator=non_empty_str)
    cartesian: SweepAxes | None = None
    points: tuple[SweepPointSpec, ...] = ()
    min_crops: int | None = field(default=None, validator=[optional_positive_int, _at_most_max_crops])
    max_crops: int | None = field(default=None, validator=[optional_positive_int, _at_most_max_crops])
    dtype: str = field(default="bfloat16", validator=one_of(KNOWN_DTYPES))
    target_pages_per_day: float | None = field(default=None, validator=optional_finite_positive)
    memory_utilization: float = field(default=0.9, validator=fraction)
    plots: bool = field(default=True, validator=instance_of(bool))

    def __attrs_post_init__(self) -> None:
        if (self.cartesian is None) == (not self.points):
            raise ValueError("cartesian/points: give exactly one of them")
        for key in self.models:
            f = FAMILIES[key]
            lo = f.min_crops if self.min_crops is None else self.min_crops
            hi = f.max_crops if self.max_crops is None else self.max_crops
            if hi < lo:
                raise ValueError(f"max_crops: {hi} is below min_crops {lo}")
        count = self.point_bound()
        if count > MAX_POINTS:
            raise ValueError(
                f"cartesian: expands to {count:,} points, more than {MAX_POINTS:,}; "
                "split the sweep or shorten its lists"
            )
        timed = self.point_bound(runtime_only=True)
        workloads = self.roofline_workload_bound()
        if workloads / MAX_ROOFLINE_WORKLOADS + timed / MAX_RUNTIME_POINTS > 1:
            raise ValueError(
                f"cartesian: {workloads:,} roofline workloads and {timed:,} runtime-profile points; allowed: at most "
                f"{MAX_ROOFLINE_WORKLOADS:,} or {MAX_RUNTIME_POINTS:,}, or a mix of both shares; split the sweep"
            )

    @property
    def models(self) -> tuple[str, ...]:
        """The models the sweep covers, in first-use order."""
        if self.cartesian is not None:
            return self.cartesian.models
        return tuple(dict.fromkeys(p.model for p in self.points))

    def point_bound(self, *, runtime_only: bool = False) -> int:
        """Points the spec expands to, duplicates included (counted, not built); with ``runtime_only``, those
        timed under a runtime profile (not the roofline).

        Example
        -------
        >>> SweepSpec(name="x", description="y", cartesian=SweepAxes(batch_sizes=(1, 2)), max_crops=3).point_bound()
        8
        """
        if self.cartesian is None:
            return sum(1 for p in self.points if not runtime_only or p.runtime != ROOFLINE)
        a = self.cartesian
        per_view = len(a.prompt_tokens) * len(a.max_new_tokens) * len(a.batch_sizes) * len(a.attention)
        runtimes = sum(1 for r in a.runtimes if not runtime_only or r != ROOFLINE)
        return self._view_bound() * per_view * runtimes * len(a.hardware)

    def roofline_workload_bound(self) -> int:
        """Distinct workloads the spec times with the roofline (every GPU of a workload in one pass; duplicates
        of a ``points`` list counted).

        Example
        -------
        >>> axes = SweepAxes(batch_sizes=(1, 2), hardware=("h100-sxm", "l4"))
        >>> SweepSpec(name="x", description="y", cartesian=axes, max_crops=3).roofline_workload_bound()
        8
        """
        if self.cartesian is None:
            return sum(1 for p in self.points if p.runtime == ROOFLINE)
        a = self.cartesian
        if ROOFLINE not in a.runtimes:
            return 0
        return self._view_bound() * len(a.prompt_tokens) * len(a.max_new_tokens) * len(a.batch_sizes) * len(a.attention)

    def _view_bound(self) -> int:
        """Views (mode, crop grid or page size, per model) of the cartesian axes."""
        assert self.cartesian is not None
        a = self.cartesian
        views = 0
        for family in (FAMILIES[m] for m in a.models):
            grids = sum(
                len(family.candidate_grids(self.min_crops, self.max_crops)) if text == ALL_GRIDS else 1
                for text in a.crop_grids
            )
            for mode in (family.resolution_modes[m] for m in a.resolution_modes if m in family.resolution_modes):
                views += len(a.page_sizes) or (grids if mode.crop_mode else 1)
        return views


@define(frozen=True, kw_only=True)
class SweepResult:
    """``sweep.json``: the spec, the model, and one :class:`~llm_perf_opt.data.planning.PlanningPoint` per point
    (sorted; see :func:`llm_perf_opt.planning.sweep.point_sort_key`). A sweep over several models has the first
    one's architecture in ``model`` and the others' in ``more_models`` (absent when empty).

    Example
    -------
    >>> SweepResult.__attrs_attrs__.schema_version.default
    '1'
    """

    schema_version: str = field(default=SWEEP_SCHEMA_VERSION, validator=one_of((SWEEP_SCHEMA_VERSION,)))
    spec: SweepSpec = field(validator=instance_of(SweepSpec))
    model: DeepSeekOCRModelSpec = field(validator=instance_of(DeepSeekOCRModelSpec))
    points: tuple[PlanningPoint, ...] = ()
    more_models: tuple[DeepSeekOCRModelSpec, ...] = ()
