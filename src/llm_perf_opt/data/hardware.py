"""Records of the GPU hardware database (``conf/hardware/*.yaml``): plain attrs data, no logic.

Units are in the field names: ``*_tflops`` is 10^12 FLOP/s, ``*_tbps`` 10^12 bytes/s (vendors
state bandwidth in decimal units), ``memory_gb`` is the device memory as vendors state it, which
for GPU memory means binary gigabytes (2^30 bytes: an "80 GB" H100 has 80 GiB of HBM3).

Example
-------
>>> fig = DatasheetFigure(value=3.35, source="NVIDIA H100 Tensor Core GPU datasheet", dense=True)
>>> fig.value
3.35
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any, cast

import attrs
from attrs import define, evolve, field

from llm_perf_opt.data._validators import (
    finite_positive,
    optional_finite,
    optional_finite_positive,
    optional_fraction,
    positive_int,
)
from llm_perf_opt.data.execution_kinds import EXECUTION_KINDS
from llm_perf_opt.data.host_ops import HOST_OP_CLASSES, extra_field
from llm_perf_opt.data.kernel_kinds import CURVE_NAMES


def _non_empty(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{attribute.name}: must be a non-empty string, got {value!r}")


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _slug(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _SLUG.match(value):
        raise ValueError(f"{attribute.name}: must be lower-case letters, digits and '-', got {value!r}")


@define(frozen=True, kw_only=True)
class DatasheetFigure:
    """One vendor figure with where it comes from.

    Parameters
    ----------
    value
        The figure, in the unit its field name states.
    source
        The vendor document it is read from (datasheet or architecture whitepaper name).
    dense
        ``True`` for a rate without 2:4 structured sparsity (the only kind the time model
        accepts; capacity and bandwidth figures carry ``True`` too, sparsity not applying).
    note
        How the figure was derived from the document, when not read off verbatim.

    Example
    -------
    >>> DatasheetFigure(value=312.0, source="NVIDIA A100 Tensor Core GPU datasheet", dense=True).dense
    True
    """

    value: float = field(validator=finite_positive)
    source: str = field(validator=_non_empty)
    dense: bool
    note: str = ""


@define(frozen=True, kw_only=True)
class DatasheetLabel:
    """One vendor fact that is a name, not a number (a memory type), with where it comes from.

    Example
    -------
    >>> DatasheetLabel(value="HBM3", source="NVIDIA H100 Tensor Core GPU datasheet").value
    'HBM3'
    """

    value: str = field(validator=_non_empty)
    source: str = field(validator=_non_empty)
    note: str = ""


def _increasing_work(instance: object, attribute: attrs.Attribute[tuple[CurvePoint, ...]], value: object) -> None:
    if not isinstance(value, tuple) or len(value) < 2:
        raise ValueError(f"{attribute.name}: needs at least 2 points")
    works = [p.work for p in value]
    if any(b <= a for a, b in itertools.pairwise(works)):
        raise ValueError(f"{attribute.name}: work must increase strictly from point to point, got {works}")


@define(frozen=True, kw_only=True)
class CurvePoint:
    """One measured size of a kernel-time curve: the work of one kernel (bytes or FLOPs, as the
    curve states) and its measured GPU time in microseconds.

    Example
    -------
    >>> CurvePoint(work=2048, us=1.02).us
    1.02
    """

    work: int = field(validator=positive_int)
    us: float = field(validator=finite_positive)


@define(frozen=True, kw_only=True)
class KernelCurve:
    """Measured GPU time of one kind of kernel against its size, smallest size first.

    Example
    -------
    >>> c = KernelCurve(points=(CurvePoint(work=1, us=1.0), CurvePoint(work=10, us=2.0)))
    >>> len(c.points)
    2
    """

    points: tuple[CurvePoint, ...] = field(validator=_increasing_work)


@define(frozen=True, kw_only=True)
class KernelCurves:
    """Kernel time against kernel size, measured by ``scripts/gpu/calibrate_curves.py`` on one GPU
    (the profiler's kernel durations, the clock the validation measures the model with).

    Byte curves (work = bytes read + written by the kernel): ``copy`` (contiguous device-to-device
    memcpy), ``elementwise`` (contiguous vectorised add), ``cast`` (bf16 to fp32 copy), ``cat``
    (concatenating one token to a cache along the sequence),
    ``strided`` (layout copy of permuted data), ``broadcast`` (elementwise op on broadcast
    operands), ``reduce`` (row reduction), ``gemv`` (a one-row bf16 matrix product, work = its
    bytes: the weight-streaming time of a matrix product). FLOP curves (work = Tensor-Core FLOPs):
    ``matmul`` (square bf16 products), ``attention`` (scaled-dot-product attention, no mask),
    ``attention_mask`` (with an additive mask shared by the heads, head size 128) and
    ``attention_bias`` (with a full per-head additive bias, head size 64). Grouped products:
    ``grouped_matmul`` (work = FLOPs of groups of square products) and ``grouped_gemv`` (work =
    bytes of one row per active group: the weight-streaming time of a grouped product);
    ``broadcast_permuted`` (bytes of a broadcast add of permuted operands into a rank-5 result). Optional, added
    after the first entries were measured (``None``: not measured; :func:`llm_perf_opt.hardware.curves.curve_of`
    says what times them then): ``layer_norm`` (PyTorch's fused layer-norm kernel), ``gelu`` (erf GELU),
    ``upsample_linear`` (linear 1-D interpolation of a ``[1, 64, L]`` table), ``gather`` (indexing a table's rows
    with a 2-D int64 index) and ``bicubic_aa`` (fp32 bicubic resize with antialiasing), all by bytes read +
    written; ``conv_cuda`` (a ViT patch-embedding convolution, 3 input channels, that cuDNN runs on the CUDA cores)
    by its FLOPs; ``cast_cold`` (a bf16 -> fp32 cast whose input is not in the L2, as a model's parameters are,
    read once per forward: the ``cast`` curve's small sizes run from the L2) by bytes read + written.

    Example
    -------
    >>> pts = (CurvePoint(work=1, us=1.0), CurvePoint(work=1000, us=2.0))
    >>> c = KernelCurve(points=pts)
    >>> KernelCurves(copy=c, elementwise=c, cast=c, cat=c, strided=c, broadcast=c, reduce=c, gemv=c, matmul=c,
    ...              attention=c, attention_mask=c, attention_bias=c, grouped_matmul=c, grouped_gemv=c,
    ...              broadcast_permuted=c, how_measured="example").matmul.points[-1].us
    2.0
    """

    copy: KernelCurve
    elementwise: KernelCurve
    cast: KernelCurve
    cat: KernelCurve
    strided: KernelCurve
    broadcast: KernelCurve
    reduce: KernelCurve
    gemv: KernelCurve
    matmul: KernelCurve
    attention: KernelCurve
    attention_mask: KernelCurve
    attention_bias: KernelCurve
    grouped_matmul: KernelCurve
    grouped_gemv: KernelCurve
    broadcast_permuted: KernelCurve
    layer_norm: KernelCurve | None = None
    gelu: KernelCurve | None = None
    upsample_linear: KernelCurve | None = None
    gather: KernelCurve | None = None
    bicubic_aa: KernelCurve | None = None
    conv_cuda: KernelCurve | None = None
    cast_cold: KernelCurve | None = None
    how_measured: str = field(validator=_non_empty)
    measured_on: str = ""


if tuple(a.name for a in attrs.fields(KernelCurves))[: len(CURVE_NAMES)] != CURVE_NAMES:  # pragma: no cover
    raise ImportError("KernelCurves' fields must be llm_perf_opt.data.kernel_kinds.CURVES, in order")


@define(frozen=True, kw_only=True)
class EnqueueCost:
    """Host cost of a kernel launched eagerly through PyTorch's bare enqueue (execution kind ``enqueue``).

    Example
    -------
    >>> EnqueueCost(launch_us=10.42).launch_us
    10.42
    """

    launch_us: float | None = field(default=None, validator=optional_finite_positive)
    """Host time to enqueue one kernel (``None``: not measured)."""


@define(frozen=True, kw_only=True)
class ModuleCost:
    """Host cost of eager Python module code (execution kind ``module``): per launched kernel and per
    Python-level torch call, both measured under ``torch.inference_mode()``, and the factor by which the same code
    costs more under ``torch.no_grad()`` (``no_grad_factor``: every operator then still passes autograd's dispatch;
    transformers' ``generate()`` runs the model so).

    Example
    -------
    >>> ModuleCost(launch_us=12.72, call_us=12.64, no_grad_factor=1.07).no_grad_factor
    1.07
    >>> ModuleCost(call_us=4.0)
    Traceback (most recent call last):
    ...
    ValueError: host.module: call_us needs launch_us (the two split one measured host cost; without the split, \
launch_us alone is the cost per kernel)
    """

    launch_us: float | None = field(default=None, validator=optional_finite_positive)
    """Host time per launched kernel (``None``: not measured)."""
    call_us: float | None = field(default=None, validator=optional_finite_positive)
    """Host time per Python-level torch call (``None``: not split, ``launch_us`` is all of the cost per kernel)."""
    no_grad_factor: float | None = field(default=None, validator=optional_finite_positive)
    """Host time of the same module code under ``torch.no_grad()`` over its time under ``torch.inference_mode()``
    (dimensionless; ``None``: not measured)."""
    linear_bias_extra_us: float | None = field(default=None, validator=optional_finite)
    """Host time of one ``F.linear`` with a bias beyond a plain one's (``None``: not measured; the
    :data:`~llm_perf_opt.data.host_ops.HOST_OP_CLASSES` say what each class is). This and the four below are
    measured under ``torch.no_grad()`` and bf16 autocast, the context of transformers' ``generate()`` under
    DeepSeek-OCR's ``infer()`` (``llm_perf_opt.calibrate.host``), and may be negative (an operator cheaper than
    its launches at ``launch_us`` each)."""
    sdpa_extra_us: float | None = field(default=None, validator=optional_finite)
    """Host time of one ``F.scaled_dot_product_attention`` call beyond a plain ``F.linear``'s and its extra
    kernels' launches."""
    layer_norm_autocast_extra_us: float | None = field(default=None, validator=optional_finite)
    """Host time of one ``F.layer_norm`` under autocast beyond a plain ``F.linear``'s and its extra kernels'
    launches."""
    sort_extra_us: float | None = field(default=None, validator=optional_finite)
    """Host time of one ``torch.argsort`` beyond a plain ``F.linear``'s and its extra kernels' launches."""
    index_extra_us: float | None = field(default=None, validator=optional_finite)
    """Host time of one advanced indexing with an index tensor beyond a plain ``F.linear``'s and its extra
    kernels' launches."""

    def op_extra_us(self, op_class: str) -> float | None:
        """The extra host microseconds of one call of ``op_class``
        (:data:`~llm_perf_opt.data.host_ops.HOST_OP_CLASSES`).

        Example
        -------
        >>> ModuleCost(launch_us=10.0, sdpa_extra_us=22.5).op_extra_us("sdpa")
        22.5
        """
        value: float | None = getattr(self, extra_field(op_class))
        return value

    def __attrs_post_init__(self) -> None:
        if self.call_us is not None and self.launch_us is None:
            raise ValueError(
                "host.module: call_us needs launch_us (the two split one measured host cost; "
                "without the split, launch_us alone is the cost per kernel)"
            )


@define(frozen=True, kw_only=True)
class GraphCost:
    """Host-side cost of a CUDA-graph replay (execution kind ``graph``): the launch per replay beyond its
    kernels and the gap between consecutive kernels of a replay.

    Example
    -------
    >>> GraphCost(launch_us=28.17, kernel_gap_us=0.2403).kernel_gap_us
    0.2403
    """

    launch_us: float | None = field(default=None, validator=optional_finite_positive)
    """Time per replay beyond its kernels (``None``: the bare enqueue's ``launch_us``)."""
    kernel_gap_us: float | None = field(default=None, validator=optional_finite_positive)
    """Time between consecutive kernels of a replay (``None``: none)."""


@define(frozen=True, kw_only=True)
class HostCosts:
    """The host's costs, microseconds: one record per execution kind
    (:data:`~llm_perf_opt.data.execution_kinds.EXECUTION_KINDS`: ``enqueue``, ``module``, ``graph``; a runtime
    profile says which kind each stage runs as), and the two costs every kind shares: a device-to-host scalar
    round trip (``sync_us``) and the host time before the first kernel of an eager call made after other work
    (``eager_start_us``; it bounds the first launch of an ``enqueue`` and of a ``module`` call alike). Every
    figure is optional (``None``: not measured; the time model takes the other calibrated hosts' median, or its
    documented default where none measured it).

    Example
    -------
    >>> h = HostCosts(sync_us=10.7, module=ModuleCost(launch_us=12.72))
    >>> h.of("module").launch_us, h.of("graph").launch_us
    (12.72, None)
    """

    sync_us: float | None = field(default=None, validator=optional_finite_positive)
    """One device-to-host scalar round trip on an idle queue (``.item()`` of a ready tensor)."""
    eager_start_us: float | None = field(default=None, validator=optional_finite_positive)
    """Host time before the first kernel of an eager call made after other work."""
    enqueue: EnqueueCost = field(factory=EnqueueCost)
    module: ModuleCost = field(factory=ModuleCost)
    graph: GraphCost = field(factory=GraphCost)

    def of(self, kind: str) -> EnqueueCost | ModuleCost | GraphCost:
        """The record of execution kind ``kind``."""
        if kind not in EXECUTION_KINDS:
            raise ValueError(f"unknown execution kind {kind!r}; allowed: {', '.join(EXECUTION_KINDS)}")
        record: EnqueueCost | ModuleCost | GraphCost = getattr(self, kind)
        return record


if tuple(a.name for a in attrs.fields(ModuleCost))[-len(HOST_OP_CLASSES) :] != tuple(
    extra_field(c) for c in HOST_OP_CLASSES
):  # pragma: no cover
    raise ImportError("ModuleCost's last fields must be the extra costs of llm_perf_opt.data.host_ops.HOST_OP_CLASSES")
if tuple(a.name for a in attrs.fields(HostCosts))[-len(EXECUTION_KINDS) :] != EXECUTION_KINDS:  # pragma: no cover
    raise ImportError("HostCosts' last fields must be llm_perf_opt.data.execution_kinds.EXECUTION_KINDS, in order")


@define(frozen=True, kw_only=True)
class Calibration:
    """Achievable fractions of the datasheet rates: measured on the GPU, or documented defaults.

    A **measured** calibration (``measured=True``) gives the achieved large bf16 matmul rate
    ``matmul_tflops`` and device-to-device copy rate ``copy_tbps`` (bytes read plus written),
    as ``scripts/gpu/calibrate.py`` reports them; the efficiencies are those over the
    datasheet peaks. An **unmeasured** one (``measured=False``) states the efficiencies
    directly (``matmul_efficiency``, ``copy_efficiency``) and ``how_measured`` says where
    the defaults come from. Exactly one of the two forms is allowed.

    ``cuda_core_efficiency`` (fraction of the FP32 CUDA-core peak; ``None``: the default of
    :mod:`llm_perf_opt.hardware.rates`) is not measured by the script. ``min_kernel_us``, an optional
    measurement, is the GPU's floor: the GPU time of one tiny kernel replayed back to back in a CUDA graph.
    ``host`` holds the host's costs, one record per execution kind (:class:`HostCosts`): the bare enqueue
    (``host.enqueue.launch_us``), eager Python module code (``host.module.launch_us`` per launched kernel and
    ``host.module.call_us`` per Python-level torch call, ``scripts/gpu/measure_stages.py``'s host cases), a
    CUDA-graph replay (``host.graph.launch_us`` and ``host.graph.kernel_gap_us``,
    ``scripts/gpu/calibrate_graphs.py``), and the shared ``host.sync_us`` and ``host.eager_start_us``.

    Example
    -------
    >>> Calibration(measured=False, how_measured="defaults", matmul_efficiency=0.8, copy_efficiency=0.9).measured
    False
    >>> Calibration(measured=True, how_measured="calibrate.py", matmul_efficiency=0.8, copy_efficiency=0.9)
    Traceback (most recent call last):
    ...
    ValueError: calibration: measured=True needs matmul_tflops and copy_tbps, and no matmul_efficiency/copy_efficiency
    """

    measured: bool
    how_measured: str = field(validator=_non_empty)
    matmul_tflops: float | None = field(default=None, validator=optional_finite_positive)
    copy_tbps: float | None = field(default=None, validator=optional_finite_positive)
    matmul_efficiency: float | None = field(default=None, validator=optional_fraction)
    copy_efficiency: float | None = field(default=None, validator=optional_fraction)
    cuda_core_efficiency: float | None = field(default=None, validator=optional_fraction)
    min_kernel_us: float | None = field(default=None, validator=optional_finite_positive)
    host: HostCosts = field(factory=HostCosts)
    kernel_curves: KernelCurves | None = None
    measured_on: str = ""

    def __attrs_post_init__(self) -> None:
        rates = self.matmul_tflops is not None and self.copy_tbps is not None
        no_rates = self.matmul_tflops is None and self.copy_tbps is None
        effs = self.matmul_efficiency is not None and self.copy_efficiency is not None
        no_effs = self.matmul_efficiency is None and self.copy_efficiency is None
        if self.measured and not (rates and no_effs):
            raise ValueError(
                "calibration: measured=True needs matmul_tflops and copy_tbps, and no matmul_efficiency/copy_efficiency"
            )
        if not self.measured and not (effs and no_rates):
            raise ValueError(
                "calibration: measured=False needs matmul_efficiency and copy_efficiency, "
                "and no matmul_tflops/copy_tbps"
            )


@define(frozen=True, kw_only=True)
class HardwareSpec:
    """One GPU of the database: datasheet peaks, with sources, and an optional calibration.

    Parameters
    ----------
    name
        Database key, equal to the YAML file's stem (``h100-sxm``).
    display_name
        The product as the vendor names it.
    architecture, compute_capability
        GPU generation and CUDA compute capability (``"9.0"``).
    tensor_core_bf16_tflops
        Dense BF16/FP16 Tensor-Core rate with FP32 accumulation (what a bf16 model's matmuls use).
    cuda_core_fp32_tflops
        FP32 rate of the CUDA cores (non-Tensor), which the time model charges CUDA-core FLOPs at.
    memory_bandwidth_tbps
        Peak device-memory bandwidth.
    memory_gb
        Device memory capacity (binary GB, see the module docstring).
    calibration
        Measured or default achievable fractions; ``None``: the defaults of
        :mod:`llm_perf_opt.hardware.rates`.
    sm_count, boost_clock_mhz, l2_cache_mb, memory_type, architecture_source
        The datasheet parameters the portable kernel-time model scales with
        (:mod:`llm_perf_opt.hardware.portable`): streaming multiprocessors, the boost clock (MHz), the L2
        cache (MB as vendors state it), the memory technology, and where ``architecture`` is read from.
        Optional for a user's entry; every packaged entry states them.

    Example
    -------
    >>> src = "NVIDIA L4 Tensor Core GPU datasheet"
    >>> spec = HardwareSpec(
    ...     name="l4", display_name="NVIDIA L4", architecture="ada-lovelace", compute_capability="8.9",
    ...     tensor_core_bf16_tflops=DatasheetFigure(value=121.0, source=src, dense=True),
    ...     cuda_core_fp32_tflops=DatasheetFigure(value=30.3, source=src, dense=True),
    ...     memory_bandwidth_tbps=DatasheetFigure(value=0.3, source=src, dense=True),
    ...     memory_gb=DatasheetFigure(value=24.0, source=src, dense=True))
    >>> spec.memory_bandwidth_tbps.value
    0.3
    """

    name: str = field(validator=_slug)
    display_name: str = field(validator=_non_empty)
    architecture: str = field(validator=_non_empty)
    compute_capability: str = field(validator=_non_empty)
    tensor_core_bf16_tflops: DatasheetFigure
    cuda_core_fp32_tflops: DatasheetFigure
    memory_bandwidth_tbps: DatasheetFigure
    memory_gb: DatasheetFigure
    calibration: Calibration | None = None
    notes: str = ""
    sm_count: DatasheetFigure | None = None
    boost_clock_mhz: DatasheetFigure | None = None
    l2_cache_mb: DatasheetFigure | None = None
    memory_type: DatasheetLabel | None = None
    architecture_source: str = ""

    def __attrs_post_init__(self) -> None:
        for name in FIGURE_FIELDS:
            if not getattr(self, name).dense:
                raise ValueError(f"{self.name}.{name}: only dense (non-sparse) figures are accepted")


CALIBRATION_CONSTANTS: tuple[str, ...] = (
    "min_kernel_us",
    "host.sync_us",
    "host.eager_start_us",
    "host.enqueue.launch_us",
    "host.module.launch_us",
    "host.module.call_us",
    "host.module.no_grad_factor",
    *(f"host.module.{extra_field(c)}" for c in HOST_OP_CLASSES),
    "host.graph.launch_us",
    "host.graph.kernel_gap_us",
)
"""The measured launch and host constants of a :class:`Calibration` (microseconds, but for the dimensionless
``host.module.no_grad_factor``; the operator classes' extra host time may be negative), as dotted paths within
it, in the order an entry lists them (the calibration command writes them, a portable entry takes them from the
measured hosts; :func:`calibration_constant` reads one, :func:`with_constants` replaces some)."""

MOVED_CONSTANTS: dict[str, str] = {
    "launch_overhead_us": "host.enqueue.launch_us",
    "sync_us": "host.sync_us",
    "eager_start_us": "host.eager_start_us",
    "module_launch_us": "host.module.launch_us",
    "module_call_us": "host.module.call_us",
    "graph_launch_us": "host.graph.launch_us",
    "graph_kernel_gap_us": "host.graph.kernel_gap_us",
}
"""A calibration's former flat host keys -> their place now (a path within ``calibration``, one of
:data:`CALIBRATION_CONSTANTS`): the loader refuses the former keys, naming the new place."""


def calibration_constant(cal: Calibration, path: str) -> float | None:
    """The constant at ``path`` (one of :data:`CALIBRATION_CONSTANTS`) of ``cal``.

    Example
    -------
    >>> cal = Calibration(measured=False, how_measured="x", matmul_efficiency=0.8, copy_efficiency=0.9,
    ...                   host=HostCosts(graph=GraphCost(launch_us=28.17)))
    >>> calibration_constant(cal, "host.graph.launch_us"), calibration_constant(cal, "min_kernel_us")
    (28.17, None)
    """
    if path not in CALIBRATION_CONSTANTS:
        raise ValueError(f"unknown calibration constant {path!r}; known: {', '.join(CALIBRATION_CONSTANTS)}")
    node: object = cal
    for part in path.split("."):
        node = getattr(node, part)
    return cast("float | None", node)


def with_constants(cal: Calibration, values: Mapping[str, float | None]) -> Calibration:
    """``cal`` with the constants at the given paths (:data:`CALIBRATION_CONSTANTS`) replaced.

    Example
    -------
    >>> cal = Calibration(measured=False, how_measured="x", matmul_efficiency=0.8, copy_efficiency=0.9)
    >>> new = with_constants(cal, {"host.module.launch_us": 12.72, "host.module.call_us": 12.64})
    >>> new.host.module.launch_us, new.host.module.call_us, new.host.module.no_grad_factor
    (12.72, 12.64, None)
    """
    unknown = sorted(set(values) - set(CALIBRATION_CONSTANTS))
    if unknown:
        raise ValueError(f"unknown calibration constants {unknown}; known: {', '.join(CALIBRATION_CONSTANTS)}")
    top: dict[str, Any] = {k: v for k, v in values.items() if "." not in k}
    host_fields: dict[str, Any] = {
        k.removeprefix("host."): v for k, v in values.items() if k.startswith("host.") and k.count(".") == 1
    }
    for kind in EXECUTION_KINDS:
        own: dict[str, Any] = {k.rsplit(".", 1)[1]: v for k, v in values.items() if k.startswith(f"host.{kind}.")}
        if own:
            host_fields[kind] = evolve(cal.host.of(kind), **own)
    host = evolve(cal.host, **host_fields) if host_fields else cal.host
    return evolve(cal, host=host, **top)


def nested_constants(values: Mapping[str, float | None]) -> dict[str, Any]:
    """The constants at the given paths (:data:`CALIBRATION_CONSTANTS`) as a calibration block's plain data, in
    the order an entry lists them; ``None`` values and empty records are left out.

    Example
    -------
    >>> nested_constants({"host.module.call_us": 4.2, "min_kernel_us": 0.89, "host.graph.launch_us": None})
    {'min_kernel_us': 0.89, 'host': {'module': {'call_us': 4.2}}}
    """
    unknown = sorted(set(values) - set(CALIBRATION_CONSTANTS))
    if unknown:
        raise ValueError(f"unknown calibration constants {unknown}; known: {', '.join(CALIBRATION_CONSTANTS)}")
    out: dict[str, Any] = {}
    for path in CALIBRATION_CONSTANTS:
        value = values.get(path)
        if value is None:
            continue
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


FIGURE_FIELDS: tuple[str, ...] = (
    "tensor_core_bf16_tflops",
    "cuda_core_fp32_tflops",
    "memory_bandwidth_tbps",
    "memory_gb",
)
"""The :class:`HardwareSpec` fields that hold a :class:`DatasheetFigure`."""

PARAMETER_FIELDS: tuple[str, ...] = ("sm_count", "boost_clock_mhz", "l2_cache_mb", "memory_type")
"""The optional datasheet parameters of a :class:`HardwareSpec` (every packaged entry states them)."""


@define(frozen=True, kw_only=True)
class AchievableRates:
    """The rates the time model divides by: datasheet peak times efficiency, in SI units.

    Example
    -------
    >>> r = AchievableRates(tensor_core_flops_per_s=8e14, cuda_core_flops_per_s=6.7e13,
    ...                     memory_bytes_per_s=3.0e12, measured=False)
    >>> r.memory_bytes_per_s
    3000000000000.0
    """

    tensor_core_flops_per_s: float = field(validator=finite_positive)
    cuda_core_flops_per_s: float = field(validator=finite_positive)
    memory_bytes_per_s: float = field(validator=finite_positive)
    measured: bool
