"""Run TorchInfo over a locally loadable DeepSeek-OCR and write its four artifacts.

Usage::

    python scripts/analytical/dsocr_find_static_components.py --output DIR [--model PATH] [workload flags]

Without ``--model`` the project's PyTorch reference (:class:`llm_perf_opt.reference.model.DeepseekOCRReference`,
transformers' maintained modules under the vendor's top-level names) is traced with its
``lm_head`` removed, so the traced root holds what the vendor's ``DeepseekOCRModel`` holds
(vision, projector, decoder body). ``--reference-arch FILE`` builds it from an architecture
YAML/JSON (the fields of ``DeepseekOCRArch``: ``sam``, ``clip``, ``projector``, ``language``),
e.g. a small one for a quick CPU run; the full-size default needs about 13 GB on CPU in fp32
(``--device meta`` traces shapes only, without memory).

With ``--model PATH`` (a local checkpoint directory with the vendor's remote code) the vendor's
``DeepseekOCRModel`` is built from its ``config.json`` with random weights on ``--device``
(nothing is downloaded, no weights are read) and called as its ``infer()`` calls it. That path
needs the transformers version the remote code was written for (4.46) and real memory: the
vendor's forward reads tensor values (``.item()``), so ``meta`` does not work there.

Files written to ``--output`` (the layout of ``../shared/reference/deepseek-ocr-torchinfo/``):
``torchinfo-summary.txt``, ``torchinfo-unique-layers.json``, ``torchinfo-unique-layers.md``,
``torchinfo-stages.json``. ``python -m llm_perf_opt.runners.dsocr_analyzer --torchinfo-dir DIR``
cross-checks them against the analytic model.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import nn
from torchinfo import summary

from llm_perf_opt.contracts.converter import structure
from llm_perf_opt.contracts.yaml_input import load_yaml, read_input_file
from llm_perf_opt.data.operator_spec import OperatorSpec
from llm_perf_opt.data.target_operator_list import TorchInfoRunInfo, TorchInfoStage
from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, parse_crop_grid, resolve_inputs, v1_model
from llm_perf_opt.utils.atomic_output import check_output_directory, write_directory
from llm_perf_opt.utils.cli_boundary import OneLineParser, run_command, wants_debug
from llm_perf_opt.utils.input_error import InputError
from llm_perf_opt.utils.packaged_defaults import DEFAULT_WORKLOAD_ID
from llm_perf_opt.utils.torchinfo_artifacts import (
    STAGES_JSON,
    SUMMARY_FILE,
    UNIQUE_LAYERS_JSON,
    UNIQUE_LAYERS_MD,
    render_stages_json,
    render_unique_layers_json,
    render_unique_layers_md,
)
from llm_perf_opt.utils.torchinfo_crosscheck import REFERENCE_SOURCE
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

PROG = "dsocr_find_static_components"
DEVICE = re.compile(r"^(cpu|meta|cuda(:\d{1,3})?)$")
COLUMNS = ("input_size", "output_size", "num_params", "kernel_size", "mult_adds")
ROW_SETTINGS = ("var_names", "depth")
TRACED_STAGES: dict[str, tuple[str, ...]] = {
    "sam": ("sam_model",),
    "clip": ("vision_model",),
    "projector": ("projector",),
    "prefill": ("embed_tokens", "layers", "norm", "rotary_emb"),
    "decode": ("embed_tokens", "layers", "norm", "rotary_emb"),
}
"""Stage -> top-level modules, as the stage file of the reference capture lists the stages."""
TORCH_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


# ---- what gets traced --------------------------------------------------------------------------


def _traced_reference_class() -> type[nn.Module]:
    from llm_perf_opt.reference.model import DeepseekOCRReference

    class DeepseekOCRModel(DeepseekOCRReference):
        """The reference without ``lm_head``; ``forward`` runs vision, projector and prefill."""

        def __init__(self, arch: DeepseekOCRArch, workload: OCRWorkload, **kwargs: Any) -> None:
            super().__init__(arch, **kwargs)
            self._crop_grid = workload.crop_grid
            del self.lm_head

        @property
        def param_dtype(self) -> torch.dtype:
            return self.embed_tokens.weight.dtype

        @property
        def device(self) -> torch.device:
            return self.embed_tokens.weight.device

        def forward(
            self,
            crops: torch.Tensor | None,
            global_view: torch.Tensor,
            input_ids: torch.Tensor,
            images_seq_mask: torch.Tensor,
        ) -> torch.Tensor:
            sam = self.run_sam(crops, global_view)
            clip = self.run_clip(sam)
            image = self.run_projector(sam, clip, self._crop_grid)
            return self.run_prefill(input_ids, image_embeds=image, images_seq_mask=images_seq_mask)

    return DeepseekOCRModel


def reference_target(
    arch: DeepseekOCRArch, workload: OCRWorkload, device: str, dtype: str
) -> tuple[nn.Module, list[Any]]:
    """The traced reference and its inputs."""
    cls = _traced_reference_class()
    model: Any = cls(arch, workload, device=device, dtype=TORCH_DTYPES[dtype])
    inputs = model.make_inputs(workload)
    return model, [inputs.pixels.crops, inputs.pixels.global_view, inputs.input_ids, inputs.images_seq_mask]


def vendor_target(path: Path, workload: OCRWorkload, device: str, dtype: str) -> tuple[nn.Module, dict[str, Any]]:
    """The vendor's ``DeepseekOCRModel`` from a local checkpoint directory (random weights) and the
    keyword arguments its ``infer()`` passes for ``workload`` (one page)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    if not (path / "config.json").is_file():
        raise InputError(f"--model: {path} is not a local checkpoint directory (no config.json)")
    config = AutoConfig.from_pretrained(str(path), trust_remote_code=True, local_files_only=True)
    with torch.device(device):
        full = AutoModelForCausalLM.from_config(  # type: ignore[no-untyped-call]
            config, trust_remote_code=True, torch_dtype=TORCH_DTYPES[dtype]
        )
    model = full.model.eval()
    w, dt = workload, TORCH_DTYPES[dtype]
    n = w.prefill_tokens
    ids = torch.full((1, n), 1000, dtype=torch.long, device=device)
    mask = torch.zeros(1, n, dtype=torch.bool, device=device)
    ids[0, 0], ids[0, 1 : 1 + w.image_tokens], mask[0, 1 : 1 + w.image_tokens] = 0, 128815, True
    crops = (
        torch.randn(w.n_crops, 3, w.image_size, w.image_size, device=device, dtype=dt)
        if w.n_crops
        else torch.zeros(1, 3, w.base_size, w.base_size, device=device, dtype=dt)
    )
    global_view = torch.randn(1, 3, w.base_size, w.base_size, device=device, dtype=dt)
    kwargs = {
        "input_ids": ids,
        "images": [(crops, global_view)],
        "images_seq_mask": mask,
        "images_spatial_crop": torch.tensor([list(w.crop_grid)], device=device),
    }
    return model, kwargs


# ---- TorchInfo's statistics -> the artifacts ------------------------------------------------------


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _source_file(cls: type) -> str:
    try:
        return inspect.getfile(cls)
    except TypeError:
        return ""


def operator_specs(model: nn.Module, summary_list: Iterable[Any]) -> list[OperatorSpec]:
    """One :class:`OperatorSpec` per layer class in TorchInfo's call list, sorted by qualified name."""
    names = {id(m): name for name, m in model.named_modules(remove_duplicate=False)}
    infos = list(summary_list)
    by_class: dict[str, dict[str, Any]] = {}
    for info in infos:
        cls = type(info.module)
        entry = by_class.setdefault(
            _qualified(cls),
            {"cls": cls, "vars": set(), "instances": set(), "count": 0, "parents": set(), "children": set()},
        )
        entry["vars"].add(str(info.var_name))
        entry["instances"].add(names.get(id(info.module), ""))
        entry["count"] += 1
        parent = info.parent_info
        while parent is not None:
            entry["parents"].add(_qualified(type(parent.module)))
            parent = parent.parent_info
        entry["children"].update(_qualified(type(child.module)) for child in info.children)
    return [
        OperatorSpec(
            class_name_qualified=q,
            class_name=e["cls"].__name__,
            var_name=tuple(sorted(e["vars"])),
            instance_name=tuple(sorted(e["instances"])),
            filepaths=(_source_file(e["cls"]),),
            is_torch_builtin=e["cls"].__module__.startswith("torch."),
            count=e["count"],
            parents=tuple(sorted(e["parents"])),
            children=tuple(sorted(e["children"])),
        )
        for q, e in sorted(by_class.items())
    ]


def stage_entries(model: nn.Module, summary_list: Iterable[Any]) -> list[TorchInfoStage]:
    """Per stage: parameters of its top-level modules and TorchInfo's mult-adds of their leaf calls."""
    infos = list(summary_list)
    out = []
    for stage, tops in TRACED_STAGES.items():
        params = {id(p): p.numel() for name in tops if hasattr(model, name) for p in getattr(model, name).parameters()}
        top_ids = {id(getattr(model, name)) for name in tops if hasattr(model, name)}
        macs = 0
        for info in infos:
            root = info
            while root.parent_info is not None and root.parent_info.parent_info is not None:
                root = root.parent_info
            if id(root.module) in top_ids and info.is_leaf_layer and stage != "decode":
                macs += int(info.macs)
        out.append(TorchInfoStage(stage_name=stage, params=sum(params.values()), macs=macs))
    return out


def capture(model: nn.Module, inputs: Any, depth: int, device: str) -> tuple[Any, str]:
    """TorchInfo's statistics and table for one forward."""
    kwargs: dict[str, Any] = {
        "col_names": COLUMNS, "row_settings": ROW_SETTINGS, "depth": depth, "verbose": 0, "device": device,
    }  # fmt: skip
    with torch.no_grad():
        if isinstance(inputs, dict):
            stats = summary(model, input_data=[], **kwargs, **inputs)
        else:
            stats = summary(model, input_data=inputs, **kwargs)
    return stats, str(stats)


def artifacts(
    model: nn.Module, stats: Any, table: str, workload: OCRWorkload, depth: int, device: str, source: str
) -> dict[str, str]:
    """The four files, by name."""
    specs = operator_specs(model, stats.summary_list)
    run = TorchInfoRunInfo(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        model_path=source,
        device=device,
        base_size=workload.base_size,
        image_size=workload.image_size,
        seq_len=workload.prefill_tokens,
        crop_mode=workload.crop_mode,
        depth=depth,
        total_params=int(stats.total_params),
        total_macs=int(stats.total_mult_adds),
    )
    return {
        SUMMARY_FILE: table,
        UNIQUE_LAYERS_JSON: render_unique_layers_json(run, specs),
        UNIQUE_LAYERS_MD: render_unique_layers_md(specs),
        STAGES_JSON: render_stages_json(run, stage_entries(model, stats.summary_list)),
    }


# ---- command line ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument(
        "--output",
        type=Path,
        required=True,
        help="directory for the four files (an earlier output there is replaced; a directory holding other files "
        "is refused unless --force)",
    )
    p.add_argument(
        "--force", action="store_true", help="write into an --output holding files no run wrote, keeping them"
    )
    p.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    p.add_argument("--model", type=Path, default=None,
                   help="local DeepSeek-OCR checkpoint directory (vendor remote code); default: the project's "
                   "reference model")  # fmt: skip
    p.add_argument(
        "--reference-arch",
        type=Path,
        default=None,
        help="YAML/JSON with DeepseekOCRArch fields for the reference; default: the released checkpoint's",
    )
    p.add_argument("--device", default="cpu", help="cpu, cuda or meta (reference only); default: cpu")
    p.add_argument("--torch-dtype", choices=tuple(TORCH_DTYPES), default="float32",
                   help="parameter dtype of the traced model; default: float32")  # fmt: skip
    p.add_argument("--depth", type=int, default=3, help="TorchInfo table depth; default: 3")
    p.add_argument("--workload-profile-id", default=DEFAULT_WORKLOAD_ID,
                   help=f"workload profile id or YAML path; default: {DEFAULT_WORKLOAD_ID}")  # fmt: skip
    for flag, kind in (("--resolution-mode", str), ("--base-size", int), ("--image-size", int), ("--crop-mode", int),
                       ("--crop-grid", str), ("--image-width", int), ("--image-height", int),
                       ("--prompt-tokens", int), ("--seq-len", int), ("--batch-size", int)):  # fmt: skip
        p.add_argument(flag, type=kind, default=None, help="as dsocr_analyzer's flag; default: the profile's value")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run TorchInfo and write the artifacts: 0 on success, 2 with one line for bad input or an unwritable
    ``--output``, 1 with one line for an unexpected error (``--debug`` shows its traceback)."""
    return run_command(PROG, lambda: _main(argv), debug=wants_debug(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    inputs: Any
    # the flags, the inputs and the output are checked before the (long) trace
    if not DEVICE.match(args.device):
        raise InputError(f"--device: cpu, meta, cuda or cuda:N, got {args.device!r}")
    if args.depth < 0:
        raise InputError(f"--depth: must be an integer >= 0, got {args.depth}")
    check_output_directory(args.output, marker=UNIQUE_LAYERS_JSON, force=args.force, flag="--output")
    flags = WorkloadFlags(
        resolution_mode=args.resolution_mode, base_size=args.base_size, image_size=args.image_size,
        crop_mode=None if args.crop_mode is None else bool(args.crop_mode),
        crop_grid=None if args.crop_grid is None else parse_crop_grid(args.crop_grid),
        image_width=args.image_width, image_height=args.image_height, prompt_tokens=args.prompt_tokens,
        seq_len=args.seq_len, batch_size=args.batch_size, max_new_tokens=1,
    )  # fmt: skip
    _, workload = v1_model(resolve_inputs(flags, profile_id=args.workload_profile_id), "the trace is DeepSeek-OCR's")
    if args.model is not None:
        model, inputs = vendor_target(args.model, workload, args.device, args.torch_dtype)
        source = str(args.model)
    else:
        arch = DeepseekOCRArch()
        if args.reference_arch is not None:
            try:
                arch = structure(load_yaml(read_input_file(args.reference_arch)), DeepseekOCRArch)
            except (ValueError, yaml.YAMLError) as exc:
                raise InputError(f"--reference-arch: {args.reference_arch}: {exc}") from None
        model, inputs = reference_target(arch, workload, args.device, args.torch_dtype)
        source = f"{REFERENCE_SOURCE}.model.DeepseekOCRReference (lm_head removed)"
    stats, table = capture(model, inputs, args.depth, args.device)
    files = artifacts(model, stats, table, workload, args.depth, args.device, source)
    write_directory(args.output, files, marker=UNIQUE_LAYERS_JSON, force=args.force, flag="--output")
    for name in files:
        print(args.output / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
