"""The host cost of eager module code, and the eager start, from generic microbenchmarks (GPU work tiny, so a
forward's wall time is the host's). No DeepSeek-OCR module is built.

Four cases, timed in interleaved rounds (each round times every case once, the queue drained before each
call, CUDA events around it, Python's garbage collector off), as ``scripts/gpu/measure_stages.py`` times its
host cases among the stages:

``linear_silu``
    a stack of 200 tiny blocks (``Linear(64, 64)`` -> ``SiLU`` -> residual add: 3 kernels each) on one row:
    one Python-level torch call per kernel;
``one_add``
    one ``y.add_(1)`` on a one-element tensor, timed right after ``linear_silu`` in every round: its median
    wall less its profiled kernel is the host's time to an eager call's first launch after other work
    (the entry's ``host.eager_start_us``);
``llama_eager`` and ``llama_sdpa``
    transformers' own ``LlamaModel`` at toy size (hidden 64, 8 layers, 8 tokens, no cache) with eager and
    with SDPA attention: typical transformers module code (module calls, views, masks, rotary tables,
    dispatch, launches), about 1.6 torch calls per kernel.

Every round also times the three module cases (``linear_silu`` and the two LlamaModels) under ``torch.no_grad()``,
as transformers' ``generate()`` runs a model, where the rest run under ``torch.inference_mode()``: the sum of
their median walls under ``no_grad`` over the same sum under ``inference_mode`` is the entry's
``host.module.no_grad_factor``.

Every round also times six operator chains, each 100 calls of one operator with CUDA events around the chain, in
the context of eager inference as transformers' ``generate()`` runs it under bf16 autocast (``torch.no_grad()``
and ``torch.autocast(dtype=torch.bfloat16)``, as DeepSeek-OCR's ``infer()`` does): the reference, a plain
``F.linear`` (the stack's own operator), and one per operator class with its own host cost
(:data:`~llm_perf_opt.data.host_ops.HOST_OP_CLASSES`): a biased ``F.linear`` on a 3-D input, SDPA, ``F.layer_norm``,
``torch.argsort`` of 48 ids, and an index-tensor gather, at the sizes of a ViT-L layer (257 tokens, width 1024, 16
heads; the GPU work a few microseconds, below the host's). A class's extra host time per call (the entry's
``host.module.<class>_extra_us``) is its chain's median wall per call less the reference's, less
``host.module.launch_us`` for each kernel it launches beyond the reference's one (:func:`op_extra_us`).

Each case's kernels (``torch.profiler``) and its Python-level torch calls (a ``TorchFunctionMode``) are counted in
separate calls; :func:`llm_perf_opt.validation.host_split.module_host_split` then solves
``wall = call_us x calls + launch_us x kernels`` for the two costs, the entry's ``host.module`` record
(``linear_silu``, and the two LlamaModel cases summed). On the CPU (a dry run) walls are host-timed and the
kernels are stand-ins (ATen operators that are not views), so the split describes nothing real.

Example
-------
>>> HostSettings().runs, HOST_CASES, OP_CHAINS[0]
(30, ('linear_silu', 'one_add', 'llama_eager', 'llama_sdpa'), 'linear')
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from attrs import define

from llm_perf_opt.calibrate.fits import eager_start_us
from llm_perf_opt.data.host_ops import HOST_OP_CLASSES
from llm_perf_opt.validation.cuda_timing import event_seconds, profiled_kernels
from llm_perf_opt.validation.host_split import MODULE_CASES, PER_CALL_CASE, HostSplit, module_host_split

HOST_CASES: tuple[str, ...] = ("linear_silu", "one_add", "llama_eager", "llama_sdpa")
"""The cases, in the order each round times them (``one_add`` right after ``linear_silu``, as in
``scripts/gpu/measure_stages.py``)."""
NO_GRAD_CASES: tuple[str, ...] = (PER_CALL_CASE, *MODULE_CASES)
"""The module cases (those the host split solves from) each round also times under ``torch.no_grad()`` (after the
``inference_mode`` ones)."""
BLOCKS = 200
"""Blocks of the ``linear_silu`` stack."""
REFERENCE_CHAIN = "linear"
"""The operator chain the classes' extra costs are measured against: a plain ``F.linear`` (one kernel)."""
OP_CHAINS: tuple[str, ...] = (REFERENCE_CHAIN, *HOST_OP_CLASSES)
"""The operator chains each round times."""
CHAIN_CALLS = 100
"""Calls of the operator per chain."""


@define(frozen=True, kw_only=True)
class HostSettings:
    """Untimed calls before counting, interleaved timed rounds (median), profiled calls for the kernels.

    Example
    -------
    >>> HostSettings(runs=5).warmup
    3
    """

    warmup: int = 3
    runs: int = 30
    profile_runs: int = 3


def host_calls(torch: Any, device: Any) -> dict[str, Callable[[], object]]:
    """The calls of :data:`HOST_CASES` on ``device`` (the module docstring says what each is)."""
    from torch import nn
    from transformers import LlamaConfig, LlamaModel

    class Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(64, 64, bias=False)
            self.act = nn.SiLU()

        def forward(self, x: Any) -> Any:
            return x + self.act(self.fc(x))

    torch.manual_seed(0)
    blocks = nn.Sequential(*[Tiny() for _ in range(BLOCKS)]).to(device, torch.bfloat16)
    x = torch.randn(1, 64, device=device, dtype=torch.bfloat16)
    y = torch.zeros(1, device=device, dtype=torch.int64)
    cases: dict[str, Callable[[], object]] = {"linear_silu": lambda: blocks(x), "one_add": lambda: y.add_(1)}
    ids = torch.arange(8, device=device)[None]
    for attn in ("eager", "sdpa"):
        sizes: dict[str, Any] = {
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_attention_heads": 4,
            "num_key_value_heads": 4,
            "num_hidden_layers": 8,
            "vocab_size": 128,
            "attn_implementation": attn,
        }
        model = LlamaModel(LlamaConfig(**sizes)).to(device, torch.bfloat16).eval()
        cases[f"llama_{attn}"] = _forward(model, ids)
    return cases


def _forward(model: Any, ids: Any) -> Callable[[], object]:
    def call() -> object:
        return model(input_ids=ids, use_cache=False)

    return call


def op_chains(torch: Any, device: Any) -> dict[str, Callable[[], object]]:
    """The calls of :data:`OP_CHAINS` on ``device``: each makes :data:`CHAIN_CALLS` calls of its operator on bf16
    tensors under ``torch.no_grad()`` and bf16 autocast (the module docstring says which)."""
    import torch.nn.functional as F

    g = torch.Generator(device="cpu").manual_seed(0)

    def rand(*shape: int) -> Any:
        return torch.randn(*shape, generator=g).to(device, torch.bfloat16)

    x2, x3, w, b = rand(257, 1024), rand(1, 257, 1024), rand(1024, 1024), rand(1024)
    q, k, v = rand(1, 16, 257, 64), rand(1, 16, 257, 64), rand(1, 16, 257, 64)
    ln_w, ln_b = rand(1024), rand(1024)
    ids = torch.randint(0, 64, (48,), generator=g).to(device)
    rows = rand(64, 1280)
    autocast_device = device.type

    def chain(op: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            out = None
            with torch.no_grad(), torch.autocast(autocast_device, dtype=torch.bfloat16):
                for _ in range(CHAIN_CALLS):
                    out = op()
            return out

        return run

    return {
        "linear": chain(lambda: F.linear(x2, w)),
        "linear_bias": chain(lambda: F.linear(x3, w, b)),
        "sdpa": chain(lambda: F.scaled_dot_product_attention(q, k, v)),
        "layer_norm_autocast": chain(lambda: F.layer_norm(x3, (1024,), ln_w, ln_b)),
        "sort": chain(lambda: torch.argsort(ids)),
        "index": chain(lambda: rows[ids]),
    }


def _torch_calls(torch: Any, fn: Callable[[], object]) -> int:
    """Python-level torch calls of one call of ``fn`` (functions and tensor methods; calls made inside a torch
    call not counted), under a ``TorchFunctionMode``."""
    from torch.overrides import TorchFunctionMode

    calls = [0]

    class Count(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            calls[0] += 1
            return func(*args, **(kwargs or {}))

    with torch.inference_mode(), Count():
        fn()
    return calls[0]


def _cpu_kernels(torch: Any, fn: Callable[[], object]) -> int:
    """Dry-run stand-in for the kernels of one call: ATen operators that are not views, under a dispatch mode."""
    from torch.utils._python_dispatch import TorchDispatchMode

    ops = [0]

    class Count(TorchDispatchMode):  # type: ignore[no-untyped-call]
        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            if not func.is_view:
                ops[0] += 1
            return func(*args, **(kwargs or {}))

    with torch.inference_mode(), Count():  # type: ignore[no-untyped-call]
        fn()
    return ops[0]


def measure_host(torch: Any, device: Any, settings: HostSettings) -> dict[str, Any]:
    """Every case's kernels, torch calls and walls, as ``host-overhead.json`` records them, and the constants:
    ``module_launch_us``, ``module_call_us``, ``no_grad_factor`` and ``eager_start_us`` (the entry's
    ``host.module.launch_us``, ``host.module.call_us``, ``host.module.no_grad_factor`` and ``host.eager_start_us``;
    and ``stand_in`` on the CPU)."""
    cuda = device.type == "cuda"
    cases = host_calls(torch, device)
    out: dict[str, Any] = {"how_measured": __doc__, "stand_in": not cuda}
    for name, fn in cases.items():
        if name in NO_GRAD_CASES:
            with torch.no_grad():
                for _ in range(settings.warmup):
                    fn()
        with torch.inference_mode():
            kernel_s, kernels = _warmed_kernels(torch, fn, settings, cuda)
        out[name] = {
            "kernels_per_forward": kernels,
            "kernel_s_per_forward": kernel_s,
            "torch_calls_per_forward": _torch_calls(torch, fn),
        }
        print(
            f"  host {name:12s} {kernels:5d} kernels {out[name]['torch_calls_per_forward']:5d} torch calls",
            file=sys.stderr,
            flush=True,
        )
    chains = op_chains(torch, device)
    chain_rows: dict[str, dict[str, Any]] = {}
    for name, fn in chains.items():  # each chain enters its own context
        kernel_s, kernels = _warmed_kernels(torch, fn, settings, cuda)
        chain_rows[name] = {"kernels_per_call": kernels / CHAIN_CALLS, "kernel_s_per_call": kernel_s / CHAIN_CALLS}
    walls: dict[str, list[float]] = {name: [] for name in cases}
    chain_walls: dict[str, list[float]] = {name: [] for name in chains}
    no_grad: dict[str, list[float]] = {name: [] for name in NO_GRAD_CASES}
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(settings.runs):
            with torch.inference_mode():
                for name, fn in cases.items():
                    walls[name].append(_wall_seconds(torch, fn, cuda))
            with torch.no_grad():
                for name in NO_GRAD_CASES:
                    no_grad[name].append(_wall_seconds(torch, cases[name], cuda))
            for name, fn in chains.items():
                chain_walls[name].append(_wall_seconds(torch, fn, cuda))
    finally:
        if enabled:
            gc.enable()
    for name, w in walls.items():
        row = out[name]
        row.update(wall_s_per_forward=statistics.median(w), wall_min_s=min(w), wall_max_s=max(w), runs=len(w))
        row["host_us_per_kernel"] = row["wall_s_per_forward"] / max(1, row["kernels_per_forward"]) * 1e6
        row["host_us_per_torch_call"] = row["wall_s_per_forward"] / max(1, row["torch_calls_per_forward"]) * 1e6
        if name in no_grad:
            row["wall_no_grad_s_per_forward"] = statistics.median(no_grad[name])
    for name, w in chain_walls.items():
        chain_rows[name].update(wall_us_per_call=statistics.median(w) / CHAIN_CALLS * 1e6, runs=len(w))
    out["op_chains"] = chain_rows
    out["no_grad_factor"] = no_grad_factor(out)
    try:
        split = module_host_split(out)
    except ValueError:
        if cuda:
            raise
        split = _stand_in_split(out)
        out["split_note"] = "STAND-IN (CPU dry run): the two equations gave no positive split; wall / (calls + kernels)"
    out["module_launch_us"], out["module_call_us"] = split.launch_us, split.call_us
    out["op_extra_us"] = op_extra_us(chain_rows, split.launch_us)
    one = out["one_add"]
    out["eager_start_us"] = eager_start_us(one["wall_s_per_forward"], one["kernel_s_per_forward"])
    return out


def op_extra_us(chains: dict[str, dict[str, Any]], launch_us: float) -> dict[str, float]:
    """Class -> extra host microseconds per call: the class's chain's wall per call less the reference chain's, less
    ``launch_us`` for each kernel per call beyond the reference's.

    Example
    -------
    >>> chains = {"linear": {"wall_us_per_call": 15.0, "kernels_per_call": 1.0},
    ...           "sdpa": {"wall_us_per_call": 48.0, "kernels_per_call": 2.0}}
    >>> op_extra_us(chains, launch_us=10.0)  # 48 - 15 - 10 x (2 - 1)
    {'sdpa': 23.0}
    """
    ref = chains[REFERENCE_CHAIN]
    return {
        c: float(row["wall_us_per_call"])
        - float(ref["wall_us_per_call"])
        - launch_us * (float(row["kernels_per_call"]) - float(ref["kernels_per_call"]))
        for c, row in chains.items()
        if c != REFERENCE_CHAIN
    }


def no_grad_factor(host: dict[str, Any]) -> float | None:
    """The module cases' summed median walls under ``torch.no_grad()`` over the same under
    ``torch.inference_mode()`` (``None`` for a run that did not time them under ``no_grad``).

    Example
    -------
    >>> host = {name: {"wall_s_per_forward": 0.010, "wall_no_grad_s_per_forward": 0.011} for name in NO_GRAD_CASES}
    >>> host["linear_silu"]["wall_no_grad_s_per_forward"] = 0.0105
    >>> round(no_grad_factor(host), 6)  # (0.0105 + 0.011 + 0.011) / 0.030
    1.083333
    >>> no_grad_factor({name: {"wall_s_per_forward": 0.01} for name in NO_GRAD_CASES}) is None
    True
    """
    rows = [host[name] for name in NO_GRAD_CASES]
    if any("wall_no_grad_s_per_forward" not in r for r in rows):
        return None
    return sum(float(r["wall_no_grad_s_per_forward"]) for r in rows) / sum(float(r["wall_s_per_forward"]) for r in rows)


def _warmed_kernels(torch: Any, fn: Callable[[], object], settings: HostSettings, cuda: bool) -> tuple[float, int]:
    """(kernel seconds, kernels) of one call of ``fn`` after ``settings.warmup`` untimed calls: profiled on a GPU,
    stand-in operators (no time) on the CPU."""
    for _ in range(settings.warmup):
        fn()
    if cuda:
        kernel_s, kernels, _ = profiled_kernels(torch, fn, settings.profile_runs)
        return kernel_s, kernels
    return 0.0, _cpu_kernels(torch, fn)


def _wall_seconds(torch: Any, fn: Callable[[], object], cuda: bool) -> float:
    """One call's wall time: CUDA events on a GPU, the host clock on the CPU."""
    if cuda:
        return event_seconds(torch, fn)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _stand_in_split(host: dict[str, Any]) -> HostSplit:
    rows = [host["llama_eager"], host["llama_sdpa"]]
    wall_us = sum(r["wall_s_per_forward"] for r in rows) * 1e6
    units = sum(r["torch_calls_per_forward"] + r["kernels_per_forward"] for r in rows)
    return HostSplit(launch_us=wall_us / units, call_us=wall_us / units)
