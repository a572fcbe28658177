"""Resolve the analyzer's inputs: the workload profile plus command-line overrides, and the
architecture (a packaged model, ``deepseek-ocr`` by default or ``deepseek-ocr-2``, or a local ``config.json``,
whose model is detected from its keys: :func:`modelmeter.models.families.detect_family`).

Every problem raises :class:`~llm_perf_opt.utils.input_error.InputError` with one line that
names the input (the flag, or the file and key) and what is allowed.

Example
-------
>>> inputs = resolve_inputs(WorkloadFlags(max_new_tokens=10))
>>> inputs.profile.crop_grid, inputs.workload.prefill_tokens, inputs.overrides
(CropGrid(rows=3, columns=2), 913, ('--max-new-tokens=10',))
>>> ocr2 = resolve_inputs(WorkloadFlags(), model_dir="deepseek-ocr-2")
>>> ocr2.profile.id, ocr2.workload.crop_grid, ocr2.workload.image_tokens  # 144 * 6 + 256 + 1
('dsocr2-standard-v1', (2, 3), 1121)
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import attrs
import yaml
from attrs import define, evolve

from llm_perf_opt.contracts.converter import structure, unstructure
from llm_perf_opt.contracts.json_input import read_json_file
from llm_perf_opt.contracts.yaml_input import InputFileError, load_yaml, read_input_file
from llm_perf_opt.data.model_spec import DeepSeekOCRModelSpec
from llm_perf_opt.data.workload_profile import CUSTOM_RESOLUTION, CropGrid, OCRWorkloadProfile
from llm_perf_opt.utils.input_error import InputError, did_you_mean
from llm_perf_opt.utils.packaged_defaults import (
    PACKAGED_MODELS,
    packaged_arch,
    packaged_workload_ids,
    read_workload_text,
)
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import OCRWorkload
from modelmeter.models.deepseek_ocr2.workload import BASE_SIZE, TILE_SIZE, view_tokens
from modelmeter.models.families import FAMILIES, V1, AnyOCRWorkload, ModelFamily, detect_family

FIELD_FLAGS: dict[str, str] = {
    "resolution_mode": "--resolution-mode",
    "base_size": "--base-size",
    "image_size": "--image-size",
    "crop_mode": "--crop-mode",
    "crop_grid": "--crop-grid",
    "image_width": "--image-width",
    "image_height": "--image-height",
    "prompt_tokens": "--prompt-tokens",
    "seq_len": "--seq-len",
    "max_new_tokens": "--max-new-tokens",
    "batch_size": "--batch-size",
    "dtype": "--dtype",
    "attention": "--attention",
}
"""Workload field (or pseudo-field) -> the flag that sets it, in the order overrides are listed."""

_GRID = re.compile(r"^\s*(\d{1,9})\s*[xX]\s*(\d{1,9})\s*$")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_RUN_ID = 128
"""Longest run id (a directory name; file systems allow 255 bytes)."""


@define(frozen=True, kw_only=True)
class WorkloadFlags:
    """Workload values given on the command line (``None``: keep the profile's).

    ``crop_grid`` is already parsed (see :func:`parse_crop_grid`); ``seq_len`` is the
    prefill length (BOS + prompt + image tokens) and replaces ``prompt_tokens``.

    Example
    -------
    >>> WorkloadFlags().given()
    ()
    """

    resolution_mode: str | None = None
    base_size: int | None = None
    image_size: int | None = None
    crop_mode: bool | None = None
    crop_grid: CropGrid | None = None
    image_width: int | None = None
    image_height: int | None = None
    prompt_tokens: int | None = None
    seq_len: int | None = None
    max_new_tokens: int | None = None
    batch_size: int | None = None
    dtype: str | None = None
    attention: str | None = None

    def given(self) -> tuple[str, ...]:
        """``--flag=value`` for every flag given, in :data:`FIELD_FLAGS` order."""
        out = []
        for name, flag in FIELD_FLAGS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, CropGrid):
                text = f"{value.rows}x{value.columns}"
            elif isinstance(value, bool):
                text = str(int(value))
            else:
                text = str(value)
            out.append(f"{flag}={text}")
        return tuple(out)


@define(frozen=True, kw_only=True)
class AnalyzerInputs:
    """Resolved inputs of one run.

    Example
    -------
    >>> resolve_inputs(WorkloadFlags()).workload.image_tokens
    903
    """

    spec: DeepSeekOCRModelSpec
    profile: OCRWorkloadProfile
    workload: AnyOCRWorkload
    overrides: tuple[str, ...]


def parse_crop_grid(text: str) -> CropGrid:
    """``"HxW"``: H crops down (rows) by W crops across (columns), e.g. ``"3x2"`` for an A4 portrait.

    Example
    -------
    >>> parse_crop_grid("3x2")
    CropGrid(rows=3, columns=2)
    >>> parse_crop_grid("3by2")
    Traceback (most recent call last):
    ...
    llm_perf_opt.utils.input_error.InputError: --crop-grid: expected ROWSxCOLUMNS (crops down x crops across, \
each >= 1) such as 3x2, got '3by2'
    """
    match = _GRID.match(text)
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise InputError(
            f"--crop-grid: expected ROWSxCOLUMNS (crops down x crops across, each >= 1) such as 3x2, got {text!r}"
        )
    return CropGrid(rows=int(match.group(1)), columns=int(match.group(2)))


def load_profile(id_or_path: str) -> tuple[OCRWorkloadProfile, str]:
    """The profile named by a packaged id or a YAML path, and a label for messages."""
    path = Path(id_or_path)
    looks_like_path = id_or_path.endswith((".yaml", ".yml")) or "/" in id_or_path or path.is_file()
    flag = "--workload-profile-id"
    if looks_like_path:
        if not path.exists():
            raise InputError(f"{flag}: no such workload file {id_or_path!r}")
        try:
            text = read_input_file(path)
        except InputFileError as exc:
            raise InputError(f"{flag}: {path}: {exc}") from None
        label = str(path)
    else:
        try:
            text = read_workload_text(id_or_path)
        except KeyError:
            allowed = ", ".join(packaged_workload_ids())
            raise InputError(
                f"{flag}: unknown profile {id_or_path!r}; allowed: {allowed}, or a path to a workload .yaml file"
            ) from None
        label = f"{id_or_path} (embedded)"
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{flag}: {label} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{flag}: {label} must hold a mapping of workload fields, got {type(data).__name__}")
    try:
        return structure(data, OCRWorkloadProfile), label
    except ValueError as exc:
        detail = str(exc)
        if "extra fields found" in detail:  # a typo in a key: name the key it was probably meant to be
            detail += did_you_mean(detail, [a.name for a in attrs.fields(OCRWorkloadProfile)])
        raise InputError(f"{flag}: {label}: {detail}") from None


def load_model_spec(model: str | None) -> DeepSeekOCRModelSpec:
    """The architecture ``--model`` names: a packaged model (:data:`PACKAGED_MODELS`; ``None``: ``deepseek-ocr``)
    or a local directory holding a ``config.json`` (or the file itself), of either model (no weights read)."""
    flag = "--model"
    if model is None or (model in PACKAGED_MODELS and "/" not in model):
        text, source = packaged_arch(model or V1)
        data: Any = load_yaml(text)
    else:
        given = Path(model)
        path = given if given.is_file() else given / "config.json"
        if not path.is_file():
            raise InputError(
                f"{flag}: no config.json in {model!r}; expected a packaged model ({', '.join(PACKAGED_MODELS)}) or a "
                "local DeepSeek-OCR directory or its config.json"
            )
        try:
            data = read_json_file(path)
        except InputFileError as exc:
            raise InputError(f"{flag}: {path}: {exc}") from None
        if not isinstance(data, dict):
            raise InputError(f"{flag}: {path} must hold a JSON object, got {type(data).__name__}")
        source = str(path)
    name = data.get("_name_or_path")
    try:
        family = detect_family(data)
        arch = family.arch_from_config(data, name=name if isinstance(name, str) and name else None)
    except (ValueError, TypeError) as exc:
        detail = str(exc).removeprefix("config.json: ")
        raise InputError(f"{flag}: {source}: {detail}") from None
    return DeepSeekOCRModelSpec(name=arch.name, config_source=source, arch=arch)


def _blame(exc: Exception, flags: WorkloadFlags, label: str) -> InputError:
    """Turn a ``"field: ..."`` validation message into one naming the flag or the profile key."""
    message = str(exc)
    head, sep, rest = message.partition(": ")
    fields = [f for f in head.split("/") if f in FIELD_FLAGS] if sep else []
    if fields:
        given = [FIELD_FLAGS[f] for f in fields if getattr(flags, f, None) is not None]
        if given:
            return InputError(f"{'/'.join(given)}: {rest}")
        return InputError(f"--workload-profile-id: {label}: {head}: {rest}")
    return InputError(f"workload: {message}")


def _resolution_name(
    preferred: str | None, base_size: int, image_size: int, crop_mode: bool, family: ModelFamily
) -> str:
    modes = family.resolution_modes
    names = [preferred] if preferred else []
    names += list(modes)
    for name in names:
        mode = modes.get(name) if name else None
        if mode and (mode.base_size, mode.image_size, mode.crop_mode) == (base_size, image_size, crop_mode):
            return name
    return CUSTOM_RESOLUTION


def _resolve_grid(
    profile: OCRWorkloadProfile,
    flags: WorkloadFlags,
    crop_mode: bool,
    image_size: int,
    label: str,
    family: ModelFamily,
) -> tuple[CropGrid, int | None, int | None]:
    width = flags.image_width if flags.image_width is not None else profile.image_width
    height = flags.image_height if flags.image_height is not None else profile.image_height
    if (flags.image_width is None) != (flags.image_height is None):
        raise InputError("--image-width/--image-height: give both or neither")
    if not crop_mode:
        if flags.crop_grid is not None and (flags.crop_grid.rows, flags.crop_grid.columns) != (1, 1):
            raise InputError("--crop-grid: needs crop mode on (--crop-mode 1); without crops the grid is 1x1")
        return CropGrid(rows=1, columns=1), width, height
    if flags.crop_grid is not None:
        return flags.crop_grid, width, height
    if flags.image_width is None and profile.crop_grid is not None:
        return profile.crop_grid, width, height
    if width is None or height is None:
        raise InputError(
            f"--crop-grid: crop mode is on but {label} gives no crop grid or page size; "
            "give --crop-grid ROWSxCOLUMNS or --image-width/--image-height"
        )
    if width < 1 or height < 1:
        names = "/".join(
            f
            for f, v in (("--image-width", flags.image_width), ("--image-height", flags.image_height))
            if v is not None
        )
        raise InputError(f"{names or '--workload-profile-id'}: image sizes must be integers >= 1, got {width}x{height}")
    w, h = family.select_crop_grid(width, height, image_size=image_size)
    return CropGrid(rows=h, columns=w), width, height


def _check_mode(profile: OCRWorkloadProfile, flags: WorkloadFlags, label: str, family: ModelFamily) -> None:
    """A named mode must be one of the model's (``custom`` sizes are checked by the workload itself)."""
    allowed = ", ".join(family.resolution_modes)
    if flags.resolution_mode is not None:
        if flags.resolution_mode not in family.resolution_modes:
            raise InputError(
                f"--resolution-mode: {flags.resolution_mode!r} is not a {family.display_name} mode; allowed: {allowed}"
            )
        return
    mode = profile.resolution_mode
    if mode != CUSTOM_RESOLUTION and mode not in family.resolution_modes:
        raise InputError(
            f"--workload-profile-id: {label}: resolution_mode: {mode!r} is not a {family.display_name} mode; "
            f"allowed: {allowed} (or give --resolution-mode)"
        )


def _check_views(workload: AnyOCRWorkload, family: ModelFamily) -> None:
    """DeepSeek-OCR-2's encoder has query tables for 768 and 1024 px views only (144 and 256 SAM tokens)."""
    if family.key == V1:
        return
    sizes = [("base_size", workload.base_size)]
    if workload.n_crops:
        sizes.append(("image_size", workload.image_size))
    for name, px in sizes:
        if view_tokens(px) not in (view_tokens(TILE_SIZE), view_tokens(BASE_SIZE)):
            raise ValueError(
                f"{name}: {px} px gives {view_tokens(px)} SAM tokens; {family.display_name}'s encoder has query "
                "tables for 768 and 1024 px views only"
            )


def resolve_workload(
    profile: OCRWorkloadProfile, flags: WorkloadFlags, label: str = "workload", family: ModelFamily | None = None
) -> tuple[OCRWorkloadProfile, AnyOCRWorkload]:
    """Apply ``flags`` to ``profile`` and build the analytic workload of ``family``'s model (default DeepSeek-OCR).

    Precedence: ``--resolution-mode`` sets the three view fields, then ``--base-size``,
    ``--image-size`` and ``--crop-mode`` override each. The crop grid is ``--crop-grid``, else
    the model's rule on ``--image-width/--image-height``, else the profile's grid, else the
    rule on the profile's page size (1x1 whenever crop mode is off). A named mode must be the model's.
    """
    family = family or FAMILIES[V1]
    _check_mode(profile, flags, label, family)
    base, image, crop = profile.base_size, profile.image_size, profile.crop_mode
    preferred: str | None = profile.resolution_mode
    if flags.resolution_mode is not None:
        mode = family.resolution_modes[flags.resolution_mode]
        base, image, crop, preferred = mode.base_size, mode.image_size, mode.crop_mode, mode.name
    base = flags.base_size if flags.base_size is not None else base
    image = flags.image_size if flags.image_size is not None else image
    crop = flags.crop_mode if flags.crop_mode is not None else crop
    try:
        grid, width, height = _resolve_grid(profile, flags, crop, image, label, family)
        resolved = evolve(
            profile,
            resolution_mode=_resolution_name(preferred, base, image, crop, family),
            base_size=base,
            image_size=image,
            crop_mode=crop,
            crop_grid=grid,
            image_width=width,
            image_height=height,
            prompt_tokens=flags.prompt_tokens if flags.prompt_tokens is not None else profile.prompt_tokens,
            max_new_tokens=flags.max_new_tokens if flags.max_new_tokens is not None else profile.max_new_tokens,
            batch_size=flags.batch_size if flags.batch_size is not None else profile.batch_size,
            dtype=flags.dtype if flags.dtype is not None else profile.dtype,
            attention=flags.attention if flags.attention is not None else profile.attention,
        )
        workload = _workload(resolved, family)
        _check_views(workload, family)
        if flags.seq_len is not None:
            if flags.prompt_tokens is not None:
                raise InputError("--seq-len/--prompt-tokens: give one of them, not both")
            prompt = flags.seq_len - 1 - workload.image_tokens
            if prompt < 0:
                raise InputError(
                    f"--seq-len: must be at least 1 + image tokens = {1 + workload.image_tokens} "
                    f"for this workload, got {flags.seq_len}"
                )
            resolved = evolve(resolved, prompt_tokens=prompt)
            workload = _workload(resolved, family)
    except InputError:
        raise
    except (ValueError, TypeError) as exc:
        raise _blame(exc, flags, label) from None
    return _with_provenance(profile, resolved, flags, workload, family), workload


_PROVENANCE_FIELDS = (
    "resolution_mode",
    "base_size",
    "image_size",
    "crop_mode",
    "crop_grid",
    "image_width",
    "image_height",
    "prompt_tokens",
    "max_new_tokens",
    "batch_size",
    "dtype",
    "attention",
)
"""Workload fields whose ``sources`` entry a command-line change can make untrue."""


def _changed_source(
    field: str, resolved: OCRWorkloadProfile, flags: WorkloadFlags, workload: AnyOCRWorkload, family: ModelFamily
) -> str:
    """Where a value that differs from the profile's came from."""
    value = getattr(flags, field, None)
    if field == "crop_grid":
        if flags.crop_grid is not None:
            return f"set on the command line (--crop-grid {flags.crop_grid.rows}x{flags.crop_grid.columns})"
        if not resolved.crop_mode:
            return "crop mode is off: one view, no local crops"
        return (
            f"derived, not set: the vendor's rule ({family.grid_rule}, {family.min_crops} to {family.max_crops} "
            f"crops) on the {resolved.image_width}x{resolved.image_height} px page"
        )
    if field == "prompt_tokens" and flags.seq_len is not None:
        return f"from --seq-len {flags.seq_len}: minus 1 BOS and {workload.image_tokens} image tokens"
    if field in ("image_width", "image_height") and flags.image_width is not None:
        return f"set on the command line (--image-width {flags.image_width} --image-height {flags.image_height})"
    if value is not None:
        shown = int(value) if isinstance(value, bool) else value
        return f"set on the command line ({FIELD_FLAGS[field]} {shown})"
    if field in ("base_size", "image_size", "crop_mode") and flags.resolution_mode is not None:
        table = "DeepSeek-OCR README" if family.key == V1 else f"{family.display_name}'s vendor code"
        return f"set by --resolution-mode {flags.resolution_mode} (the vendor's mode table, {table})"
    if field == "resolution_mode":
        return "named from the view sizes set on the command line"
    return "changed on the command line"  # pragma: no cover - every changed field has a flag behind it


def _with_provenance(
    profile: OCRWorkloadProfile,
    resolved: OCRWorkloadProfile,
    flags: WorkloadFlags,
    workload: AnyOCRWorkload,
    family: ModelFamily,
) -> OCRWorkloadProfile:
    """``resolved`` whose ``sources`` and ``description`` describe the values used: an entry of the
    profile whose value the command line changed is replaced by where the new value came from."""
    sources = dict(resolved.sources)
    changed = [f for f in _PROVENANCE_FIELDS if getattr(resolved, f) != getattr(profile, f)]
    for field in changed:
        sources[field] = _changed_source(field, resolved, flags, workload, family)
    if "image_height" in changed and "image_width" not in changed:
        sources["image_width"] = sources["image_height"]
    given = flags.given()
    if not changed and not given:
        return resolved
    description = resolved.description
    if given:
        description = f"Profile {profile.id} changed on the command line: {' '.join(given)}."
    return evolve(resolved, sources=sources, description=description)


def _workload(p: OCRWorkloadProfile, family: ModelFamily) -> AnyOCRWorkload:
    grid = p.crop_grid or CropGrid(rows=1, columns=1)
    across_by_down = (grid.columns, grid.rows)  # the workload's (w, h)
    return family.workload(
        base_size=p.base_size,
        image_size=p.image_size,
        crop_mode=p.crop_mode,
        crop_grid=across_by_down,
        prompt_tokens=p.prompt_tokens,
        max_new_tokens=p.max_new_tokens,
        batch_size=p.batch_size,
        dtype=p.dtype,
        attention=p.attention,
    )


def resolve_inputs(
    flags: WorkloadFlags, *, profile_id: str | None = None, model_dir: str | None = None
) -> AnalyzerInputs:
    """Load the architecture and the profile (default: the model's standard profile,
    :data:`~llm_perf_opt.utils.packaged_defaults.PACKAGED_MODELS`), apply ``flags``."""
    spec = load_model_spec(model_dir)
    family = spec.family
    profile, label = load_profile(profile_id or PACKAGED_MODELS[family.key][1])
    resolved, workload = resolve_workload(profile, flags, label, family)
    return AnalyzerInputs(spec=spec, profile=resolved, workload=workload, overrides=flags.given())


def v1_model(inputs: AnalyzerInputs, why: str) -> tuple[DeepseekOCRArch, OCRWorkload]:
    """The DeepSeek-OCR architecture and workload of ``inputs``, for the tools that exist for v1 only (the PyTorch
    reference, the TorchInfo capture); an :class:`InputError` naming ``--model`` and ``why`` for another model."""
    arch, workload = inputs.spec.arch, inputs.workload
    if not isinstance(arch, DeepseekOCRArch) or not isinstance(workload, OCRWorkload):
        raise InputError(f"--model: {why}; {inputs.spec.family.display_name} has none")
    return arch, workload


def default_run_id(inputs: AnalyzerInputs, extra: dict[str, Any] | None = None) -> str:
    """``<workload id>-<10 hex digits>``: a hash of everything that shapes the outputs."""
    payload = {"model": unstructure(inputs.spec), "workload": unstructure(inputs.profile), **(extra or {})}
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()
    return f"{inputs.profile.id}-{digest[:10]}"


def check_run_id(run_id: str) -> str:
    """A run id usable as one directory name."""
    if len(run_id) > MAX_RUN_ID:
        raise InputError(f"--run-id: at most {MAX_RUN_ID} characters (one directory name), got {len(run_id)}")
    if not _RUN_ID.match(run_id):
        raise InputError(
            f"--run-id: must be letters, digits, '.', '_' or '-' (not starting with . _ -), got {run_id!r}"
        )
    return run_id
