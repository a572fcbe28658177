"""Run a sweep: expand a :class:`~llm_perf_opt.data.sweep.SweepSpec` into workloads, predict
every (workload, GPU) point, write ``sweep.csv``, ``sweep.json`` and the plots.

Expansion (cartesian): for every model (``models``, default DeepSeek-OCR) and each of its resolution modes in
``resolution_modes``, the views are the mode's sizes with

* a crop mode (``gundam``, ``gundam-m``): each grid of ``crop_grids`` (``all``: every grid the
  vendor's rule allows, :func:`~modelmeter.models.deepseek_ocr.workload.candidate_grids`
  between ``min_crops`` and ``max_crops`` tiles), or, when ``page_sizes`` is given, each
  page's grid by the vendor's rule (:func:`~modelmeter.models.deepseek_ocr.workload.select_crop_grid`);
* a mode without crops: the 1x1 grid (one view per page size when page sizes are given);

times every prompt length, generation length, batch size, attention kernel and GPU.
Duplicates are dropped. Points sharing a workload are predicted together (the model is
counted once for all GPUs).

Output is deterministic: points sorted by :func:`point_sort_key`, files with fixed key
order and no timestamps. A progress bar (tqdm, on stderr) appears when the sweep runs for
more than a second, stderr is a terminal and ``progress`` is true.

Example
-------
>>> from llm_perf_opt.data.sweep import SweepAxes, SweepSpec
>>> spec = SweepSpec(name="demo", description="Gundam grids of 2..3 crops",
...                  cartesian=SweepAxes(crop_grids=("all",), max_new_tokens=(10,)), max_crops=3, plots=False)
>>> [p.workload.crop_grid for p in evaluate_sweep(spec, progress=False)]  # (across, down)
[(2, 1), (1, 2), (3, 1), (1, 3)]
>>> both = SweepSpec(name="both", description="an A4 page through both models", plots=False,
...     cartesian=SweepAxes(models=("deepseek-ocr", "deepseek-ocr-2"), resolution_modes=("gundam", "dynamic"),
...                         page_sizes=("1654x2339",), max_new_tokens=(10,)))
>>> [(p.model, p.resolution_mode, p.image_tokens) for p in evaluate_sweep(both, progress=False)]
[('deepseek-ocr', 'gundam', 903), ('deepseek-ocr-2', 'dynamic', 1121)]
"""

from __future__ import annotations

import csv
import functools
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import yaml
from attrs import define, evolve

from llm_perf_opt.contracts.converter import structure, unstructure
from llm_perf_opt.contracts.indented_json import dump_indented_json
from llm_perf_opt.contracts.yaml_input import InputFileError, load_yaml, read_input_file
from llm_perf_opt.data.model_spec import DeepSeekOCRModelSpec
from llm_perf_opt.data.planning import PlanningPoint
from llm_perf_opt.data.sweep import ALL_GRIDS, SweepAxes, SweepPointSpec, SweepResult, SweepSpec, parse_pair
from llm_perf_opt.kernels.timing import RuntimeCache
from llm_perf_opt.planning.predict import predict_many
from llm_perf_opt.planning.table import csv_header, csv_row
from llm_perf_opt.timing.time_model import time_model
from llm_perf_opt.utils.atomic_output import write_directory
from llm_perf_opt.utils.collector import CollectorPaused
from llm_perf_opt.utils.input_error import did_you_mean
from modelmeter.models.families import FAMILIES, AnyOCRWorkload, ModelFamily, family_of

SWEEP_OUTPUTS = ("sweep.csv", "sweep.json", "plots/*")
"""What a sweep writes into its directory (an earlier sweep's files are replaced, no other)."""
PROGRESS_DELAY_SECONDS = 1.0
"""The progress bar shows only once a sweep has run this long."""
_MODE_ORDER = {
    name: i for i, name in enumerate(dict.fromkeys(m for f in FAMILIES.values() for m in f.resolution_modes))
}
_MODEL_ORDER = {name: i for i, name in enumerate(FAMILIES)}
_SECTIONS: dict[str, type] = {"$": SweepSpec, "$.cartesian": SweepAxes, "$.points": SweepPointSpec}


@define(frozen=True)
class _Views:
    """One workload of the sweep without its GPU, and the page size its grid came from."""

    workload: AnyOCRWorkload
    page_size: tuple[int, int] | None


def _allowed_keys(message: str) -> list[str]:
    path = message.rsplit(" @ ", 1)[-1] if " @ " in message else "$"
    section = _SECTIONS.get(path.split("[", 1)[0], SweepSpec)
    return [a.name for a in attrs.fields(section)]


def parse_sweep_spec(text: str, label: str = "sweep") -> SweepSpec:
    """A :class:`SweepSpec` from YAML text; ``ValueError`` (one line starting with ``label``) when invalid.

    Under ``cartesian``, a single value where a list is expected is read as a one-item list
    (``crop_grids: all`` is ``[all]``, ``batch_sizes: 8`` is ``[8]``).
    """
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{label}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{label}: must hold a mapping of sweep fields, got {type(data).__name__}")
    axes = data.get("cartesian")
    if isinstance(axes, dict):
        data["cartesian"] = {
            k: [v] if isinstance(v, str | int) and not isinstance(v, bool) else v for k, v in axes.items()
        }
    try:
        return structure(data, SweepSpec)
    except ValueError as exc:
        message = str(exc)
        if "extra fields found" in message:
            message += did_you_mean(message, _allowed_keys(message))
        raise ValueError(f"{label}: {message}") from None


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read a sweep file (``ValueError`` naming the file and the problem)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"sweep: no such file {str(p)!r}")
    try:
        text = read_input_file(p)
    except InputFileError as exc:
        raise ValueError(f"{p}: {exc}") from None
    return parse_sweep_spec(text, str(p))


def _grid_from_text(text: str) -> tuple[int, int]:
    pair = parse_pair(text)
    assert pair is not None  # validated by the spec
    rows, columns = pair
    return columns, rows  # a workload's crop_grid is (across, down)


def _views_of_mode(
    spec: SweepSpec, family: ModelFamily, mode_name: str, axes: SweepAxes
) -> list[tuple[tuple[int, int], tuple[int, int] | None]]:
    """(crop grid as (across, down), page size) pairs of one mode of ``family``'s model."""
    mode = family.resolution_modes[mode_name]
    pages = [parse_pair(p) for p in axes.page_sizes]
    if pages:
        out: list[tuple[tuple[int, int], tuple[int, int] | None]] = []
        for page in pages:
            assert page is not None  # validated by the spec
            grid = (1, 1)
            if mode.crop_mode:
                grid = family.select_crop_grid(
                    *page, min_num=spec.min_crops, max_num=spec.max_crops, image_size=mode.image_size
                )
            out.append((grid, page))
        return out
    if not mode.crop_mode:
        return [((1, 1), None)]
    grids: list[tuple[int, int]] = []
    for text in axes.crop_grids:
        candidates = family.candidate_grids(spec.min_crops, spec.max_crops)
        for g in candidates if text == ALL_GRIDS else [_grid_from_text(text)]:
            if g not in grids:
                grids.append(g)
    return [(g, None) for g in grids]


def _workload(
    spec: SweepSpec,
    family: ModelFamily,
    mode_name: str,
    grid: tuple[int, int],
    prompt: int,
    new: int,
    batch: int,
    attn: str,
) -> AnyOCRWorkload:
    mode = family.resolution_modes[mode_name]
    if not mode.crop_mode and grid != (1, 1):
        raise ValueError(f"crop_grid: mode {mode_name!r} has no crops; only 1x1 is allowed, got {grid[1]}x{grid[0]}")
    return family.workload(
        base_size=mode.base_size,
        image_size=mode.image_size,
        crop_mode=mode.crop_mode,
        crop_grid=grid,
        prompt_tokens=prompt,
        max_new_tokens=new,
        batch_size=batch,
        dtype=spec.dtype,
        attention=attn,
    )


def expand_sweep(spec: SweepSpec) -> dict[tuple[_Views, str], list[str]]:
    """(workload with its page size, time model) -> the GPUs to predict it on, duplicates dropped."""
    groups: dict[tuple[_Views, str], list[str]] = {}

    def add(views: _Views, hardware: str, runtime: str) -> None:
        names = groups.setdefault((views, runtime), [])
        if hardware not in names:
            names.append(hardware)

    if spec.cartesian is not None:
        a = spec.cartesian
        for family, mode in [(FAMILIES[m], mode) for m in a.models for mode in a.resolution_modes]:
            if mode not in family.resolution_modes:
                continue
            for grid, page in _views_of_mode(spec, family, mode, a):
                for prompt in a.prompt_tokens:
                    for new in a.max_new_tokens:
                        for batch in a.batch_sizes:
                            for attn in a.attention:
                                views = _Views(_workload(spec, family, mode, grid, prompt, new, batch, attn), page)
                                for runtime in a.runtimes:
                                    for hw in a.hardware:
                                        add(views, hw, runtime)
    for p in spec.points:
        page = parse_pair(p.page_size) if p.page_size is not None else None
        grid = _grid_from_text(p.crop_grid) if p.crop_grid is not None else (1, 1)
        family = FAMILIES[p.model]
        preset = family.resolution_modes[p.resolution_mode]
        if page is not None and preset.crop_mode:
            grid = family.select_crop_grid(
                *page, min_num=spec.min_crops, max_num=spec.max_crops, image_size=preset.image_size
            )
        workload = _workload(
            spec, family, p.resolution_mode, grid, p.prompt_tokens, p.max_new_tokens, p.batch_size, p.attention
        )
        add(_Views(workload, page), p.hardware, p.runtime)
    return groups


def with_runtime(spec: SweepSpec, runtime: str) -> SweepSpec:
    """``spec`` with every point timed by ``runtime`` (``roofline`` or a packaged profile's name) instead of the
    file's runtimes; ``ValueError`` naming the allowed values otherwise."""
    if spec.cartesian is not None:
        return evolve(spec, cartesian=evolve(spec.cartesian, runtimes=(runtime,)))
    return evolve(spec, points=tuple(evolve(p, runtime=runtime) for p in spec.points))


def point_sort_key(p: PlanningPoint) -> tuple[Any, ...]:
    """Model, GPU, time model, mode (vendor order), tiles, grid rows and columns, page size, prompt, generation
    length, batch, kernel."""
    w = p.workload
    across, down = w.crop_grid
    return (
        _MODEL_ORDER[p.model],
        p.hardware,
        p.runtime,
        _MODE_ORDER.get(p.resolution_mode, len(_MODE_ORDER)),
        w.n_crops,
        down,
        across,
        p.page_width or 0,
        p.page_height or 0,
        w.prompt_tokens,
        w.max_new_tokens,
        w.batch_size,
        w.attention,
        w.dtype,
    )


@functools.cache
def default_model_spec(model: str | None = None) -> DeepSeekOCRModelSpec:
    """The released checkpoint's architecture of ``model`` (a family key; ``None``: DeepSeek-OCR), as the analyzer
    embeds it."""
    from llm_perf_opt.runners.analyzer_inputs import load_model_spec

    return load_model_spec(model)


def model_specs(spec: SweepSpec, model: DeepSeekOCRModelSpec | None = None) -> dict[str, DeepSeekOCRModelSpec]:
    """The architecture of every model of the sweep, by family key in the sweep's order: ``model`` for its own
    model, the packaged one for the others."""
    return {
        key: model if model is not None and model.family.key == key else default_model_spec(key) for key in spec.models
    }


class _Progress:
    """A tqdm bar on stderr when wanted and available, else nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:  # tqdm is optional (dev extra)
                return
            self.bar = tqdm(total=total, unit="pt", delay=PROGRESS_DELAY_SECONDS, file=sys.stderr, leave=False)

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def evaluate_sweep(
    spec: SweepSpec, *, model: DeepSeekOCRModelSpec | None = None, progress: bool = True
) -> list[PlanningPoint]:
    """Every point of ``spec``, sorted by :func:`point_sort_key` (engine only: nothing written). ``model``: the
    architecture of its model's points (default: the packaged ones)."""
    archs = {key: s.arch for key, s in model_specs(spec, model).items()}
    groups = expand_sweep(spec)
    # one time model per runtime for the whole sweep, all with one cache: each distinct stage is timed once
    cache = RuntimeCache()
    timers = {runtime: time_model(runtime, cache=cache) for runtime in dict.fromkeys(r for _, r in groups)}
    total = sum(len(h) for h in groups.values())
    bar = _Progress(total, progress)
    points: list[PlanningPoint] = []
    try:
        with CollectorPaused():
            for (views, runtime), hardware in groups.items():
                points += predict_many(
                    archs[family_of(views.workload).key],
                    views.workload,
                    hardware,
                    target_pages_per_day=spec.target_pages_per_day,
                    memory_utilization=spec.memory_utilization,
                    page_size=views.page_size,
                    runtime=timers[runtime],
                )
                bar.update(len(hardware))
    finally:
        bar.close()
    points.sort(key=point_sort_key)
    return points


def sweep_csv_text(points: list[PlanningPoint]) -> str:
    """``sweep.csv``: one row per point (columns: :func:`llm_perf_opt.planning.table.csv_header` of the points'
    models)."""
    models = tuple(dict.fromkeys(p.model for p in points))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(csv_header(models))
    for p in points:
        writer.writerow(csv_row(p, models))
    return buf.getvalue()


def sweep_json_text(result: SweepResult) -> str:
    """``sweep.json``: the result's JSON, without ``more_models`` when the sweep covers one model."""
    data = unstructure(result)
    if not result.more_models:
        del data["more_models"]
    return dump_indented_json(data) + "\n"


def _iter_outputs(result: SweepResult) -> Iterator[tuple[str, str | bytes]]:
    points = list(result.points)
    yield "sweep.csv", sweep_csv_text(points)
    yield "sweep.json", sweep_json_text(result)
    if result.spec.plots and points:
        from llm_perf_opt.planning.plots import sweep_plots

        specs = (result.model, *result.more_models)
        for spec in specs:  # one set of plots per model: plots/, or plots/<model>/ when there are several
            of_model = [p for p in points if p.model == spec.family.key]
            folder = "plots/" if len(specs) == 1 else f"plots/{spec.family.key}/"
            for name, data in sweep_plots(of_model, spec.arch).items():
                yield f"{folder}{name}", data


def run_sweep(
    spec: SweepSpec | str | Path,
    output_dir: str | Path,
    *,
    progress: bool = True,
    model: DeepSeekOCRModelSpec | None = None,
    force: bool = False,
) -> list[PlanningPoint]:
    """Evaluate ``spec`` (a record or a YAML path) and write ``sweep.csv``, ``sweep.json`` and
    ``plots/`` (unless the spec turns plots off) as directory ``output_dir``; returns the points, sorted.

    The directory is written atomically (:func:`llm_perf_opt.utils.atomic_output.write_directory`): it
    replaces an earlier sweep's output (a directory holding ``sweep.json``) or an empty directory, and
    refuses any other existing path, so no file of the user's is ever overwritten or deleted; ``force`` writes
    into such a directory, keeping its other files."""
    record = spec if isinstance(spec, SweepSpec) else load_sweep_spec(spec)
    specs = list(model_specs(record, model).values())
    points = evaluate_sweep(record, model=model, progress=progress)
    result = SweepResult(spec=record, model=specs[0], more_models=tuple(specs[1:]), points=tuple(points))
    write_directory(
        Path(output_dir), dict(_iter_outputs(result)), marker="sweep.json", owned=SWEEP_OUTPUTS, force=force
    )
    return points
