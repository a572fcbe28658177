"""Count, per module of a live PyTorch model, what one call costs the host and the GPU.

For every module of the model (its qualified name with the list indexes replaced by ``*``, and its class), one
call of ``fn`` is attributed to the innermost module running at the time:

``torch_calls``
    Python-level torch calls (functions and tensor methods seen by a ``TorchFunctionMode``; calls made inside
    another torch call are not seen), the host work of eager module code;
``syncs``
    synchronizing CUDA operations (the warnings of ``torch.cuda.set_sync_debug_mode("warn")``);
``kernels`` and ``kernel_us``
    the GPU kernels (memcpy and memset included) ``torch.profiler`` links to the operators launched inside the
    module, and their summed durations;
``forwards``
    how many times the module's ``forward`` ran.

Work done outside every module (the ``generate()`` loop's own code) is counted under :data:`OUTSIDE`. The
counts are exclusive: a module's children are counted under their own names. Attribution uses forward
pre- and post-hooks that push and pop the module on a stack (and open a ``record_function`` range named
``mod:<key>`` while profiling); the hooks are removed afterwards.

The functions take the ``torch`` module as an argument and import nothing from it at import time, so this
module stays importable where torch is absent.

Example
-------
>>> generic_name("model.layers.11.mlp.experts.63.down_proj")
'model.layers.*.mlp.experts.*.down_proj'
>>> module_key("model.layers.3.mlp", "DeepseekV2MoE")
'model.layers.*.mlp (DeepseekV2MoE)'
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

OUTSIDE = "(outside modules)"
"""The key of work done while no module of the model is running."""

FIELDS: tuple[str, ...] = ("forwards", "torch_calls", "syncs", "kernels", "kernel_us")
"""The counts of one module key, as :func:`count_modules` returns them."""

_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")


def generic_name(qualified: str) -> str:
    """``qualified`` with every list index replaced by ``*``."""
    return _INDEX.sub("*", qualified)


def module_key(qualified: str, class_name: str) -> str:
    """The key a module's counts are kept under: its generic name and its class."""
    return f"{generic_name(qualified) or '(root)'} ({class_name})"


class _Stack:
    """The module stack the hooks maintain, and the counts attributed to its top."""

    def __init__(self) -> None:
        self.keys: list[str] = [OUTSIDE]
        self.ranges: list[Any] = []
        self.counts: dict[str, dict[str, float]] = {}
        self.profiling = False

    def add(self, field: str, amount: float = 1.0, key: str | None = None) -> None:
        row = self.counts.setdefault(key or self.keys[-1], dict.fromkeys(FIELDS, 0.0))
        row[field] += amount


@contextmanager
def _hooks(torch: Any, model: Any, stack: _Stack) -> Iterator[None]:
    keys = {id(m): module_key(name, type(m).__name__) for name, m in model.named_modules()}

    def pre(mod: Any, _args: Any) -> None:
        key = keys[id(mod)]
        stack.keys.append(key)
        stack.add("forwards", key=key)
        if stack.profiling:
            rf = torch.autograd.profiler.record_function(f"mod:{key}")
            rf.__enter__()
            stack.ranges.append(rf)

    def post(_mod: Any, _args: Any, _out: Any) -> None:
        stack.keys.pop()
        if stack.profiling:
            stack.ranges.pop().__exit__(None, None, None)

    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(pre))
        handles.append(m.register_forward_hook(post))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def _host_counts(torch: Any, cuda: bool, model: Any, fn: Callable[[], object]) -> dict[str, dict[str, float]]:
    from torch.overrides import TorchFunctionMode

    stack = _Stack()

    class Count(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            stack.add("torch_calls")
            return func(*args, **(kwargs or {}))

    def on_warning(message: Any, *_rest: Any, **_kw: Any) -> None:
        if "synchronizing" in str(message):
            stack.add("syncs")

    with warnings.catch_warnings(), _hooks(torch, model, stack):
        warnings.simplefilter("always")
        warnings.showwarning = on_warning
        if cuda:
            torch.cuda.set_sync_debug_mode("warn")
        try:
            with Count():
                fn()
        finally:
            if cuda:
                torch.cuda.set_sync_debug_mode("default")
    if cuda:
        torch.cuda.synchronize()
    return stack.counts


def _kernel_counts(torch: Any, model: Any, fn: Callable[[], object]) -> dict[str, dict[str, float]]:
    from torch.profiler import ProfilerActivity, profile

    stack = _Stack()
    torch.cuda.synchronize()
    with _hooks(torch, model, stack), profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as prof:
        stack.profiling = True
        fn()
        torch.cuda.synchronize()
        stack.profiling = False
    out = _Stack()
    for evt in prof.events():
        if not getattr(evt, "kernels", None):
            continue
        key, parent = OUTSIDE, evt.cpu_parent
        while parent is not None:
            if parent.name.startswith("mod:"):
                key = parent.name[4:]
                break
            parent = parent.cpu_parent
        out.add("kernels", float(len(evt.kernels)), key=key)
        out.add("kernel_us", float(sum(k.duration for k in evt.kernels)), key=key)
    return out.counts


def kernel_detail(torch: Any, model: Any, fn: Callable[[], object]) -> dict[str, dict[str, list[float]]]:
    """Per module key, each kind of kernel one call of ``fn`` launches inside it: ``"<operator> < <its caller>
    <input shapes> | <kernel name>"`` (the kernel name cut to 120 characters) -> ``[kernels, summed microseconds]``
    (a GPU only; ``fn`` runs once under ``torch.profiler`` with shapes recorded)."""
    from torch.profiler import ProfilerActivity, profile

    stack = _Stack()
    torch.cuda.synchronize()
    with (
        _hooks(torch, model, stack),
        profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU], record_shapes=True) as prof,
    ):
        stack.profiling = True
        fn()
        torch.cuda.synchronize()
        stack.profiling = False
    out: dict[str, dict[str, list[float]]] = {}
    for evt in prof.events():
        if not getattr(evt, "kernels", None):
            continue
        key, parent, caller = OUTSIDE, evt.cpu_parent, ""
        while parent is not None:
            if parent.name.startswith("mod:"):
                key = parent.name[4:]
                break
            caller = caller or parent.name
            parent = parent.cpu_parent
        shapes = [list(s) for s in (evt.input_shapes or []) if s]
        for k in evt.kernels:
            label = f"{evt.name} < {caller or '-'} {shapes} | {k.name[:120]}"
            row = out.setdefault(key, {}).setdefault(label, [0.0, 0.0])
            row[0] += 1
            row[1] += float(k.duration)
    return {k: {lab: [v[0], round(v[1], 3)] for lab, v in sorted(rows.items())} for k, rows in sorted(out.items())}


def count_modules(torch: Any, cuda: bool, model: Any, fn: Callable[[], object]) -> dict[str, dict[str, float]]:
    """Per module key (:func:`module_key`), the counts of one call of ``fn`` (:data:`FIELDS`); kernels only
    on a GPU. ``fn`` runs twice (host counts, then under the profiler) and must leave its inputs as it
    found them."""
    counts = _host_counts(torch, cuda, model, fn)
    if cuda:
        for key, row in _kernel_counts(torch, model, fn).items():
            target = counts.setdefault(key, dict.fromkeys(FIELDS, 0.0))
            target["kernels"] = row["kernels"]
            target["kernel_us"] = row["kernel_us"]
    return {k: {f: round(v, 3) for f, v in row.items()} for k, row in sorted(counts.items())}
