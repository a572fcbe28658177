"""Operators whose host cost differs from the generic torch call's, one definition for the runtime profiles (how
many calls of each class a layer's code makes, :class:`~llm_perf_opt.data.runtime_profile.LayerKernels`), the
hardware entries (the extra host time of one call of each class, measured by the calibration command:
:class:`~llm_perf_opt.data.hardware.ModuleCost`) and the time model that multiplies the two
(:mod:`llm_perf_opt.kernels.timing`).

The generic costs (``host.module.launch_us`` per kernel, ``host.module.call_us`` per torch call) are fitted on
module code made of plain matrix products and elementwise operators. Some operators cost the host much more per
call than that, whatever their size (``reports/validation/vendor-h200/probe-op-host.json``: per call on an H200
host, a plain ``F.linear`` 14.7 us, a biased one 33.9 us, cuDNN's SDPA 44-53 us, an fp32 ``layer_norm`` under
autocast 64.6 us):

``linear_bias``
    ``F.linear`` with a bias: PyTorch runs it as cuBLASLt's matrix product with a bias epilogue, whose
    algorithm query runs on every call;
``sdpa``
    ``F.scaled_dot_product_attention``: its backend selection and, on cuDNN, the graph lookup;
``layer_norm_autocast``
    ``F.layer_norm`` under CUDA autocast: an fp32-policy operator, whose input, weight and bias autocast casts
    one by one;
``sort``
    ``torch.argsort`` / ``torch.sort`` on the GPU (several kernels and their temporary storage);
``index``
    advanced indexing with an index tensor (``x[idx]``, ``x[idx] = y``).

A class's extra cost is measured (``python -m llm_perf_opt.calibrate``, ``llm_perf_opt.calibrate.host``) in the
context eager Hugging Face inference runs in, ``torch.no_grad()`` under bf16 autocast: a chain of its calls less a
chain of plain ``F.linear`` calls, less the module launch cost of each kernel it launches beyond one.

Example
-------
>>> HOST_OP_CLASSES[:2], extra_field("sdpa")
(('linear_bias', 'sdpa'), 'sdpa_extra_us')
"""

from __future__ import annotations

HOST_OP_CLASSES: tuple[str, ...] = ("linear_bias", "sdpa", "layer_norm_autocast", "sort", "index")
"""The operator classes with their own host cost, in the order an entry lists them."""


def extra_field(op_class: str) -> str:
    """The :class:`~llm_perf_opt.data.hardware.ModuleCost` field of ``op_class``'s extra host time per call."""
    if op_class not in HOST_OP_CLASSES:
        raise ValueError(f"unknown host operator class {op_class!r}; allowed: {', '.join(HOST_OP_CLASSES)}")
    return f"{op_class}_extra_us"
