"""Achievable rates of a GPU: datasheet peak times efficiency, the one place the efficiencies are applied.

Efficiency of each unit, in order of precedence:

* a **measured** calibration: measured rate / datasheet peak (``matmul_tflops`` over the dense
  bf16 Tensor-Core peak, ``copy_tbps`` over the memory bandwidth);
* an **unmeasured** calibration: its stated ``matmul_efficiency`` / ``copy_efficiency``;
* no calibration block: :data:`DEFAULT_MATMUL_EFFICIENCY` and :data:`DEFAULT_COPY_EFFICIENCY`.

CUDA-core (FP32, non-Tensor) work runs at ``cuda_core_efficiency`` of the FP32 peak when the
calibration states one, else :data:`DEFAULT_CUDA_CORE_EFFICIENCY`.

Example
-------
>>> from llm_perf_opt.hardware.registry import load_hardware
>>> r = achievable_rates(load_hardware("a100-80gb"))  # unmeasured: 0.80 and 0.90 of peak
>>> round(r.tensor_core_flops_per_s / 1e12, 2), round(r.memory_bytes_per_s / 1e12, 4)
(249.6, 1.8351)
"""

from __future__ import annotations

from llm_perf_opt.data.hardware import AchievableRates, HardwareSpec

TERA = 1e12
"""``*_tflops`` and ``*_tbps`` figures are in units of 10^12 per second."""

DEFAULT_MATMUL_EFFICIENCY = 0.80
"""Large bf16 GEMM rate over the dense datasheet peak when nothing is stated. Large cuBLAS
products usually reach 70-80% of it; 0.80 is what an 8192^3 bf16 torch matmul reached on
this workplace's H100 SXM (798 of 989.4 TFLOP/s) and H200 (769-798)."""

DEFAULT_COPY_EFFICIENCY = 0.90
"""Large device-to-device copy rate (bytes read plus written) over the datasheet bandwidth when
nothing is stated: about 3.0 of 3.35 TB/s on this workplace's H100 SXM, 4.3 of 4.8 on its H200."""

DEFAULT_CUDA_CORE_EFFICIENCY = 0.50
"""FP32 CUDA-core rate over the datasheet FP32 peak. The peak counts a fused multiply-add as
2 FLOPs per core per clock; the CUDA-core work of a model (norms, activations, softmax) is
mostly adds, multiplies, compares and exponentials, one FLOP per instruction, so at best half
the peak. Not measured by ``scripts/gpu/calibrate.py``."""


def achievable_rates(spec: HardwareSpec) -> AchievableRates:
    """Tensor-Core FLOP/s, CUDA-core FLOP/s and memory bytes/s the time model divides by."""
    tc_peak = spec.tensor_core_bf16_tflops.value * TERA
    bw_peak = spec.memory_bandwidth_tbps.value * TERA
    fp32_peak = spec.cuda_core_fp32_tflops.value * TERA
    cal = spec.calibration
    cuda_eff = DEFAULT_CUDA_CORE_EFFICIENCY
    if cal is not None and cal.cuda_core_efficiency is not None:
        cuda_eff = cal.cuda_core_efficiency
    if cal is None:
        tc, bw, measured = tc_peak * DEFAULT_MATMUL_EFFICIENCY, bw_peak * DEFAULT_COPY_EFFICIENCY, False
    elif cal.measured:
        assert cal.matmul_tflops is not None  # Calibration's invariant
        assert cal.copy_tbps is not None
        tc, bw, measured = cal.matmul_tflops * TERA, cal.copy_tbps * TERA, True
    else:
        assert cal.matmul_efficiency is not None  # Calibration's invariant
        assert cal.copy_efficiency is not None
        tc, bw, measured = tc_peak * cal.matmul_efficiency, bw_peak * cal.copy_efficiency, False
    return AchievableRates(
        tensor_core_flops_per_s=tc,
        cuda_core_flops_per_s=fp32_peak * cuda_eff,
        memory_bytes_per_s=bw,
        measured=measured,
    )


def efficiencies(spec: HardwareSpec) -> dict[str, float]:
    """Achievable over peak for each unit (``tensor_core``, ``cuda_core``, ``memory``), for reports."""
    r = achievable_rates(spec)
    return {
        "tensor_core": r.tensor_core_flops_per_s / (spec.tensor_core_bf16_tflops.value * TERA),
        "cuda_core": r.cuda_core_flops_per_s / (spec.cuda_core_fp32_tflops.value * TERA),
        "memory": r.memory_bytes_per_s / (spec.memory_bandwidth_tbps.value * TERA),
    }
