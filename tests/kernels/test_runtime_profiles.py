"""Runtime profiles load by name; bad names, unknown keys and malformed entries are one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from attrs import evolve

from llm_perf_opt.data.runtime_profile import COMPONENTS, Expr, KernelSpec, LayerKernels, LayerKey, TakeKey
from llm_perf_opt.kernels.expressions import evaluate, parse_expression
from llm_perf_opt.kernels.inventory import kernel_inventory
from llm_perf_opt.kernels.profiles import list_runtimes, load_runtime, load_runtime_file

MINIMAL = """\
name: {name}
description: toy
decoder_attention: flash
layers:
  Linear:
    source: torch
    kernels:
      - name: gemm
        takes: {{own: 1}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_both_profiles_load_with_their_decoder_attention() -> None:
    assert list_runtimes() == ["fused", "hf-eager", "hf-fa2", "hf-sdpa", "hf-sdpa-graph"]
    assert load_runtime("hf-eager").decoder_attention == "eager"
    fused = load_runtime("fused")
    assert fused.decoder_attention == "flash"
    assert fused.base == "hf-eager"
    # fused inherits the vision entries of its base and replaces the decoder's
    assert fused.layers["LayerNorm2d"] == load_runtime("hf-eager").layers["LayerNorm2d"]
    assert len(fused.layers["DeepseekV2RMSNorm"].kernels) == 1
    assert len(load_runtime("hf-eager").layers["DeepseekV2RMSNorm"].kernels) == 8


def test_unknown_profile_name_is_one_line_listing_the_known() -> None:
    with pytest.raises(
        ValueError, match=r"^unknown runtime profile 'vllm'; known: fused, hf-eager, hf-fa2, hf-sdpa, hf-sdpa-graph$"
    ):
        load_runtime("vllm")


def test_unknown_yaml_key_is_named_with_its_path(tmp_path: Path) -> None:
    text = MINIMAL.format(name="toy").replace("takes: {own: 1}", "takes: {own: 1}\n        launchez: 2")
    with pytest.raises(ValueError, match=r"extra fields found \(launchez\) @ \$\.layers\['Linear'\]\.kernels\[0\]"):
        load_runtime_file(write(tmp_path, "toy", text))
    top = MINIMAL.format(name="toy2") + "cuda_graphs: true\n"
    with pytest.raises(ValueError, match=r"extra fields found \(cuda_graphs\) @ \$"):
        load_runtime_file(write(tmp_path, "toy2", top))


def test_entry_and_profile_validation_errors(tmp_path: Path) -> None:
    bad_component = MINIMAL.format(name="a").replace("{own: 1}", '{"own:flops": 1}')
    with pytest.raises(ValueError, match="unknown component 'flops'"):
        load_runtime_file(write(tmp_path, "a", bad_component))
    bad_expr = MINIMAL.format(name="b").replace("{own: 1}", '{own: "tokens +"}')
    with pytest.raises(ValueError, match="not valid syntax"):
        load_runtime_file(write(tmp_path, "b", bad_expr))
    unfused_source = MINIMAL.format(name="c").replace("{own: 1}", "{gate_proj: 1}")
    with pytest.raises(ValueError, match="neither 'own' nor under a fused child"):
        load_runtime_file(write(tmp_path, "c", unfused_source))
    bad_attention = MINIMAL.format(name="d").replace("decoder_attention: flash", "decoder_attention: sdpa")
    with pytest.raises(ValueError, match="decoder_attention: unknown 'sdpa'"):
        load_runtime_file(write(tmp_path, "d", bad_attention))
    wrong_name = MINIMAL.format(name="other")
    with pytest.raises(ValueError, match="name 'other' differs from the file name 'e'"):
        load_runtime_file(write(tmp_path, "e", wrong_name))
    string_bool = MINIMAL.format(name="f").replace("source: torch", 'source: torch\n    always: "yes"')
    with pytest.raises(ValueError, match="expected true or false"):
        load_runtime_file(write(tmp_path, "f", string_bool))


def test_base_resolution_errors(tmp_path: Path) -> None:
    write(tmp_path, "x", MINIMAL.format(name="x") + "base: y\n")
    write(tmp_path, "y", MINIMAL.format(name="y") + "base: x\n")
    with pytest.raises(ValueError, match="base cycle x -> y -> x"):
        load_runtime("x", tmp_path)
    write(tmp_path, "z", MINIMAL.format(name="z") + "base: nowhere\n")
    with pytest.raises(ValueError, match=r"unknown runtime profile 'nowhere' \(base of 'z'\)"):
        load_runtime("z", tmp_path)


def test_take_keys_and_layer_keys_parse() -> None:
    assert TakeKey.parse("own") == TakeKey("own", None)
    assert TakeKey.parse("cuda_core") == TakeKey("own", "cuda_core")
    key = TakeKey.parse("experts.*")
    assert key.matches("experts.*.gate_proj", "tensor_core")
    assert not key.matches("experts_other", "tensor_core")
    assert not TakeKey.parse("own:weight_read").matches("own", "activation_read")
    assert LayerKey.parse("M[q_len=1, attention=flash]") == LayerKey("M", (("attention", "flash"), ("q_len", "1")))
    with pytest.raises(ValueError, match="expected ClassName"):
        LayerKey.parse("M[")
    assert len(COMPONENTS) == 7


def test_kernel_spec_rejects_both_byte_forms_and_duplicate_names() -> None:
    with pytest.raises(ValueError, match="io_bytes or extra_bytes, not both"):
        KernelSpec(name="k", takes={}, io_bytes=Expr("1"), extra_bytes=Expr("1"))
    k = KernelSpec(name="k", takes={})
    with pytest.raises(ValueError, match="duplicate names"):
        LayerKernels(source="s", kernels=(k, k))


def test_expressions_read_layer_fields_and_refuse_the_rest() -> None:
    class Layer:
        tokens = 7
        dtype = "float32"
        causal = True

    assert evaluate(parse_expression("2 * tokens + size(dtype)"), Layer()) == 18  # 2 * 7 + 4
    assert evaluate(parse_expression("causal"), Layer()) == 1
    assert evaluate(parse_expression("3 if tokens > 5 else 1"), Layer()) == 3
    assert evaluate(parse_expression("-tokens // 2"), Layer()) == -4  # floor of -3.5
    with pytest.raises(ValueError, match="has no attribute 'hidden'"):
        evaluate(parse_expression("hidden"), Layer())
    with pytest.raises(ValueError, match="not an integer"):
        evaluate(parse_expression("dtype"), Layer())
    for text, problem in (("tokens / 2", "Div"), ("tokens.__class__", "attributes may not start"), ("[1]", "List")):
        with pytest.raises(ValueError, match=problem):
            parse_expression(text)


def test_kernel_modules_do_not_import_torch() -> None:
    mods = ["expressions", "profiles", "inventory", "timing", "report"]
    code = (
        "import sys\n"
        + "".join(f"import llm_perf_opt.kernels.{m}\n" for m in mods)
        + "print(any(m == 'torch' or m.startswith('torch.') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_repository_profiles_are_parsed_once_other_directories_afresh(tmp_path: Path) -> None:
    assert load_runtime("hf-sdpa") is load_runtime("hf-sdpa")
    write(tmp_path, "toy", MINIMAL.format(name="toy"))
    first = load_runtime("toy", tmp_path)
    assert first == load_runtime("toy", tmp_path)
    assert first is not load_runtime("toy", tmp_path)


def test_autocast_is_a_profile_setting_inherited_from_the_base() -> None:
    # the vendor's infer() runs under bf16 autocast (hf-eager, and hf-fa2 through its base); the project's reference
    # on transformers 5 (hf-sdpa, and hf-sdpa-graph through it) and a serving engine (fused) do not
    assert {n: load_runtime(n).autocast for n in ("hf-eager", "hf-fa2", "hf-sdpa", "hf-sdpa-graph", "fused")} == {
        "hf-eager": True,
        "hf-fa2": True,
        "hf-sdpa": False,
        "hf-sdpa-graph": False,
        "fused": False,
    }


def test_entries_read_autocast_and_a_missing_name_still_names_the_layer() -> None:
    from modelmeter.layers.norms import LayerNorm

    norm = LayerNorm(tokens=10, hidden=8)
    eager = load_runtime("hf-eager")
    on = {r.kernel: r for r in kernel_inventory(norm, eager).records}
    off = {r.kernel: r for r in kernel_inventory(norm, evolve(eager, autocast=False)).records}
    # weight and bias cast to fp32: 2 launches of (2 + 4) * 8 bytes
    assert (on["param_cast"].calls, on["param_cast"].io_bytes) == (2, 2 * 6 * 8)
    assert "param_cast" not in off  # a kernel that does not launch leaves no record
    # the norm reads and writes fp32 under autocast: 4 more bytes per element than bf16's 2 + 2
    assert on["layer_norm"].io_bytes - off["layer_norm"].io_bytes == 4 * 10 * 8
    broken = LayerKernels(source="x", kernels=(KernelSpec(name="k", takes={"own": Expr("1")}, launches=Expr("width")),))
    profile = evolve(eager, layers={**eager.layers, "LayerNorm": broken})
    with pytest.raises(ValueError, match="LayerNorm has no attribute 'width'"):
        kernel_inventory(norm, profile)
