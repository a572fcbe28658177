"""Valid starting points of every input file the commands read, and hypothesis strategies that mutate them with
hostile values (wrong types, out of range, huge, non-finite, nested, missing and unknown keys).

Each fuzz case starts from a file the commands accept and changes a few of its values, so a case reaches the
checks deep in the file (a field of a nested block, a pair of fields that must agree) rather than failing on the
first line.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import attrs
import yaml
from hypothesis import strategies as st

from llm_perf_opt.contracts.yaml_input import load_yaml
from llm_perf_opt.data.operator_spec import OperatorSpec
from llm_perf_opt.data.target_operator_list import TorchInfoRunInfo, TorchInfoStage
from llm_perf_opt.hardware.registry import HARDWARE_DIR
from llm_perf_opt.kernels.profiles import RUNTIMES_DIR
from llm_perf_opt.utils.packaged_defaults import DEFAULT_WORKLOAD_ID, read_workload_text
from llm_perf_opt.utils.torchinfo_artifacts import (
    SAMPLE_SUMMARY,
    STAGES_JSON,
    SUMMARY_FILE,
    UNIQUE_LAYERS_JSON,
    UNIQUE_LAYERS_MD,
    render_stages_json,
    render_unique_layers_json,
    render_unique_layers_md,
)
from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig

# ---- hostile values ---------------------------------------------------------------------------------------------

BIG_INTS = [0, -1, 1, 2, 3, 7, 2**31, 2**63, 10**30, -(10**30)]
HOSTILE_STRINGS = ["", " ", "x" * 300, "nan", "1e9", "tiny", "\u2028", "../..", "None", "true", "3by2", "all"]

scalars = st.one_of(
    st.sampled_from(BIG_INTS),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e-300, 1e300, 0.5]),
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=12),
    st.booleans(),
    st.none(),
)
"""One hostile scalar."""

values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
"""A hostile value: a scalar, or a small list or mapping of them."""


def deeply_nested(depth: int) -> Any:
    """A value nested ``depth`` levels (lists)."""
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


# ---- mutations of a valid document ------------------------------------------------------------------------------


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value of ``node`` (mapping keys and list indexes), outermost first."""
    out: list[tuple[Any, ...]] = []
    items: Any = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        out.append((*prefix, key))
        out += _paths(child, (*prefix, key))
    return out


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


@st.composite
def mutated(draw: st.DrawFn, base: Any, *, extra: st.SearchStrategy[Any] = values, max_changes: int = 3) -> Any:
    """``base`` with 1 to ``max_changes`` changes: a value replaced, a key removed, an unknown key added."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, max_changes))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _at(doc, path[:-1])
        op = draw(st.sampled_from(["set", "set", "set", "delete", "add"]))
        if op == "set":
            parent[path[-1]] = copy.deepcopy(draw(extra))  # a drawn list or mapping may be a shared object
        elif op == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = copy.deepcopy(draw(extra))
    return doc


def flag_values(
    values: dict[str, list[str]], *, max_size: int, unique: bool = False
) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Command lines as ``(flag, value)`` pairs: up to ``max_size`` flags of ``values``, each with one of its values
    (each flag at most once with ``unique``)."""
    pair = st.sampled_from(sorted(values)).flatmap(lambda flag: st.tuples(st.just(flag), st.sampled_from(values[flag])))
    if unique:
        return st.lists(pair, max_size=max_size, unique_by=lambda p: p[0])
    return st.lists(pair, max_size=max_size)


def dump_yaml(data: Any) -> str:
    """YAML text of ``data`` (floats such as ``nan`` and ``inf`` as YAML writes them)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def dump_json(data: Any) -> str:
    """JSON text of ``data`` (``NaN`` and ``Infinity`` as Python writes them)."""
    return json.dumps(data)


# ---- the valid starting points ----------------------------------------------------------------------------------

TEXT_KEYS = tuple(a.name for a in attrs.fields(DeepseekV2TextConfig))
RELEASED_TEXT = {
    "hidden_size": 1280, "num_hidden_layers": 12, "num_attention_heads": 10, "num_key_value_heads": 10,
    "intermediate_size": 6848, "moe_intermediate_size": 896, "n_routed_experts": 64, "n_shared_experts": 2,
    "num_experts_per_tok": 6, "first_k_dense_replace": 1, "vocab_size": 129280, "rope_theta": 10000.0,
    "rms_norm_eps": 1e-6,
}  # fmt: skip
"""The language keys of the released config.json (deepseek-ai/DeepSeek-OCR, as the embedded architecture)."""


def config_json() -> dict[str, Any]:
    """A config.json in the released layout: the language keys at the top and under ``language_config``."""
    return {
        "_name_or_path": "deepseek-ai/DeepSeek-OCR",
        **RELEASED_TEXT,
        "language_config": dict(RELEASED_TEXT),
        "projector_config": {"projector_type": "linear", "input_dim": 2048, "n_embed": 1280},
    }


def workload_yaml() -> dict[str, Any]:
    """The packaged standard workload profile, as data."""
    data: dict[str, Any] = load_yaml(read_workload_text(DEFAULT_WORKLOAD_ID))
    return data


def sweep_yaml() -> dict[str, Any]:
    """A small cartesian sweep (two points, no plots)."""
    return {
        "name": "fuzz",
        "description": "a fuzzed sweep",
        "cartesian": {
            "resolution_modes": ["gundam", "tiny"],
            "crop_grids": ["3x2"],
            "prompt_tokens": [9],
            "max_new_tokens": [2],
            "batch_sizes": [1],
            "hardware": ["h100-sxm"],
            "attention": ["flash"],
            "runtimes": ["roofline"],
        },
        "min_crops": 2,
        "max_crops": 9,
        "memory_utilization": 0.9,
        "plots": False,
    }


def hardware_yaml() -> dict[str, Any]:
    """The packaged H100 entry, as data."""
    data: dict[str, Any] = load_yaml((HARDWARE_DIR / "h100-sxm.yaml").read_text(encoding="utf-8"))
    return data


def runtime_yaml(name: str = "hf-eager") -> dict[str, Any]:
    """A packaged runtime profile, as data."""
    data: dict[str, Any] = load_yaml((RUNTIMES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


TORCHINFO_RUN = TorchInfoRunInfo(
    generated_at="2026-01-01T00:00:00Z", model_path="demo", device="cpu", base_size=1024, image_size=640,
    seq_len=913, crop_mode=True, depth=1, total_params=30, total_macs=60,
)  # fmt: skip
TORCHINFO_LAYERS = (
    OperatorSpec(class_name_qualified="demo.Net", class_name="Net", is_torch_builtin=False, count=1,
                 children=("torch.nn.modules.linear.Linear",)),
    OperatorSpec(class_name_qualified="torch.nn.modules.linear.Linear", class_name="Linear", is_torch_builtin=True,
                 count=2, parents=("demo.Net",)),
)  # fmt: skip
TORCHINFO_STAGES = (TorchInfoStage(stage_name="sam", params=30, macs=60),)


def torchinfo_files() -> dict[str, str]:
    """The four TorchInfo artifacts of a tiny traced net (the layout the analyzer's ``--torchinfo-dir`` reads)."""
    return {
        SUMMARY_FILE: SAMPLE_SUMMARY,
        UNIQUE_LAYERS_JSON: render_unique_layers_json(TORCHINFO_RUN, TORCHINFO_LAYERS),
        UNIQUE_LAYERS_MD: render_unique_layers_md(TORCHINFO_LAYERS),
        STAGES_JSON: render_stages_json(TORCHINFO_RUN, TORCHINFO_STAGES),
    }


def write_files(directory: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` under ``directory`` (created); returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return directory


# ---- DeepSeek-OCR-2 -----------------------------------------------------------------------------------------------

OCR2_LANGUAGE = {**RELEASED_TEXT, "moe_layer_freq": 1, "use_mla": False}
"""The language keys of OCR-2's released config.json (deepseek-ai/DeepSeek-OCR-2: the same decoder as v1's)."""


def ocr2_config_json() -> dict[str, Any]:
    """OCR-2's released config.json layout: ``model_type: deepseek_vl_v2`` with the DeepEncoder V2 marks
    (``vision_config.model_name: deepencoderv2``, ``width.qwen2-0-5b``)."""
    return {
        "_name_or_path": "deepseek-ai/DeepSeek-OCR-2",
        "model_type": "deepseek_vl_v2",
        "language_config": dict(OCR2_LANGUAGE),
        "vision_config": {
            "image_size": 1024,
            "model_name": "deepencoderv2",
            "width": {
                "sam_vit_b": {"width": 768, "layers": 12, "heads": 12, "global_attn_indexes": [2, 5, 8, 11],
                              "downsample_channels": [512, 1024]},
                "qwen2-0-5b": {"dim": 896},
            },
        },
        "projector_config": {"input_dim": 896, "n_embed": 1280, "projector_type": "linear"},
    }  # fmt: skip


def ocr2_native_config_json() -> dict[str, Any]:
    """transformers' converted OCR-2 config (``model_type: deepseek_ocr2``, ``text_config`` with
    ``mlp_layer_types``, ``vision_config.sam_config`` / ``encoder_config``)."""
    text = {k: v for k, v in OCR2_LANGUAGE.items() if k not in ("first_k_dense_replace", "use_mla")}
    return {
        "model_type": "deepseek_ocr2",
        "text_config": {**text, "mlp_layer_types": ["dense"] + ["sparse"] * 11},
        "vision_config": {
            "sam_config": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
                           "global_attn_indexes": [2, 5, 8, 11], "downsample_channels": [512, 896]},
            "encoder_config": {"hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14,
                               "num_key_value_heads": 2, "intermediate_size": 4864, "rms_norm_eps": 1e-6,
                               "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0}},
        },
        "projector_config": {"input_dim": 896, "n_embed": 1280, "projector_type": "linear"},
    }  # fmt: skip


def ocr2_workload_yaml() -> dict[str, Any]:
    """OCR-2's packaged standard workload profile, as data."""
    data: dict[str, Any] = load_yaml(read_workload_text("dsocr2-standard-v1"))
    return data


# ---- runtime-profile expressions ----------------------------------------------------------------------------------

EXPRESSION_ATOMS = [
    "1", "0", "-1", "tokens", "in_features", "dtype", "size(dtype)", "'a'", "'bfloat16'", "True", "None", "1.5",
    str(2**255), str(2**300), "9" * 80, "(tokens > 1)", "config", "workload.batch_size", "_x", "__class__",
    "tokens.__class__", "open('x')", "min(tokens)", "max(tokens, 1)", "min(dtype, 1)", "size(1)", "size('x')",
    "[1]", "{}", "lambda: 1", "tokens[0]",
]  # fmt: skip
"""Pieces of hostile expressions: names the layers have and lack, strings, huge and non-integer constants,
forbidden syntax (dunders, lambdas, subscripts, calls of builtins)."""
EXPRESSION_OPERATORS = [
    " + ",
    " - ",
    " * ",
    " // ",
    " % ",
    " ** ",
    " / ",
    " < ",
    " == ",
    " and ",
    " or ",
    " if 1 else ",
]


@st.composite
def expressions(draw: st.DrawFn) -> str:
    """A hostile runtime-profile expression: atoms joined by operators (some forbidden), sometimes negated,
    parenthesised or repeated into a long product."""
    parts = [draw(st.sampled_from(EXPRESSION_ATOMS))]
    for _ in range(draw(st.integers(0, 4))):
        parts += [draw(st.sampled_from(EXPRESSION_OPERATORS)), draw(st.sampled_from(EXPRESSION_ATOMS))]
    text = "".join(parts)
    shape = draw(st.sampled_from(["plain", "plain", "negated", "grouped", "power", "deep", "long"]))
    if shape == "negated":
        text = "-(" + text + ")"
    elif shape == "grouped":
        text = "(" + text + ") * " + draw(st.sampled_from(EXPRESSION_ATOMS))
    elif shape == "power":  # a product that grows past any bound
        text = " * ".join([draw(st.sampled_from(["tokens", "in_features", "1000000000", "'a'"]))] * 40)
    elif shape == "deep":
        depth = draw(st.integers(30, 400))
        text = "(" * depth + text + ")" * depth
    elif shape == "long":
        text = " + ".join([text] * draw(st.integers(50, 200)))
    return text


RUNTIME_FIELDS = ("launches", "io_bytes", "extra_bytes", "extra_flops", "takes", "torch_calls", "host_syncs")
"""Where an expression may sit in a profile's layer entry (``takes``: a kernel's share weight)."""


def runtime_with_expression(field_name: str, text: str) -> dict[str, Any]:
    """A user profile based on ``hf-eager`` whose ``Linear`` entry holds ``text`` in ``field_name``."""
    kernel: dict[str, Any] = {"name": "gemm", "takes": {"own": 1}}
    entry: dict[str, Any] = {"source": "fuzz", "kernels": [kernel]}
    if field_name == "takes":
        kernel["takes"] = {"own": text}
    elif field_name in ("torch_calls", "host_syncs"):
        entry[field_name] = text
    else:
        kernel[field_name] = text
    return {"name": "fuzz", "description": "fuzzed expression", "base": "hf-eager", "decoder_attention": "eager",
            "models": ["deepseek-ocr", "deepseek-ocr-2"], "layers": {"Linear": entry}}  # fmt: skip
