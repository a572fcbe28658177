"""The HTTP service's work, without the web framework: a request becomes the analyzer's own command line,
checked and run by the analyzer's functions (same validation, same run id, same files), cached on disk.

A request names packaged records only (no paths); every value is passed to the analyzer's argument parser as
``--flag=value`` (no shell); a run is written under ``<cache>/runs/<run id>/`` only, the run id coming from the
analyzer's hash of the inputs (:func:`~llm_perf_opt.runners.dsocr_analyzer.plan_analytic`).

Example
-------
>>> import tempfile
>>> store = AnalysisStore(tempfile.mkdtemp())
>>> run_id, cached = store.analyze(AnalysisRequest(max_new_tokens=2, format="json"))
>>> run_id.startswith("dsocr-standard-v1-"), cached, store.analyze(AnalysisRequest(max_new_tokens=2,
...     format="json"))[1]
(True, False, True)
>>> store.analyze(AnalysisRequest(batch_size=0))
Traceback (most recent call last):
...
llm_perf_opt.web.engine.RequestError: batch_size: must be an integer >= 1, got 0
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from llm_perf_opt.contracts.converter import structure, to_json_text
from llm_perf_opt.data.analyzer_summary import AnalyzerSummary
from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.data.runtime_profile import RuntimeProfile
from llm_perf_opt.hardware.portable import time_basis
from llm_perf_opt.hardware.registry import list_hardware, load_hardware
from llm_perf_opt.kernels.profiles import list_runtimes, load_runtime
from llm_perf_opt.kernels.report import SHARE_LABELS
from llm_perf_opt.runners.analyzer_inputs import AnalyzerInputs, check_run_id, load_profile
from llm_perf_opt.runners.dsocr_analyzer import (
    ALL_FLAGS,
    PROG,
    analytic_outputs,
    build_parser,
    check_mode_flags,
    manifest_writer,
    plan_analytic,
)
from llm_perf_opt.utils.atomic_output import write_directory
from llm_perf_opt.utils.cli_boundary import one_line
from llm_perf_opt.utils.input_error import InputError, did_you_mean
from llm_perf_opt.utils.packaged_defaults import DEFAULT_WORKLOAD_ID, PACKAGED_MODELS, packaged_workload_ids
from llm_perf_opt.web.models import (
    AnalysisLinks,
    AnalysisRequest,
    AnalysisStatus,
    HardwareEntry,
    Headline,
    HeadlineRow,
    ModelEntry,
    NamedEntry,
    ResolutionModeEntry,
    SweepPoint,
    SweepRequest,
    SweepResult,
    TimeBreakdown,
    TimePart,
    WorkloadEntry,
    WorkloadsEntry,
)
from modelmeter.layers.attention_core import ATTENTION_IMPLS
from modelmeter.models.families import FAMILIES
from modelmeter.units import KNOWN_DTYPES

MAX_BODY_BYTES = 16 * 1024
"""Largest request body accepted (a request is a few hundred bytes)."""
MAX_SWEEP_POINTS = 16
"""Most analyses one ``POST /v1/sweeps`` may ask for."""
DEFAULT_MAX_RUNS = 200
"""Runs kept in the cache by default (about 9 MiB each with both report formats); the least recently used go
first."""
MAX_PLANS = 256
"""Requests whose checked inputs and run id are kept in memory (least recently used dropped first): a repeated
request skips re-reading the packaged GPU and runtime files (most of a cached request's time). The packaged records
are read as they are when a request is first seen: restart the service after editing one."""
TIME_FILE = "time.json"
"""The service's extra file per run: :class:`~llm_perf_opt.web.models.TimeBreakdown`."""
DOWNLOADS: dict[str, str] = {
    "summary.json": "application/json",
    "report.json": "application/json",
    "report.yaml": "application/yaml",
    "report.md": "text/markdown; charset=utf-8",
    "manifest.json": "application/json",
    TIME_FILE: "application/json",
}
"""The files of a run that can be downloaded (name -> media type); nothing else is ever read by name."""

FIELD_OF_FLAG: dict[str, str] = {flag: dest for dest, flag in ALL_FLAGS.items()}
"""The analyzer's flag -> the request field that sets it."""
_FLAG = re.compile(r"--[a-z][a-z-]*")
_NAMED_FIELDS = ("model", "workload_profile_id", "hardware", "runtime")


Planned = tuple[AnalyzerInputs, tuple[HardwareSpec, RuntimeProfile] | None, str]
"""What :func:`~llm_perf_opt.runners.dsocr_analyzer.plan_analytic` gives: inputs, GPU and runtime, run id."""


class RequestError(ValueError):
    """A request the service refuses: ``status`` (422 bad input, 404 unknown run, 413 too large), the request
    field concerned (``None``: not one field) and one line naming it.

    Example
    -------
    >>> str(RequestError(422, "batch_size", "must be >= 1"))
    'batch_size: must be >= 1'
    """

    def __init__(self, status: int, field: str | None, detail: str) -> None:
        self.status = status
        self.field = field
        named = (
            detail
            if field is None or detail.startswith((f"{field}:", f"{field}.", f"{field}["))
            else f"{field}: {detail}"
        )
        self.detail = one_line(named)  # the CLI's rule: one line, under 300 characters
        super().__init__(self.detail)


def _from_input_error(exc: InputError) -> RequestError:
    """The analyzer's one-line error with its flags named as request fields."""
    message = str(exc).removeprefix("argument ")
    flags = [f for f in _FLAG.findall(message) if f in FIELD_OF_FLAG]
    field = FIELD_OF_FLAG[flags[0]] if flags else None
    detail = _FLAG.sub(lambda m: FIELD_OF_FLAG.get(m.group(0), m.group(0)), message)
    return RequestError(422, field, detail)


@attrs.define(frozen=True)
class _Choices:
    """The packaged names each named field may take."""

    model: tuple[str, ...]
    workload_profile_id: tuple[str, ...]
    hardware: tuple[str, ...]
    runtime: tuple[str, ...]


def _choices() -> _Choices:
    return _Choices(
        model=tuple(PACKAGED_MODELS),
        workload_profile_id=tuple(packaged_workload_ids()),
        hardware=tuple(list_hardware()),
        runtime=tuple(list_runtimes()),
    )


def parse_request(data: Any, cls: type[Any] = AnalysisRequest) -> Any:
    """A request body (parsed JSON) as ``cls``, with the project's converter: unknown keys and wrong types are
    refused, naming the key (``RequestError``, 422)."""
    if not isinstance(data, dict):
        raise RequestError(422, None, f"body: expected a JSON object, got {type(data).__name__}")
    try:
        return structure(data, cls)
    except ValueError as exc:
        problems = [_located(part) for part in str(exc).split("; ")]
        detail = "; ".join(text for _, text in problems)
        top = _EXTRA.fullmatch(problems[0][1])
        if top is not None:  # misspelt or unknown keys of the body itself
            hint = did_you_mean(top.group(0), [a.name for a in attrs.fields(cls)])
            detail = f"unknown field ({top.group('names')}){hint.replace('the keys are', 'the fields are')}"
        raise RequestError(422, problems[0][0], detail) from None


_AT = re.compile(r"^(?P<what>.*) @ \$\.?(?P<path>\S*)$")
_EXTRA = re.compile(r"extra fields found \((?P<names>[^)]*)\)")


def _located(problem: str) -> tuple[str | None, str]:
    """One problem of the converter's message (``what @ $.path``) as the request field it concerns and
    ``path: what``; an unknown key at the top is named by the key itself.

    Example
    -------
    >>> _located("expected true or false, got 1 @ $.base.crop_mode")
    ('base', 'base.crop_mode: expected true or false, got 1')
    >>> _located("extra fields found (gpus) @ $")
    ('gpus', 'extra fields found (gpus)')
    """
    found = _AT.match(problem)
    what, path = (found.group("what"), found.group("path")) if found else (problem, "")
    if path:
        return re.split(r"[.\[]", path, maxsplit=1)[0], f"{path}: {what}"
    extra = _EXTRA.search(what)
    return (extra.group("names").split(",")[0].strip() if extra else None), what


def request_argv(request: AnalysisRequest, choices: _Choices | None = None) -> list[str]:
    """The analyzer's command line (after the program name) for ``request``; a name outside the packaged
    records is refused (a request never names a file)."""
    allowed = choices or _choices()
    for name in _NAMED_FIELDS:
        value = getattr(request, name)
        known: tuple[str, ...] = getattr(allowed, name)
        if value is not None and value not in known:
            raise RequestError(422, name, f"unknown {value!r}; allowed: {', '.join(known)}")
    argv = ["--mode", "analytic"]
    for f in attrs.fields(AnalysisRequest):
        value = getattr(request, f.name)
        if value is None:
            continue
        text = str(int(value)) if isinstance(value, bool) else str(value)
        argv.append(f"{ALL_FLAGS[f.name]}={text}")
    return argv


def _media_links(run_id: str, names: Sequence[str]) -> AnalysisLinks:
    base = f"/v1/analyses/{run_id}"
    return AnalysisLinks(
        analysis=base,
        summary=f"{base}/summary",
        report=f"{base}/report",
        files={n: f"{base}/files/{n}" for n in names if n in DOWNLOADS},
    )


def time_breakdown(timings: Any) -> TimeBreakdown:
    """report.md's "where the time goes" as a record (``timings``: the analyzer's ``WorkloadTimings`` or
    ``None``)."""
    if timings is None:
        return TimeBreakdown(hardware=None, runtime=None, part_labels=dict(SHARE_LABELS), stages=())
    stages = tuple(
        TimePart(
            stage=name,
            wall_s=rt.predicted_wall_s,
            kernel_s=rt.predicted_kernel_s,
            kernel_launches=rt.kernel_launches,
            host_syncs=rt.host_syncs,
            parts=rt.shares(),
            largest_gap=rt.largest_gap,
        )
        for name, rt in timings.runtimes.items()
    )
    return TimeBreakdown(
        hardware=timings.hardware.name, runtime=timings.runtime.name, part_labels=dict(SHARE_LABELS), stages=stages
    )


class AnalysisStore:
    """Analyses computed on request and kept under ``root/runs/<run id>/`` (content-addressed: the same inputs
    give the same id and are computed once), at most ``max_runs`` of them (least recently used removed first).

    Example
    -------
    >>> import tempfile
    >>> store = AnalysisStore(tempfile.mkdtemp(), max_runs=5)
    >>> store.status("no-such-run")
    Traceback (most recent call last):
    ...
    llm_perf_opt.web.engine.RequestError: id: no analysis 'no-such-run'
    """

    def __init__(self, root: str | os.PathLike[str], *, max_runs: int = DEFAULT_MAX_RUNS) -> None:
        if max_runs < 1:
            raise ValueError(f"max_runs: must be >= 1, got {max_runs}")
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.max_runs = max_runs
        self._lock = threading.Lock()
        self._choices = _choices()
        self._plans: OrderedDict[AnalysisRequest, tuple[list[str], argparse.Namespace, Planned]] = OrderedDict()
        self._plans_lock = threading.Lock()

    # -- computing ---------------------------------------------------------------------------------------
    def analyze(self, request: AnalysisRequest) -> tuple[str, bool]:
        """Run (or find) the analysis of ``request``: its run id, and whether it was already on disk."""
        argv, args, (inputs, time_inputs, run_id) = self._plan(request)
        target = self.runs / run_id
        if self._touch(target):
            return run_id, True
        with self._lock:  # one computation at a time: the analyzer's caches are per process, the work CPU-bound
            if self._touch(target):
                return run_id, True
            try:
                files, _, _, timings = analytic_outputs(inputs, args, time_inputs)
            except InputError as exc:
                raise _from_input_error(exc) from None
            files[TIME_FILE] = to_json_text(time_breakdown(timings))
            write_directory(target, files, last=manifest_writer(run_id, [PROG, *argv]))
            self._evict(keep=target)
        return run_id, False

    def _plan(self, request: AnalysisRequest) -> tuple[list[str], argparse.Namespace, Planned]:
        """The analyzer's command line for ``request``, parsed and checked, and its inputs and run id (kept for the
        :data:`MAX_PLANS` most recent requests; a refused request is never kept)."""
        with self._plans_lock:
            known = self._plans.get(request)
            if known is not None:
                self._plans.move_to_end(request)
                return known
        argv = request_argv(request, self._choices)
        try:
            args = build_parser().parse_args(argv)
            check_mode_flags(args)
            planned = argv, args, plan_analytic(args)
        except InputError as exc:
            raise _from_input_error(exc) from None
        with self._plans_lock:
            self._plans[request] = planned
            while len(self._plans) > MAX_PLANS:
                self._plans.popitem(last=False)
        return planned

    def sweep(self, request: SweepRequest) -> SweepResult:
        """Every combination of the sweep's axes, each analysed like :meth:`analyze`."""
        axes = {f.name: getattr(request, f.name) for f in attrs.fields(SweepRequest) if f.name != "base"}
        given = {name: values for name, values in axes.items() if values}
        count = 1
        for values in given.values():
            count *= len(values)
        if count > MAX_SWEEP_POINTS:
            sizes = " x ".join(f"{len(v)} {k}" for k, v in given.items())
            raise RequestError(422, None, f"sweep: {sizes} = {count} points; at most {MAX_SWEEP_POINTS}")
        combos = [dict(zip(given, combo, strict=True)) for combo in itertools.product(*given.values())]
        requests = [attrs.evolve(request.base, **values) for values in combos]
        for point_request in requests:  # every point checked before any is computed
            self._plan(point_request)
        points = []
        for values, point_request in zip(combos, requests, strict=True):
            run_id, _ = self.analyze(point_request)
            summary = self.summary(run_id)
            points.append(
                SweepPoint(values=values, id=run_id, page=summary.page, links=_media_links(run_id, self.files(run_id)))
            )
        return SweepResult(points=tuple(points))

    # -- reading -----------------------------------------------------------------------------------------
    def run_dir(self, run_id: str) -> Path:
        """The directory of run ``run_id`` (422 for an id that is no run id, 404 for an unknown one)."""
        try:
            check_run_id(run_id)
        except InputError as exc:
            raise RequestError(422, "id", str(exc).removeprefix("--run-id: ")) from None
        path = self.runs / run_id
        if not (path / "manifest.json").is_file():
            raise RequestError(404, "id", f"no analysis {run_id!r}")
        return path

    def files(self, run_id: str) -> list[str]:
        """The downloadable files of a run, in :data:`DOWNLOADS` order."""
        path = self.run_dir(run_id)
        return [name for name in DOWNLOADS if (path / name).is_file()]

    def status(self, run_id: str, *, cached: bool = True) -> AnalysisStatus:
        """A run's status and links."""
        path = self.run_dir(run_id)
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        return AnalysisStatus(
            id=run_id,
            status="done",
            cached=cached,
            command_line=tuple(manifest["command_line"]),
            links=_media_links(run_id, self.files(run_id)),
        )

    def read(self, run_id: str, name: str) -> tuple[bytes, str]:
        """A downloadable file's bytes and media type (404 for any other name)."""
        if name not in DOWNLOADS:
            raise RequestError(404, "name", f"no file {name!r}; files: {', '.join(DOWNLOADS)}")
        path = self.run_dir(run_id) / name
        if not path.is_file():
            raise RequestError(404, "name", f"analysis {run_id!r} has no {name} (its format left it out)")
        return path.read_bytes(), DOWNLOADS[name]

    def report(self, run_id: str) -> tuple[bytes, str]:
        """The full report: report.json, or report.yaml for a run with ``format: yaml``."""
        name = "report.json" if (self.run_dir(run_id) / "report.json").is_file() else "report.yaml"
        return self.read(run_id, name)

    def headline(self, run_id: str) -> Headline:
        """The run's answer per page, formatted as the CLI's headline (from summary.json's ``page`` block)."""
        from llm_perf_opt.visualize.time_sections import headline_rows

        summary = self.summary(run_id)
        batch = summary.workload.batch_size
        rows = () if summary.page is None else headline_rows(summary.page, batch)
        return Headline(batch_size=batch, page=summary.page, rows=tuple(HeadlineRow(label=a, value=b) for a, b in rows))

    def summary(self, run_id: str) -> AnalyzerSummary:
        """The run's ``summary.json`` as the contract's record."""
        text, _ = self.read(run_id, "summary.json")
        return structure(json.loads(text), AnalyzerSummary)

    # -- the cache -----------------------------------------------------------------------------------------
    @staticmethod
    def _touch(target: Path) -> bool:
        """Whether ``target`` is a complete run; marks it used."""
        if not (target / "manifest.json").is_file():
            return False
        try:
            os.utime(target)
        except OSError:  # removed meanwhile by another eviction: compute it again
            return False
        return True

    def _runs_by_age(self) -> Iterator[Path]:
        entries = [p for p in self.runs.iterdir() if p.is_dir() and not p.name.startswith(".")]
        yield from sorted(entries, key=lambda p: p.stat().st_mtime)

    def _evict(self, *, keep: Path) -> None:
        runs = list(self._runs_by_age())
        for old in runs[: max(0, len(runs) - self.max_runs)]:
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)


# -- the lists a request picks from ------------------------------------------------------------------------
def hardware_entries() -> list[HardwareEntry]:
    """The packaged GPU entries."""
    out = []
    for name in list_hardware():
        spec = load_hardware(name)
        out.append(
            HardwareEntry(
                name=spec.name,
                display_name=spec.display_name,
                architecture=spec.architecture,
                memory_gb=spec.memory_gb.value,
                calibrated=spec.calibration is not None and spec.calibration.measured,
                basis=time_basis(spec),
            )
        )
    return out


def runtime_entries() -> list[NamedEntry]:
    """The packaged runtime profiles."""
    return [NamedEntry(name=n, description=load_runtime(n).description) for n in list_runtimes()]


def workload_entries() -> WorkloadsEntry:
    """The packaged workload profiles and the other choices of a workload."""
    profiles = []
    for name in packaged_workload_ids():
        p, _ = load_profile(name)
        profiles.append(
            WorkloadEntry(
                name=name,
                description=p.description,
                resolution_mode=p.resolution_mode,
                image_width=p.image_width,
                image_height=p.image_height,
                max_new_tokens=p.max_new_tokens,
                batch_size=p.batch_size,
            )
        )
    return WorkloadsEntry(
        default=DEFAULT_WORKLOAD_ID,
        profiles=tuple(profiles),
        dtypes=tuple(KNOWN_DTYPES),
        attention=tuple(ATTENTION_IMPLS),
    )


def model_entries() -> list[ModelEntry]:
    """The packaged models a request may name, with their standard profiles, stages and resolution modes."""
    out = []
    for name, (_, profile) in PACKAGED_MODELS.items():
        family = FAMILIES[name]
        modes = tuple(
            ResolutionModeEntry(name=n, base_size=m.base_size, image_size=m.image_size, crop_mode=m.crop_mode)
            for n, m in family.resolution_modes.items()
        )
        out.append(
            ModelEntry(
                name=name,
                display_name=family.display_name,
                checkpoint=family.checkpoint,
                standard_profile=profile,
                stages=tuple(family.stages),
                resolution_modes=modes,
            )
        )
    return out
