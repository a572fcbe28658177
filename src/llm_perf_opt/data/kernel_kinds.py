"""Kernel kinds and the measured curves that time them: the one table.

A runtime profile names each kernel's ``kind``; the kind names the curves a hardware entry holds (one for its
Tensor-Core FLOPs, if it has any, one for its bytes; :mod:`llm_perf_opt.hardware.curves` times a kernel as the
larger of the two); each curve names what the calibration measures for it (:mod:`llm_perf_opt.calibrate.curves`)
and which size of those measurements is its work. The runtime profile's validation, the timing, the hardware
entry's curve block and the calibration's curve list all read these two tables.

Example
-------
>>> KIND_CURVES["gemm"], CURVES["gemv"].measured, CURVES["gemv"].indexed_by
(('matmul', 'gemv'), 'gemm-m1', 'bytes')
>>> set(c for pair in KIND_CURVES.values() for c in pair if c) <= set(CURVES)
True
>>> CURVES["layer_norm"].fallback  # an entry measured before the curve existed times layer norms as reductions
'reduce'
"""

from __future__ import annotations

from attrs import define


@define(frozen=True)
class CurveSource:
    """How the calibration measures one curve of a hardware entry.

    ``measured`` is the calibration's measured curve; ``indexed_by`` says which size of its points is the
    entry's work (``work``: the FLOPs or bytes of the kernel as measured; ``bytes``: the bytes it moved, for
    the one-row products whose time is the weight streaming); ``work_unit`` is what the entry's work counts
    (``bytes``, Tensor-Core ``flops`` or ``cuda_flops``, the FLOPs of a kernel cuDNN runs on the CUDA cores), so
    which datasheet peak it is done at (the memory bandwidth, the bf16 Tensor-Core rate or the FP32 CUDA-core rate;
    :mod:`llm_perf_opt.hardware.portable`). ``optional`` marks a curve added after some GPUs were calibrated
    (:data:`OPTIONAL_CURVES`): an entry without it gets it from the portable model of the GPUs that measured it,
    or, when none did, times its kernels on the ``fallback`` curve (the proxy the kind was timed on before; none:
    the roofline at the large-kernel rates).

    Example
    -------
    >>> CurveSource("gemm-m1", "bytes").indexed_by, CurveSource("matmul", "work", "flops").work_unit
    ('bytes', 'flops')
    """

    measured: str
    indexed_by: str
    work_unit: str = "bytes"
    optional: bool = False
    fallback: str | None = None


CURVES: dict[str, CurveSource] = {
    # byte curves: work = bytes read + written by the kernel
    "copy": CurveSource("copy", "work"),
    "elementwise": CurveSource("elementwise", "work"),
    "cast": CurveSource("cast", "work"),
    "cat": CurveSource("cat", "work"),
    "strided": CurveSource("strided", "work"),
    "broadcast": CurveSource("broadcast", "work"),
    "reduce": CurveSource("reduce", "work"),
    "gemv": CurveSource("gemm-m1", "bytes"),
    # FLOP curves: work = Tensor-Core FLOPs
    "matmul": CurveSource("matmul", "work", "flops"),
    "attention": CurveSource("attention", "work", "flops"),
    "attention_mask": CurveSource("attention-mask", "work", "flops"),
    "attention_bias": CurveSource("attention-bias", "work", "flops"),
    "grouped_matmul": CurveSource("grouped-mm", "work", "flops"),
    "grouped_gemv": CurveSource("grouped-m1", "bytes"),
    "broadcast_permuted": CurveSource("broadcast-permuted", "work"),
    # added after the H100 was calibrated: optional in an entry (see ``fallback``)
    "layer_norm": CurveSource("layer-norm", "work", optional=True, fallback="reduce"),
    "gelu": CurveSource("gelu", "work", optional=True, fallback="elementwise"),
    "upsample_linear": CurveSource("upsample-linear", "work", optional=True, fallback="elementwise"),
    "gather": CurveSource("gather", "work", optional=True, fallback="strided"),
    "bicubic_aa": CurveSource("bicubic-aa", "work", optional=True, fallback="elementwise"),
    # CUDA-core FLOP curve: work = the convolution's FLOPs
    "conv_cuda": CurveSource("conv-patch", "work", "cuda_flops", optional=True),
    # a cast whose input is not in the L2 (a model's parameters, read once per forward): added after the H200's
    # lease G calibration
    "cast_cold": CurveSource("cast-cold", "work", optional=True, fallback="cast"),
}
"""A hardware entry's kernel-time curves (the fields of :class:`~llm_perf_opt.data.hardware.KernelCurves`, in
order) -> how the calibration measures each."""

KIND_CURVES: dict[str, tuple[str | None, str]] = {
    "gemm": ("matmul", "gemv"),
    "attention": ("attention", "elementwise"),
    "attention_mask": ("attention_mask", "elementwise"),
    "attention_bias": ("attention_bias", "elementwise"),
    "elementwise": (None, "elementwise"),
    "cast": (None, "cast"),
    "copy": (None, "copy"),
    "cat": (None, "cat"),
    "strided": (None, "strided"),
    "broadcast": (None, "broadcast"),
    "broadcast_permuted": (None, "broadcast_permuted"),
    "reduce": (None, "reduce"),
    "grouped_gemm": ("grouped_matmul", "grouped_gemv"),
    "layer_norm": (None, "layer_norm"),
    "gelu": (None, "gelu"),
    "upsample_linear": (None, "upsample_linear"),
    "gather": (None, "gather"),
    "bicubic_aa": (None, "bicubic_aa"),
    "conv_cuda": ("conv_cuda", "copy"),
    "param_cast": (None, "cast_cold"),
}
"""Kernel kind -> (curve of its Tensor-Core FLOPs or ``None``, curve of its bytes)."""

KERNEL_KINDS: tuple[str, ...] = tuple(KIND_CURVES)
"""The kinds a runtime profile's kernel may name."""
CURVE_NAMES: tuple[str, ...] = tuple(CURVES)
"""The curves a hardware entry holds, in order."""
OPTIONAL_CURVES: tuple[str, ...] = tuple(name for name, c in CURVES.items() if c.optional)
"""The curves an entry may lack (measured by calibrations newer than some entries)."""
