"""Split the host cost of eager module code into a cost per launched kernel and per torch call.

``scripts/gpu/measure_stages.py`` times host-bound microbenchmarks (GPU work tiny, so the wall time
of a forward is the host's) and counts, for each, its kernels ``K`` and its Python-level torch calls
``C`` (functions and tensor methods under a ``TorchFunctionMode``). Two of them have different
ratios of calls to kernels:

* ``linear_silu``: a stack of ``Linear -> SiLU -> add`` blocks, one torch call per kernel;
* ``llama``: transformers' ``LlamaModel`` at toy size with eager and with SDPA attention (the two
  forwards summed), whose module code makes about 1.6 torch calls per kernel (views, transposes,
  shape queries, mask and rotary-table code around each launch).

The host cost of module code is modelled as ``W = L_c * C + L_k * K`` (``L_c``: the Python argument
parsing and dispatch of a torch call; ``L_k``: what a kernel launch adds: allocation, the launch
itself), and the two microbenchmarks give the two unknowns exactly (Cramer's rule). Nothing of
DeepSeek-OCR enters.

Example
-------
>>> host = {
...     "linear_silu": {"torch_calls_per_forward": 600, "kernels_per_forward": 600, "wall_s_per_forward": 0.015},
...     "llama_eager": {"torch_calls_per_forward": 600, "kernels_per_forward": 400, "wall_s_per_forward": 0.013},
...     "llama_sdpa": {"torch_calls_per_forward": 600, "kernels_per_forward": 400, "wall_s_per_forward": 0.013},
... }
>>> split = module_host_split(host)
>>> round(split.launch_us, 6), round(split.call_us, 6)
(10.0, 15.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import define

PER_CALL_CASE = "linear_silu"
"""The host case with one torch call per kernel."""
MODULE_CASES = ("llama_eager", "llama_sdpa")
"""The host cases of transformers module code, summed into the second equation."""


@define(frozen=True, kw_only=True)
class HostSplit:
    """Host microseconds per launched kernel (``launch_us``) and per torch call (``call_us``).

    Example
    -------
    >>> HostSplit(launch_us=12.0, call_us=13.0).per_kernel(calls=3, kernels=2)
    31.5
    """

    launch_us: float
    call_us: float

    def per_kernel(self, *, calls: int, kernels: int) -> float:
        """Host microseconds per kernel of code making ``calls`` torch calls around ``kernels`` kernels."""
        return self.launch_us + self.call_us * calls / kernels


def _row(cases: list[Mapping[str, Any]]) -> tuple[float, float, float]:
    calls = sum(float(c["torch_calls_per_forward"]) for c in cases)
    kernels = sum(float(c["kernels_per_forward"]) for c in cases)
    wall_us = sum(float(c["wall_s_per_forward"]) for c in cases) * 1e6
    return calls, kernels, wall_us


def module_host_split(host: Mapping[str, Any]) -> HostSplit:
    """:class:`HostSplit` from a ``host-overhead.json`` mapping (its ``linear_silu``, ``llama_eager`` and
    ``llama_sdpa`` cases); ``ValueError`` when the two equations do not give two positive costs."""
    missing = [n for n in (PER_CALL_CASE, *MODULE_CASES) if n not in host]
    if missing:
        raise ValueError(f"host cases missing: {', '.join(missing)}")
    c1, k1, w1 = _row([host[PER_CALL_CASE]])
    c2, k2, w2 = _row([host[n] for n in MODULE_CASES])
    det = c1 * k2 - c2 * k1
    if det == 0:
        raise ValueError("host cases: the two equations have the same ratio of torch calls to kernels")
    call_us = (w1 * k2 - w2 * k1) / det
    launch_us = (c1 * w2 - c2 * w1) / det
    if call_us <= 0 or launch_us <= 0:
        raise ValueError(f"host cases: split not positive (per call {call_us:.3f} us, per kernel {launch_us:.3f} us)")
    return HostSplit(launch_us=launch_us, call_us=call_us)
