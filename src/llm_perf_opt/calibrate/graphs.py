"""What a CUDA-graph replay costs beyond its kernels: one launch per replay, a gap per kernel.

A replayed graph runs its kernels one after the other on the GPU; its wall time (CUDA events
around ``graph.replay()``, the queue drained before, as ``scripts/gpu/measure_stages.py`` times a
stage) is more than the sum of its kernels' durations (as ``torch.profiler`` reports them, the
clock of the kernel-time curves) by

* a **launch** per replay: the host's ``replay()`` call (Python, ``cudaGraphLaunch``) while the
  GPU, having run the start event, waits for the graph's first kernel;
* a **gap** per kernel: the time between one kernel's end and the next one's start.

Both are measured on generic chains, none of them a DeepSeek-OCR module: ``N`` dependent
``x.add_(1)`` kernels on a float32 tensor of each of several sizes (one element to 16 MiB), ``N``
dependent one-row bf16 matrix-vector products (``y = x @ W``, ``x = y``), and a **mixed** chain of
``N`` kernels cycling through eight kernel types (elementwise add, matrix-vector product, three-way
``cat``, row sum, bf16-to-float32 copy, ``index_select``, softmax, layer norm), each captured twice,
with 1 and with ``N`` kernels. For every chain::

    launch = W_1 - D_1          gap = ((W_N - D_N) - (W_1 - D_1)) / (N - 1)

with ``W`` the median replay wall time and ``D`` the profiled kernel time per replay.

The replays are timed **interleaved and each after another large graph**, as ``measure_stages.py`` times its points
(each stage graph replayed after another stage's graph of up to about a thousand kernels): ``--runs`` rounds, each
timing every graph once, and before each timed replay a different graph of ``--before-graph`` dependent one-element
adds is replayed (untimed; the queue is drained before the timed replay). Both the launch and the gaps grow with the
size of the graph replayed just before (an H100 investigation whose raw results are kept in
``reports/validation/h100/probe-host-graphs.json`` and ``probe-graph-before.json``): on the H100, after a different
graph of 256, 1,024 and 4,096 one-element adds a 1-kernel add graph's launch measured about 27, 33 and 47 us and a
256-add chain's excess over its kernels about 150, 164 and 206 us; the same graph replayed back to back, as a
serving loop replays its decode graph, measured 27 and 148 us.

The hardware entry's ``host.graph.launch_us`` and ``host.graph.kernel_gap_us`` (this module's
``graph_launch_us`` and ``graph_kernel_gap_us``) are the medians over the chains. The mixed chain was
added to test whether a chain of different kernels, as a model's graph is, runs with longer gaps than one
kernel repeated: on the H100 it does not (0.03 to 0.06 us per kernel, against 0.12 to 0.27 us for the
identical-kernel chains).

On the CPU (a dry run of ``python -m llm_perf_opt.calibrate``) nothing can be captured: the same chains
run eagerly, host-timed, with no kernel time, as stand-ins that check the code path, not a GPU.

``scripts/gpu/calibrate_graphs.py`` runs this module alone (:func:`main`)::

    python3 scripts/gpu/calibrate_graphs.py --output reports/validation/h100/graph-costs.json

Example
-------
>>> GraphSettings().kernels, GraphSettings().before_graph
(256, 1024)
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from attrs import define

from llm_perf_opt.calibrate.fits import chain_costs, graph_constants
from llm_perf_opt.utils.atomic_output import check_output_path, write_file
from llm_perf_opt.utils.cli_boundary import DEBUG_FLAG, OneLineParser, run_command, wants_debug
from llm_perf_opt.utils.input_error import InputError
from llm_perf_opt.validation.cuda_timing import capture_graph, device_environment, event_seconds, profiled_kernels

SCHEMA = "llm-perf-opt/graph-costs/v1"
ADD_ELEMENTS: tuple[int, ...] = (1, 4096, 65536, 1048576, 4194304)
"""float32 elements of the ``x.add_(1)`` chains: 4 B to 16 MiB."""
GEMV_SIZE = 1280
"""The one-row matrix-vector chain's width (bf16 ``[1, n] @ [n, n]``)."""
MIXED = "mixed_8_types"
"""The chain cycling through eight kernel types."""


@define(frozen=True, kw_only=True)
class GraphSettings:
    """Chain length, timed rounds, profiled replays, warm-up replays, the graph replayed before each timed
    replay (kernels; 0: none) and the seed.

    Example
    -------
    >>> GraphSettings(runs=10).runs
    10
    """

    kernels: int = 256
    runs: int = 50
    profile_runs: int = 5
    warmup: int = 10
    before_graph: int = 1024
    seed: int = 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags of ``scripts/gpu/calibrate_graphs.py`` (see ``--help``), checked, the output's path included, before
    anything is measured; :class:`InputError` (one line) for a bad one."""
    p = OneLineParser(
        prog="calibrate_graphs.py",
        description="Measure the launch per CUDA-graph replay and the gap per kernel inside a replay.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--output", type=Path, required=True, help="path of the JSON report to write")
    p.add_argument("--kernels", type=int, default=256, help="kernels of the long chains (N)")
    p.add_argument("--runs", type=int, default=50, help="interleaved rounds, each timing every graph once (median)")
    p.add_argument("--profile-runs", type=int, default=5, help="replays under torch.profiler for the kernel time")
    p.add_argument("--warmup", type=int, default=10, help="untimed replays of each graph before the timed rounds")
    p.add_argument(
        "--before-graph",
        type=int,
        default=1024,
        help="kernels of the other graph replayed (untimed) before each timed replay; 0: none",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    p.add_argument(DEBUG_FLAG, action="store_true", help="show the traceback of an unexpected error")
    args = p.parse_args(argv)
    if args.kernels < 2:
        p.error("--kernels must be >= 2 (the gap needs a chain of at least two kernels)")
    for name in ("runs", "profile_runs", "warmup"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.before_graph < 0:
        p.error("--before-graph must be >= 0")
    check_output_path(args.output, flag="--output", directory=False)
    return args


def _seconds(torch: Any, graph: Any) -> float:
    """One replay's seconds: CUDA events (:func:`event_seconds`), or the host clock for an eager stand-in."""
    if isinstance(graph, _Eager):
        t0 = time.perf_counter()
        graph.replay()
        return time.perf_counter() - t0
    return event_seconds(torch, graph.replay)


def interleaved_walls(
    torch: Any, graphs: dict[str, Any], runs: int, warmup: int, before: Callable[[], object] | None
) -> dict[str, float]:
    """Median seconds of one replay of each graph: CUDA events around ``replay()``, the queue drained
    before; ``runs`` rounds, each timing every graph once, each timed replay preceded by an untimed
    call of ``before`` (``None``: nothing); the garbage collector off."""
    for graph in graphs.values():
        for _ in range(warmup):
            graph.replay()
    walls: dict[str, list[float]] = {name: [] for name in graphs}
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            for name, graph in graphs.items():
                if before is not None:
                    before()
                walls[name].append(_seconds(torch, graph))
    finally:
        if enabled:
            gc.enable()
    return {name: statistics.median(w) for name, w in walls.items()}


def chains(torch: Any, seed: int, device: str = "cuda") -> dict[str, Callable[[int], Callable[[], None]]]:
    """Chain name -> (kernels -> body launching that many dependent kernels), on ``device``."""
    gen = torch.Generator(device=device).manual_seed(seed)
    out: dict[str, Callable[[int], Callable[[], None]]] = {}
    for n in ADD_ELEMENTS:
        x = torch.rand(n, device=device, generator=gen)

        def add_chain(k: int, x: Any = x) -> Callable[[], None]:
            def body() -> None:
                for _ in range(k):
                    x.add_(1)

            return body

        out[f"add_f32_{n}"] = add_chain
    w = (torch.randn(GEMV_SIZE, GEMV_SIZE, device=device, generator=gen) / GEMV_SIZE**0.5).to(torch.bfloat16)
    v = torch.randn(1, GEMV_SIZE, device=device, generator=gen).to(torch.bfloat16)
    bufs = [v.clone(), v.clone()]

    def gemv_chain(k: int) -> Callable[[], None]:
        def body() -> None:
            for i in range(k):
                torch.matmul(bufs[i % 2], w, out=bufs[(i + 1) % 2])

        return body

    out[f"gemv_bf16_{GEMV_SIZE}"] = gemv_chain
    out[MIXED] = mixed_chain(torch, gen, device)
    return out


def mixed_chain(torch: Any, gen: Any, device: str = "cuda") -> Callable[[int], Callable[[], None]]:
    """Chain cycling through eight kernel types, one kernel each, on small tensors."""
    f = torch.rand(4096, device=device, generator=gen)
    w = (torch.randn(GEMV_SIZE, GEMV_SIZE, device=device, generator=gen) / GEMV_SIZE**0.5).to(torch.bfloat16)
    v = [torch.randn(1, GEMV_SIZE, device=device, generator=gen).to(torch.bfloat16) for _ in range(2)]
    parts = [torch.randn(1, 64, GEMV_SIZE, device=device, generator=gen).to(torch.bfloat16) for _ in range(3)]
    cat_out = torch.empty(1, 192, GEMV_SIZE, device=device, dtype=torch.bfloat16)
    row = torch.empty(GEMV_SIZE, device=device, dtype=torch.bfloat16)
    wide = torch.empty(1, GEMV_SIZE, device=device, dtype=torch.float32)
    idx = torch.randint(0, 192, (16,), device=device, generator=gen)
    picked = torch.empty(16, GEMV_SIZE, device=device, dtype=torch.bfloat16)
    steps: list[Callable[[], object]] = [
        lambda: f.add_(1),
        lambda: torch.matmul(v[0], w, out=v[1]),
        lambda: torch.cat(parts, dim=1, out=cat_out),
        lambda: torch.sum(cat_out[0], 0, out=row),
        lambda: wide.copy_(v[1]),
        lambda: torch.index_select(cat_out[0], 0, idx, out=picked),
        lambda: torch.softmax(v[1], -1),
        lambda: torch.nn.functional.layer_norm(v[0], (GEMV_SIZE,)),
    ]

    def make(k: int) -> Callable[[], None]:
        def body() -> None:
            for i in range(k):
                steps[i % len(steps)]()

        return body

    return make


def measure(torch: Any, settings: GraphSettings | argparse.Namespace, device: str = "cuda") -> dict[str, Any]:
    """Every chain's walls, kernel times and costs, and their medians (``graph_launch_us``,
    ``graph_kernel_gap_us``); on the CPU, eager host-timed stand-ins (``stand_in: true``)."""
    graphs: dict[str, Any] = {}
    cuda = device.startswith("cuda")
    # the chains' bodies hold the tensors the graphs read and write: keep them alive while replaying
    made = chains(torch, settings.seed, device)
    for name, make in made.items():
        for k in (1, settings.kernels):
            graphs[f"{name}/n{k}"] = capture_graph(torch, make(k), warmup=3) if cuda else _Eager(make(k))
    before = None
    if settings.before_graph:
        other = torch.zeros(1, device=device, dtype=torch.int64)

        def other_chain() -> None:
            for _ in range(settings.before_graph):
                other.add_(1)

        before = capture_graph(torch, other_chain, warmup=1).replay if cuda else other_chain
    walls = interleaved_walls(torch, graphs, settings.runs, settings.warmup, before)
    rows: dict[str, Any] = {}
    for key, graph in graphs.items():
        name, n = key.split("/")
        if cuda:
            kernel, count, _ = profiled_kernels(torch, graph.replay, settings.profile_runs)
        else:  # stand-in: no kernels to profile on the CPU
            kernel, count = 0.0, int(n[1:])
        rows.setdefault(name, {})[n] = {"kernels": count, "wall_s": walls[key], "kernel_s": kernel}
    for name, row in rows.items():
        one, many = row["n1"], row[f"n{settings.kernels}"]
        row.update(chain_costs(one["wall_s"], one["kernel_s"], many["wall_s"], many["kernel_s"], many["kernels"]))
        print(
            f"  {name:18s} launch {row['launch_s'] * 1e6:7.2f} us  gap {row['gap_s'] * 1e6:6.3f} us/kernel  "
            f"(kernel {many['kernel_s'] / many['kernels'] * 1e6:7.3f} us)",
            file=sys.stderr,
            flush=True,
        )
    timing = f"interleaved, each replay after another graph of {settings.before_graph} kernels"
    if not cuda:
        timing = "STAND-IN (CPU dry run): chains run eagerly, host clock, no kernel time; " + timing
    return {
        "chains": rows,
        "timing": timing,
        "stand_in": not cuda,
        "kernels_per_long_chain": settings.kernels,
        "before_graph": settings.before_graph,
        **summary(rows),
    }


class _Eager:
    """A chain body with a graph's ``replay`` name, run eagerly (the CPU stand-in for a captured graph)."""

    def __init__(self, body: Callable[[], None]) -> None:
        self.replay = body


def summary(rows: dict[str, Any]) -> dict[str, float]:
    """The hardware entry's two constants from the chains' rows: median launch and median gap (us)."""
    return graph_constants(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """``scripts/gpu/calibrate_graphs.py``: measure, write the JSON report, print the two constants. Behind the
    one boundary (:func:`~llm_perf_opt.utils.cli_boundary.run_command`): a bad flag, an unwritable output or no
    GPU is one line and exit 2."""
    return run_command("calibrate_graphs.py", lambda: _main(argv), debug=wants_debug(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        raise InputError("no CUDA device visible to torch (CUDA graphs need a GPU)")
    result = measure(torch, args)
    report = {
        "schema": SCHEMA,
        "environment": device_environment(torch),
        "how_measured": __doc__,
        "kernels_per_long_chain": args.kernels,
        "runs": args.runs,
        "before_graph": args.before_graph,
        **result,
    }
    write_file(args.output, json.dumps(report, indent=2, sort_keys=True) + "\n", flag="--output")
    print(
        f"graph_launch_us {result['graph_launch_us']:.2f}, graph_kernel_gap_us {result['graph_kernel_gap_us']:.3f} "
        f"-> {args.output}"
    )
    return 0
