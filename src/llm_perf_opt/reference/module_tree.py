"""Module tree of a loadable DeepSeek-OCR: ``named_modules()`` as an indented text tree and
as JSON rows ``{name, class, stage, is_leaf, params}``, with the leaf classes of each stage.

The stage of a module comes from one prefix map (:data:`STAGE_PREFIXES`) applied to the
first component of its path (after a leading ``model.``, the vendor's
``DeepseekOCRForCausalLM.model``); anything else is ``other``. ``params`` is the module's
parameter count including its descendants.

The model is the project's reference (:class:`~llm_perf_opt.reference.model.DeepseekOCRReference`
on ``meta``) or, with a path, the vendor's own code from a local checkpoint directory
(``trust_remote_code``, built on ``meta`` from its ``config.json``; nothing is downloaded
and no weight is read).

Example
-------
>>> stage_of("model.sam_model.blocks.0.attn"), stage_of("lm_head"), stage_of("model.image_newline")
('sam', 'lm_head', 'other')
>>> rows = [ModuleRow(name="", class_name="M", stage="other", is_leaf=False, params=5),
...         ModuleRow(name="lm_head", class_name="Linear", stage="lm_head", is_leaf=True, params=5)]
>>> print(render_tree(rows))
(root): M  [other]  5
  lm_head: Linear  [lm_head]  5
>>> leaf_classes_by_stage(rows)
{'lm_head': ['Linear']}
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import define

from llm_perf_opt.utils.atomic_output import check_output_directory, write_directory
from llm_perf_opt.utils.cli_boundary import OneLineParser, run_command, wants_debug
from llm_perf_opt.utils.input_error import InputError

STAGE_PREFIXES: Mapping[str, str] = {
    "sam_model": "sam",
    "vision_model": "clip",
    "projector": "projector",
    "embed_tokens": "prefill",
    "layers": "prefill",
    "norm": "prefill",
    "lm_head": "lm_head",
}
"""First path component -> stage; every other module is ``other``."""
OTHER_STAGE = "other"
TREE_TEXT = "module_tree.txt"
TREE_JSON = "module_tree.json"
"""The two files ``--output-dir`` gets (the JSON one marks an earlier output the next run may replace)."""
VENDOR_BODY_PREFIX = "model"
"""The vendor's ``DeepseekOCRForCausalLM`` keeps everything but ``lm_head`` under ``model``."""


def stage_of(name: str) -> str:
    """Stage of the module at path ``name`` (:data:`STAGE_PREFIXES`, else ``other``)."""
    parts = name.split(".")
    if parts[0] == VENDOR_BODY_PREFIX and len(parts) > 1:
        parts = parts[1:]
    return STAGE_PREFIXES.get(parts[0], OTHER_STAGE)


@define(frozen=True, kw_only=True)
class ModuleRow:
    """One module of the tree."""

    name: str
    class_name: str
    stage: str
    is_leaf: bool
    params: int

    def as_json(self) -> dict[str, Any]:
        """``{name, class, stage, is_leaf, params}``."""
        return {
            "name": self.name,
            "class": self.class_name,
            "stage": self.stage,
            "is_leaf": self.is_leaf,
            "params": self.params,
        }


def module_rows(model: Any) -> list[ModuleRow]:
    """A row per entry of ``model.named_modules()`` (root first, named ``""``)."""
    rows = []
    for name, module in model.named_modules():
        rows.append(
            ModuleRow(
                name=name,
                class_name=type(module).__name__,
                stage=stage_of(name) if name else OTHER_STAGE,
                is_leaf=next(iter(module.children()), None) is None,
                params=sum(p.numel() for p in module.parameters()),
            )
        )
    return rows


def render_tree(rows: Sequence[ModuleRow]) -> str:
    """Indented text tree: ``<name>: <class>  [<stage>]  <params>``, two spaces per level."""
    lines = []
    for row in rows:
        depth = row.name.count(".") + 1 if row.name else 0
        label = row.name.rsplit(".", 1)[-1] if row.name else "(root)"
        lines.append(f"{'  ' * depth}{label}: {row.class_name}  [{row.stage}]  {row.params:,}")
    return "\n".join(lines)


def leaf_classes_by_stage(rows: Sequence[ModuleRow]) -> dict[str, list[str]]:
    """Stage -> sorted distinct classes of its leaf modules (stages in first-seen order)."""
    out: dict[str, set[str]] = {}
    for row in rows:
        if row.is_leaf and row.name:
            out.setdefault(row.stage, set()).add(row.class_name)
    return {stage: sorted(classes) for stage, classes in out.items()}


def tree_document(rows: Sequence[ModuleRow], source: str) -> dict[str, Any]:
    """The JSON document: source, rows, leaf classes per stage."""
    return {
        "source": source,
        "stage_prefixes": dict(STAGE_PREFIXES),
        "rows": [r.as_json() for r in rows],
        "leaf_classes_by_stage": leaf_classes_by_stage(rows),
    }


def load_reference_model() -> Any:
    """The project's reference on ``meta`` (full size, no memory)."""
    from llm_perf_opt.reference.model import DeepseekOCRReference
    from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch

    return DeepseekOCRReference(DeepseekOCRArch(), device="meta")


def load_vendor_model(path: Path) -> Any:
    """The vendor's model class from a local checkpoint directory (its ``config.json`` and remote
    code, ``trust_remote_code``), built on ``meta``: no hub access, no weights read."""
    if not (path / "config.json").is_file():
        raise InputError(f"--model: {path} is not a local checkpoint directory (no config.json)")
    import torch
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(str(path), trust_remote_code=True, local_files_only=True)
    errors = []
    with torch.device("meta"):
        for auto in (AutoModelForCausalLM, AutoModel):
            try:
                return auto.from_config(config, trust_remote_code=True)  # type: ignore[no-untyped-call]
            except ValueError as exc:  # the config's auto_map does not name this auto class
                errors.append(str(exc))
    raise InputError(f"--model: {path}: no model class in the config's auto_map ({'; '.join(errors)})")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: dump the module tree (text to stdout, or text + JSON files into ``--output-dir``); one line on stderr
    and exit 2 for bad input, exit 1 for an unexpected error (``--debug`` shows it)."""
    return run_command("dsocr_dump_module_tree", lambda: _main(argv), debug=wants_debug(argv))


def _main(argv: Sequence[str] | None) -> int:
    parser = OneLineParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, help="local checkpoint directory with the vendor's remote code")
    parser.add_argument("--output-dir", type=Path, help="write module_tree.txt and module_tree.json here")
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into an existing --output-dir holding files no run wrote, keeping them",
    )
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    args = parser.parse_args(argv)
    if args.output_dir is not None:
        check_output_directory(args.output_dir, marker=TREE_JSON, force=args.force, flag="--output-dir")
    from llm_perf_opt.runners.torch_gate import require_torch

    require_torch("module-tree")
    model = load_vendor_model(args.model) if args.model else load_reference_model()
    source = str(args.model) if args.model else "llm_perf_opt.reference.model.DeepseekOCRReference (meta)"
    rows = module_rows(model)
    text = render_tree(rows)
    leaves = leaf_classes_by_stage(rows)
    summary = "\n".join(f"{stage}: {', '.join(classes)}" for stage, classes in leaves.items())
    if args.output_dir is None:
        print(text)
        print("\nleaf classes per stage:\n" + summary)
        return 0
    files = {
        TREE_TEXT: text + "\n\nleaf classes per stage:\n" + summary + "\n",
        TREE_JSON: json.dumps(tree_document(rows, source), indent=2) + "\n",
    }
    write_directory(args.output_dir, files, marker=TREE_JSON, force=args.force)
    print(f"wrote {args.output_dir / 'module_tree.txt'} and module_tree.json ({len(rows)} modules)", file=sys.stderr)
    return 0
