#!/usr/bin/env python3
"""Extract NVIDIA aiconfigurator-core's measured GEMM and vision-attention latencies at DeepSeek-OCR's shapes.

aiconfigurator-core (NVIDIA, Apache-2.0; on PyPI, the project's optional ``aiconfigurator`` extra) ships kernel
latencies measured under serving frameworks on many GPUs (``systems/data/<gpu>/<op>/<framework>/<version>/
*.parquet``). This script reads, for each GPU that has an entry here (:data:`GPUS`), vLLM's tables:

* ``gemm_perf.parquet``: bf16 ``torch.nn.functional.linear`` (``vllm_default`` on the A100) at ``(m, n, k)``,
  ``y[m, n] = x[m, k] @ W[n, k]^T``, latency in ms. Kept: the ``(n, k)`` of DeepSeek-OCR's Linear layers (from
  the analytic model, :func:`model_linear_shapes`) where the grid has them, else the nearest grid shape (in
  log distance, marked ``surrogate_for``), at the token counts :data:`TOKENS`;
* ``encoder_attention_perf.parquet``: bidirectional (ViT) flash attention at SAM's and CLIP's heads (12 and 16,
  head size 64), :data:`ISL` tokens, batches :data:`BATCHES`;
* ``generation_attention_perf.parquet``: one decode token's paged flash attention over a bf16 KV cache, with as
  many key/value heads as query heads (:data:`DECODE_HEADS`, head size 128, no sliding window; DeepSeek-OCR's
  decoder has 10 of each, which the table lacks), at the serving batches :data:`DECODE_BATCHES` and cached lengths
  :data:`DECODE_KV` (the table's ``step`` is the tokens already cached: ``kv_len - 1``);
* ``moe_perf.parquet``: vLLM's bf16 ``fused_experts`` (routing given; no tensor or expert parallelism) of the
  tabled expert shape nearest DeepSeek-OCR's routed experts (:func:`nearest_moe_shape`), with the tokens spread
  evenly over the experts (``balanced``) or, where the table has no such rows, the flattest power law it has, at
  :data:`MOE_TOKENS` tokens; its kernel family: a Triton one where the table has one.

It writes one JSON (``--out``, default ``src/llm_perf_opt/conf/aiconfigurator/points.json``) naming the package
version and each table's path inside the package, so the comparison
(:mod:`llm_perf_opt.validation.aiconfigurator`) runs from the committed file without the package.

Usage (``pip install 'llm-perf-opt[aiconfigurator]'``, or ``--package-dir`` an unpacked wheel)::

    python scripts/aiconfigurator/extract_points.py --out src/llm_perf_opt/conf/aiconfigurator/points.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from modelmeter.layers import Linear
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

GPUS: dict[str, str] = {
    "a100_sxm": "a100-80gb",
    "h100_sxm": "h100-sxm",
    "h200_sxm": "h200",
    "b200_sxm": "b200",
    "l40s": "l40s",
    "rtx_pro_6000_server": "rtx-pro-6000-server",
}
"""aiconfigurator-core system name -> this project's hardware entry."""
FRAMEWORK = "vllm"
GEMM_SOURCES = ("torch.nn.functional.linear", "vllm_default")
"""The bf16 GEMM implementations kept (the plain cuBLAS product; ``vllm_default`` is its name in the A100's older
table)."""
TOKENS: tuple[int, ...] = (1, 8, 32, 128, 512, 1024, 2048, 4096, 8192)
"""Token counts ``m`` kept (DeepSeek-OCR: one decode token to a few thousand prefill/vision tokens)."""
VISION_HEADS: dict[int, str] = {12: "sam", 16: "clip"}
"""Attention heads (head size 64) -> the vision encoder that has them."""
ISL: tuple[int, ...] = (256, 1024, 4096)
"""Attention sequence lengths kept (CLIP's 257 tokens, a 1024-token window, SAM's 4,096 global tokens)."""
BATCHES: tuple[int, ...] = (1, 4, 16)
"""Attention batches kept."""
DECODE_HEADS = 8
"""Query and key/value heads of the decode-attention rows kept (head size 128)."""
DECODE_BATCHES: tuple[int, ...] = (1, 8, 32, 64, 128, 256)
"""Decode batches kept (a serving engine's ``max_num_seqs`` range)."""
DECODE_KV: tuple[int, ...] = (512, 1024, 2048, 4096)
"""Keys per sequence kept (the cached tokens plus the new one)."""
MOE_TOKENS: tuple[int, ...] = (1, 8, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
"""Token counts kept for the fused MoE (decode batches to prefill chunks)."""
MOE_DISTRIBUTIONS: tuple[str, ...] = ("balanced", "power_law_1.01")
"""Routing distributions, in order of preference (DeepSeek-OCR's model assumes uniform routing)."""
OUT = Path("src/llm_perf_opt/conf/aiconfigurator/points.json")


def model_linear_shapes() -> dict[tuple[int, int], str]:
    """``(n, k)`` (out, in features) of every Linear layer of DeepSeek-OCR -> the stages that run it."""
    model = DeepseekOCRModel(workload=OCRWorkload(crop_grid=(2, 2), max_new_tokens=2))
    stages: dict[tuple[int, int], set[str]] = {}
    for stage, layer in model.stage_layers().items():
        for _, node, _ in layer.walk(stage):
            if isinstance(node, Linear):
                stages.setdefault((node.out_features, node.in_features), set()).add(stage)
    return {shape: "+".join(sorted(names)) for shape, names in sorted(stages.items())}


def _nearest(value: int, grid: Sequence[int]) -> int:
    return min(grid, key=lambda g: (abs(math.log(g / value)), g))


def _read(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq  # the aiconfigurator extra

    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


def _latest(root: Path, gpu: str, op: str) -> Path | None:
    folder = root / "systems" / "data" / gpu / op / FRAMEWORK
    versions = sorted(folder.glob("*"), key=lambda p: [int(x) if x.isdigit() else x for x in p.name.split(".")])
    return versions[-1] if versions else None


def gemm_points(root: Path, gpu: str) -> tuple[str, list[dict[str, Any]]]:
    """The table's path in the package and its kept GEMM points of ``gpu``."""
    folder = _latest(root, gpu, "gemm")
    if folder is None:
        return "", []
    path = folder / "gemm_perf.parquet"
    rows = [r for r in _read(path) if r["gemm_dtype"] == "bfloat16" and r["kernel_source"] in GEMM_SOURCES]
    grid_n = sorted({r["n"] for r in rows})
    grid_k = sorted({r["k"] for r in rows})
    wanted: dict[tuple[int, int], list[str]] = {}
    for (n, k), stages in model_linear_shapes().items():
        gn, gk = _nearest(n, grid_n), _nearest(k, grid_k)
        label = f"{stages} {n}x{k}" if (gn, gk) != (n, k) else f"{stages}"
        wanted.setdefault((gn, gk), []).append(label if (gn, gk) != (n, k) else f"exact: {stages}")
    out = []
    for r in rows:
        if (r["n"], r["k"]) in wanted and r["m"] in TOKENS:
            labels = wanted[(r["n"], r["k"])]
            exact = [lab for lab in labels if lab.startswith("exact: ")]
            out.append(
                {
                    "m": r["m"],
                    "n": r["n"],
                    "k": r["k"],
                    "latency_ms": r["latency"],
                    "kernel_source": r["kernel_source"],
                    "model_layers": exact[0].removeprefix("exact: ") if exact else "",
                    "surrogate_for": "; ".join(lab for lab in labels if not lab.startswith("exact: ")),
                }
            )
    out.sort(key=lambda p: (p["n"], p["k"], p["m"]))
    return f"{folder.relative_to(root).as_posix()}/gemm_perf.parquet", out


def attention_points(root: Path, gpu: str) -> tuple[str, list[dict[str, Any]]]:
    """The table's path in the package and its kept vision-attention points of ``gpu``."""
    folder = _latest(root, gpu, "encoder_attention")
    if folder is None:
        return "", []
    out = []
    for r in _read(folder / "encoder_attention_perf.parquet"):
        keep = r["head_dim"] == 64 and r["num_heads"] in VISION_HEADS and r["isl"] in ISL
        if keep and r["batch_size"] in BATCHES and r["attn_dtype"] == "bfloat16":
            out.append(
                {
                    "batch": r["batch_size"],
                    "isl": r["isl"],
                    "heads": r["num_heads"],
                    "head_dim": r["head_dim"],
                    "latency_ms": r["latency"],
                    "kernel_source": r["kernel_source"],
                    "model_layers": VISION_HEADS[r["num_heads"]],
                }
            )
    out.sort(key=lambda p: (p["heads"], p["batch"], p["isl"]))
    return f"{folder.relative_to(root).as_posix()}/encoder_attention_perf.parquet", out


def decode_attention_points(root: Path, gpu: str) -> tuple[str, list[dict[str, Any]]]:
    """The table's path in the package and its kept decode-attention points of ``gpu`` (one kernel family: the
    first, by name, with bf16-cache rows at the kept heads)."""
    folder = _latest(root, gpu, "attention")
    if folder is None:
        return "", []
    rows = [
        r
        for r in _read(folder / "generation_attention_perf.parquet")
        if r["head_dim"] == 128
        and r.get("window_size", 0) == 0
        and r["num_heads"] == DECODE_HEADS == r["num_key_value_heads"]
        and r["kv_cache_dtype"] == "bfloat16"
        and r["attn_dtype"] == "bfloat16"
    ]
    sources = sorted({r["kernel_source"] for r in rows})
    out = [
        {
            "batch": r["batch_size"],
            "kv_len": r["step"] + 1,
            "heads": r["num_heads"],
            "kv_heads": r["num_key_value_heads"],
            "head_dim": r["head_dim"],
            "latency_ms": r["latency"],
            "kernel_source": r["kernel_source"],
        }
        for r in rows
        if sources
        and r["kernel_source"] == sources[0]
        and r["batch_size"] in DECODE_BATCHES
        and r["step"] + 1 in DECODE_KV
    ]
    out.sort(key=lambda p: (p["batch"], p["kv_len"]))
    return f"{folder.relative_to(root).as_posix()}/generation_attention_perf.parquet", out


def nearest_moe_shape(shapes: Sequence[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """The ``(hidden, intermediate, experts, top_k)`` of ``shapes`` nearest DeepSeek-OCR's routed experts (sum of
    the four log distances; ties to the smaller)."""
    text = DeepseekOCRArch().language
    ours = (text.hidden_size, text.moe_intermediate_size, text.n_routed_experts, text.num_experts_per_tok)
    return min(shapes, key=lambda s: (sum(abs(math.log(a / b)) for a, b in zip(s, ours, strict=True)), s))


def moe_points(root: Path, gpu: str) -> tuple[str, list[dict[str, Any]]]:
    """The table's path in the package and its kept fused-MoE points of ``gpu`` (see the module docstring)."""
    folder = _latest(root, gpu, "moe")
    if folder is None:
        return "", []
    rows = [
        r
        for r in _read(folder / "moe_perf.parquet")
        if r["moe_dtype"] == "bfloat16" and r["moe_tp_size"] == 1 and r["moe_ep_size"] == 1
    ]
    if not rows:
        return "", []
    shape = nearest_moe_shape(sorted({(r["hidden_size"], r["inter_size"], r["num_experts"], r["topk"]) for r in rows}))
    rows = [r for r in rows if (r["hidden_size"], r["inter_size"], r["num_experts"], r["topk"]) == shape]
    sources = sorted({r["kernel_source"] for r in rows})
    triton = [s for s in sources if "triton" in s or s == "vllm_fused_moe"]
    source = (triton or sources)[0]
    dists = [d for d in MOE_DISTRIBUTIONS if any(r["distribution"] == d for r in rows)]
    if not dists:
        return "", []
    out = [
        {
            "tokens": r["num_tokens"],
            "hidden": r["hidden_size"],
            "intermediate": r["inter_size"],
            "experts": r["num_experts"],
            "top_k": r["topk"],
            "distribution": r["distribution"],
            "latency_ms": r["latency"],
            "kernel_source": r["kernel_source"],
        }
        for r in rows
        if r["kernel_source"] == source and r["distribution"] == dists[0] and r["num_tokens"] in MOE_TOKENS
    ]
    out.sort(key=lambda p: p["tokens"])
    return f"{folder.relative_to(root).as_posix()}/moe_perf.parquet", out


def extract(root: Path, version: str) -> dict[str, Any]:
    """The extract of the package unpacked at ``root`` (``aiconfigurator_core/``)."""
    gpus: dict[str, Any] = {}
    for gpu, entry in GPUS.items():
        gemm_file, gemm = gemm_points(root, gpu)
        attn_file, attn = attention_points(root, gpu)
        decode_file, decode = decode_attention_points(root, gpu)
        moe_file, moe = moe_points(root, gpu)
        gpus[entry] = {
            "aiconfigurator_system": gpu,
            "device": f"systems/{gpu}.yaml",
            "gemm_table": gemm_file,
            "gemm": gemm,
            "attention_table": attn_file,
            "attention": attn,
            "decode_attention_table": decode_file,
            "decode_attention": decode,
            "moe_table": moe_file,
            "moe": moe,
        }
    return {
        "source": (
            f"aiconfigurator-core {version} (NVIDIA, Apache-2.0, PyPI), vLLM tables; latencies in ms as shipped. "
            "Extracted by scripts/aiconfigurator/extract_points.py."
        ),
        "package_version": version,
        "framework": FRAMEWORK,
        "gpus": gpus,
    }


def _package_root(package_dir: Path | None) -> tuple[Path, str]:
    if package_dir is not None:
        dist = sorted(package_dir.parent.glob("aiconfigurator_core-*.dist-info"))
        version = dist[-1].name.removeprefix("aiconfigurator_core-").removesuffix(".dist-info") if dist else "unknown"
        return package_dir, version
    import importlib.metadata
    import importlib.util

    spec = importlib.util.find_spec("aiconfigurator_core")
    if spec is None or spec.origin is None:
        raise SystemExit(
            "extract_points: aiconfigurator-core is not installed (pip install 'llm-perf-opt[aiconfigurator]')"
        )
    return Path(spec.origin).parent, importlib.metadata.version("aiconfigurator-core")


def main(argv: Sequence[str] | None = None) -> int:
    """Write the extract."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--package-dir", type=Path, default=None, help="an unpacked aiconfigurator_core/ folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    root, version = _package_root(args.package_dir)
    data = extract(root, version)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    n = sum(len(g[kind]) for g in data["gpus"].values() for kind in ("gemm", "attention", "decode_attention", "moe"))
    print(f"extract_points: {n} points of {len(data['gpus'])} GPUs -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
