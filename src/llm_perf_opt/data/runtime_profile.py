"""Records of a runtime profile (``conf/runtimes/*.yaml``): which GPU kernels a runtime
launches for one call of each analytic layer class, and how the layer's work splits among them.

A profile maps **layer keys** to :class:`LayerKernels`. A key is a layer class name
(``"Linear"``), optionally qualified by field values that select among instances of one class
(``"AttentionCore[implementation=eager]"``: the most specific matching key wins). An entry
lists :class:`KernelSpec` records; each kernel **takes** parts of the layer's forward work,
named ``source:component``:

``source``
    ``own`` (the layer's own work) or, for a layer that ``fuse``-s some children into its own
    kernels, the relative path of a fused descendant (``gate_proj``, ``experts.*.down_proj``);
    a path also matches everything below it. A bare component name means ``own:<component>``;
    a bare source takes all its components.
``component``
    one of :data:`COMPONENTS`: ``tensor_core`` (executed Tensor-Core FLOPs), ``cuda_core``
    (CUDA-core FLOPs), ``weight_read``, ``activation_read``, ``activation_write``,
    ``kv_cache_read``, ``kv_cache_write`` (forward bytes).

The value is a weight (an integer expression, see :mod:`llm_perf_opt.kernels.expressions`):
each piece of work goes to the kernels that take it in proportion to their weights, so every
FLOP and byte of the layer lands in exactly one kernel. What the kernels really move may differ
from the layer's minimal traffic: ``extra_bytes`` adds to a kernel's share (fp32 intermediates
of an unfused norm; negative for a fusion that saves a round trip), ``io_bytes`` replaces it.

Example
-------
>>> k = KernelSpec(name="gemm", takes={"own": Expr("1")})
>>> k.launches.text, [(t.source, t.component) for t in k.take_keys]
('1', [('own', None)])
>>> KernelSpec(name="x", takes={"own:flops": Expr("1")})
Traceback (most recent call last):
...
ValueError: kernel 'x': takes key 'own:flops': unknown component 'flops'; known: tensor_core, cuda_core, \
weight_read, activation_read, activation_write, kv_cache_read, kv_cache_write
"""

from __future__ import annotations

import re
from types import CodeType
from typing import Any

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import finite_non_negative, non_negative_int, one_of, optional_positive_int
from llm_perf_opt.data.execution_kinds import EAGER_EXECUTION, EXECUTION_KINDS, GRAPH_EXECUTION
from llm_perf_opt.data.host_ops import HOST_OP_CLASSES
from llm_perf_opt.data.kernel_kinds import KERNEL_KINDS
from llm_perf_opt.data.stage_names import ALL_STAGE_NAMES
from llm_perf_opt.kernels.expressions import parse_expression
from modelmeter.models.families import FAMILIES, V1

COMPONENTS: tuple[str, ...] = (
    "tensor_core",
    "cuda_core",
    "weight_read",
    "activation_read",
    "activation_write",
    "kv_cache_read",
    "kv_cache_write",
)
"""Parts of a layer's forward work, in :class:`~modelmeter.metrics.LayerMetrics` order."""

COMPONENT_FIELDS: dict[str, str] = {
    "tensor_core": "forward_executed_tensor_core_flops",
    "cuda_core": "forward_cuda_core_flops",
    "weight_read": "forward_weight_read_bytes",
    "activation_read": "forward_activation_read_bytes",
    "activation_write": "forward_activation_write_bytes",
    "kv_cache_read": "forward_kv_cache_read_bytes",
    "kv_cache_write": "forward_kv_cache_write_bytes",
}
"""Component -> the :class:`~modelmeter.metrics.LayerMetrics` field it reads."""

BYTE_COMPONENTS: tuple[str, ...] = COMPONENTS[2:]
"""The components that are bytes moved."""

ATTENTION_CHOICES: tuple[str, ...] = ("flash", "eager")

_CLASS = r"[A-Za-z_][A-Za-z0-9_]*"
_KEY = re.compile(rf"^(?P<cls>{_CLASS})(?:\[(?P<quals>[^\[\]]+)\])?$")
_QUAL = re.compile(r"^\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>[^=,\s][^=,]*?)\s*$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")

NO_GRAD = "no_grad"
"""``torch.no_grad()``: transformers' ``generate()``."""
INFERENCE_MODE = "inference_mode"
"""``torch.inference_mode()``: a serving engine's model runner, and the project's stage measurements."""
GRAD_MODES: tuple[str, ...] = (NO_GRAD, INFERENCE_MODE)
"""The autograd modes a runtime profile can run the model in (its ``grad_mode``)."""


@define(frozen=True)
class Expr:
    """An integer expression of a profile, checked and compiled when built.

    Example
    -------
    >>> Expr("2 * (q_len > 1)").text
    '2 * (q_len > 1)'
    """

    text: str = field()

    @text.validator
    def _valid(self, attribute: Any, value: str) -> None:
        parse_expression(value)

    @property
    def code(self) -> CodeType:
        """The compiled expression (cached by text)."""
        return parse_expression(self.text)


@define(frozen=True)
class TakeKey:
    """A parsed ``takes`` key: ``source`` and ``component`` (``None``: every component).

    Example
    -------
    >>> TakeKey.parse("experts.*.gate_proj:tensor_core")
    TakeKey(source='experts.*.gate_proj', component='tensor_core')
    >>> TakeKey.parse("weight_read")
    TakeKey(source='own', component='weight_read')
    """

    source: str
    component: str | None

    @classmethod
    def parse(cls, key: str) -> TakeKey:
        """``source:component``, ``source`` or a bare component (of ``own``); ``ValueError`` when invalid."""
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"takes key {key!r}: must be a non-empty string")
        source, sep, component = key.strip().partition(":")
        if not sep:
            return cls("own", source) if source in COMPONENTS else cls(source, None)
        if component not in COMPONENTS:
            raise ValueError(f"takes key {key!r}: unknown component {component!r}; known: {', '.join(COMPONENTS)}")
        if not source:
            raise ValueError(f"takes key {key!r}: empty source")
        return cls(source, component)

    def matches(self, unit: str, component: str) -> bool:
        """Whether this key takes ``component`` of the work unit ``unit`` (``own`` or a relative path)."""
        if self.component is not None and self.component != component:
            return False
        return unit == self.source or (self.source != "own" and unit.startswith(self.source + "."))


@define(frozen=True, kw_only=True)
class KernelSpec:
    """One kernel a runtime launches for each call of a layer.

    Parameters
    ----------
    name
        Kernel name as a profiler would show its role (``"gemm"``, ``"to_fp32"``).
    takes
        ``source:component`` -> weight expression (see the module docstring); ``{}`` for a
        kernel that does no modelled work (a layout copy, a mask build).
    launches
        Launches per layer call (an expression; ``0``: the kernel does not run for this
        instance, and the work it takes costs no time, e.g. a KV-cache append that keeps the
        projection's output by reference).
    io_bytes
        Bytes one launch really moves, replacing its share of the layer's traffic.
    extra_bytes
        Bytes one launch moves beyond its share (may be negative for a fusion that saves a round trip).
    extra_flops
        Tensor-Core FLOPs one launch executes beyond its share of the layer's executed work (an
        expression): a kernel handed an explicit mask computes every score tile, including
        those a causal-aware kernel skips.
    kind
        How the kernel accesses memory and computes, which picks the measured time-vs-size curve it is
        timed on (:data:`KERNEL_KINDS`; :mod:`llm_perf_opt.hardware.curves`): ``gemm`` (matrix
        products), ``attention`` (fused attention without a mask), ``attention_mask`` (reading an
        explicit mask shared by the heads), ``attention_bias`` (reading a full per-head bias),
        ``elementwise`` (contiguous, vectorised), ``cast`` (an up-cast copy to fp32), ``copy`` (a
        device-to-device memcpy), ``cat`` (appending a token to a KV cache by concatenation),
        ``strided`` (a layout copy of permuted, sliced or concatenated data, gathers), ``broadcast``
        (an elementwise op with broadcast operands), ``broadcast_permuted`` (the same on permuted
        operands, such as einsum outputs, whose result follows their layout), ``reduce`` (norms,
        softmax, sums, sorts), ``grouped_gemm`` (one kernel of per-group matrix products, each group
        with its own weight: grouped MoE experts).
        ``None``: ``gemm`` when the kernel takes Tensor-Core FLOPs, else ``elementwise``.
    cuda_cores_only
        The kernel runs its matrix FLOPs on the CUDA cores (an fp32 SGEMM, cuDNN's non-Tensor-Core
        convolution of a 3-channel input): its Tensor-Core share is timed at the CUDA-core rate.
    note
        Where the kernel comes from, when the entry's ``source`` does not say.

    Example
    -------
    >>> KernelSpec(name="cat", takes={}, launches=Expr("2 * (past_len > 0)"), io_bytes=Expr("kv_len")).name
    'cat'
    """

    name: str
    takes: dict[str, Expr]
    launches: Expr = field(factory=lambda: Expr("1"))
    io_bytes: Expr | None = None
    extra_bytes: Expr | None = None
    extra_flops: Expr | None = None
    kind: str | None = field(default=None, validator=one_of(KERNEL_KINDS, optional=True))
    cuda_cores_only: bool = False
    note: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"kernel name: must be a non-empty string, got {self.name!r}")
        for key in self.takes:
            try:
                TakeKey.parse(key)
            except ValueError as exc:
                raise ValueError(f"kernel {self.name!r}: {exc}") from None
        if self.io_bytes is not None and self.extra_bytes is not None:
            raise ValueError(f"kernel {self.name!r}: give io_bytes or extra_bytes, not both")

    @property
    def take_keys(self) -> list[TakeKey]:
        """The parsed ``takes`` keys, in order."""
        return [TakeKey.parse(k) for k in self.takes]


@define(frozen=True, kw_only=True)
class LayerKernels:
    """What a runtime launches for one call of a layer class.

    Parameters
    ----------
    source
        Where the kernel list comes from: the code path it was read from (vendor file and
        function, transformers or vLLM module), and whether it is an estimate.
    kernels
        The kernels, in launch order.
    fuse
        Child names whose whole subtrees this layer's kernels run (their work becomes
        ``takes`` sources; their own profile entries are not consulted).
    host_syncs
        Host-device synchronizations per call (an expression).
    torch_calls
        Python-level torch calls the layer's own code makes per call (functions and tensor
        methods, views and shape queries included, each one host dispatch; calls inside a torch
        call not counted; children with their own entry excluded), an expression; ``None``: one
        per kernel launch of the entry. Eager module code pays a host cost per call on top of the
        cost per launched kernel (:mod:`llm_perf_opt.kernels.timing`).
    always
        Emit the kernels and syncs even when the layer (and its fused children) has no
        forward work, e.g. a container whose forward builds a mask.
    host_ops
        Calls per call of the layer's own code of operators whose host cost differs from the generic torch
        call's (:data:`~llm_perf_opt.data.host_ops.HOST_OP_CLASSES` -> an expression); each also counts among
        ``torch_calls``. Eager module code pays the hardware entry's extra host time of the class for each
        (``calibration.host.module.<class>_extra_us``).
    execution
        ``graph``: each call replays the kernels of the layer's descendants as one CUDA graph
        (one graph launch per call, no per-kernel host cost); the layer's own kernels, if any,
        are launched eagerly around the replay. Descendants may not synchronize. ``None``: as
        the stage runs (:class:`Execution`).

    Example
    -------
    >>> e = LayerKernels(source="torch eager", kernels=(KernelSpec(name="gemm", takes={"own": Expr("1")}),))
    >>> e.host_syncs.text, e.execution
    ('0', None)
    """

    source: str
    kernels: tuple[KernelSpec, ...] = ()
    fuse: tuple[str, ...] = ()
    host_syncs: Expr = field(factory=lambda: Expr("0"))
    torch_calls: Expr | None = None
    always: bool = False
    execution: str | None = field(default=None, validator=one_of((GRAPH_EXECUTION,), optional=True))
    host_ops: dict[str, Expr] = field(factory=dict)

    @property
    def graphed(self) -> bool:
        """Whether each call is one CUDA-graph replay."""
        return self.execution == GRAPH_EXECUTION

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.source, str) or not self.source.strip():
            raise ValueError("source: must say where the kernel list comes from")
        unknown = sorted(set(self.host_ops) - set(HOST_OP_CLASSES))
        if unknown:
            raise ValueError(f"host_ops: unknown operator classes {unknown}; allowed: {', '.join(HOST_OP_CLASSES)}")
        names = [k.name for k in self.kernels]
        if len(set(names)) != len(names):
            raise ValueError(f"kernels: duplicate names in {names}")
        for kernel in self.kernels:
            for key in kernel.take_keys:
                if key.source == "own":
                    continue
                if not any(key.source == f or key.source.startswith(f + ".") for f in self.fuse):
                    raise ValueError(
                        f"kernel {kernel.name!r}: source {key.source!r} is neither 'own' nor under a fused child "
                        f"(fuse: {list(self.fuse)})"
                    )


@define(frozen=True)
class LayerKey:
    """A parsed layer key: class name and field qualifiers.

    Example
    -------
    >>> LayerKey.parse("AttentionCore[implementation=eager]")
    LayerKey(class_name='AttentionCore', qualifiers=(('implementation', 'eager'),))
    """

    class_name: str
    qualifiers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, key: str) -> LayerKey:
        """``Class`` or ``Class[field=value, ...]``; ``ValueError`` when malformed."""
        m = _KEY.match(key.strip()) if isinstance(key, str) else None
        if m is None:
            raise ValueError(f"layer key {key!r}: expected ClassName or ClassName[field=value,...]")
        quals: list[tuple[str, str]] = []
        if m.group("quals") is not None:
            for part in m.group("quals").split(","):
                q = _QUAL.match(part)
                if q is None:
                    raise ValueError(f"layer key {key!r}: qualifier {part.strip()!r} is not field=value")
                quals.append((q.group("field"), q.group("value")))
        return cls(m.group("cls"), tuple(sorted(quals)))


@define(frozen=True, kw_only=True)
class Execution:
    """How a runtime executes each stage (:data:`EXECUTION_KINDS`): ``enqueue`` (eager launches through PyTorch's
    bare enqueue, as a serving engine's C++ path), ``module`` (eager Python module code, as Hugging Face
    transformers: a host cost per launched kernel plus one per Python-level torch call) or ``graph`` (the stage's
    every call captured once and replayed as one CUDA graph: no per-kernel host cost, one graph launch per call).
    The hardware entry holds one host-cost record per kind (``calibration.host.enqueue``, ``.module``, ``.graph``:
    :class:`~llm_perf_opt.data.hardware.HostCosts`).

    Example
    -------
    >>> e = Execution(default="module", stages={"decode": "graph"})
    >>> e.of("decode"), e.of("sam"), e.eager("decode")
    ('graph', 'module', 'module')
    >>> Execution(stages={"vision": "graph"})
    Traceback (most recent call last):
    ...
    ValueError: execution.stages: unknown stage 'vision'; allowed: sam, clip, qwen2, projector, prefill, lm_head, decode
    """

    default: str = field(default="enqueue", validator=one_of(EAGER_EXECUTION))
    """How the stages not named in ``stages`` run (eagerly: a whole call as a graph is a per-stage choice)."""
    stages: dict[str, str] = field(factory=dict)
    """Stage -> how it runs, where it differs from ``default``."""

    def __attrs_post_init__(self) -> None:
        for stage, kind in self.stages.items():
            if stage not in ALL_STAGE_NAMES:
                raise ValueError(f"execution.stages: unknown stage {stage!r}; allowed: {', '.join(ALL_STAGE_NAMES)}")
            if kind not in EXECUTION_KINDS:
                raise ValueError(f"execution.stages: {stage}: unknown {kind!r}; allowed: {', '.join(EXECUTION_KINDS)}")

    def of(self, stage: str) -> str:
        """How ``stage`` runs."""
        return self.stages.get(stage, self.default)

    def eager(self, stage: str) -> str:
        """How ``stage``'s eager launches (those outside any graph) are made: its kind, or ``default`` when the
        stage is a graph replay."""
        kind = self.of(stage)
        return self.default if kind == GRAPH_EXECUTION else kind


@define(frozen=True, kw_only=True)
class GenerateLoop:
    """The host work a runtime's token loop adds around each decoder forward (Hugging Face ``generate()``: input
    preparation, the logits processors, greedy selection, the streamer's copy to the host, the stopping checks and
    the cache bookkeeping), per generated token, for a page of ``positions`` sequence positions so far.

    The loop's own torch calls and kernels run as eager Python code (each torch call costs the hardware entry's
    ``host.module.call_us``, each kernel ``host.module.launch_us``), its syncs ``host.sync_us`` each, and the
    no-repeat-n-gram processor walks every earlier position of every row in Python (``history_calls_per_position``
    torch-call equivalents of host time per position, so that it scales with the host like the rest of the Python
    code). Its table of n-grams appends each n-gram's last id to the list of its first ``ngram_size - 1`` ids by
    copying that list, so a run of ``repeated`` equal ids (a page prompt's ``<image>`` ids) makes
    ``c = repeated - ngram_size + 1`` n-grams of one key and copies ``c (c + 1) / 2`` list elements on every token
    (``history_calls_per_repeat`` torch-call equivalents each). A text streamer (transformers' ``TextStreamer``,
    which ``infer()`` passes outside its ``eval_mode``) decodes every token it holds again on each new token and
    empties itself at a newline (``streamer_calls_per_cached_token`` per held token; ``streamer_flush_tokens``
    tokens between newlines, ``None`` for a text without any)::

        loop_s = (torch_calls + torch_calls_per_row * batch) * module_call_s + kernels * module_launch_s
                 + (host_syncs + host_syncs_per_row * batch) * sync_s
                 + history_calls_per_position * module_call_s * batch * positions
                 + history_calls_per_repeat * module_call_s * batch * repeat_copies(repeated)
                 + streamer_calls_per_cached_token * module_call_s * cached     (batch 1 only)

    Example
    -------
    >>> loop = GenerateLoop(source="s", torch_calls=60, torch_calls_per_row=1, kernels=20, host_syncs=2,
    ...                     host_syncs_per_row=2, history_calls_per_position=0.1, streamer_calls_per_cached_token=0.5)
    >>> loop.torch_call_equivalents(batch=1, positions=100, cached=10), loop.syncs(batch=2)
    (76.0, 6)
    >>> loop.torch_call_equivalents(batch=2, positions=100, cached=10)  # no streamer in a batched generate()
    82.0
    >>> from attrs import evolve
    >>> rep = evolve(loop, ngram_size=20, history_calls_per_repeat=0.001)
    >>> rep.repeat_copies(119), rep.torch_call_equivalents(batch=1, positions=100, cached=10, repeated=119)
    (5050, 81.05)
    >>> loop.mean_cached(2, 5), evolve(loop, streamer_flush_tokens=2).mean_cached(2, 5)  # 2..5 held; 2, 1, 2, 1
    (3.5, 1.5)
    """

    source: str
    """Where the counts come from (code read, run counted)."""
    torch_calls: int = field(validator=non_negative_int)
    """Python-level torch calls per token outside the model's modules, whatever the batch."""
    torch_calls_per_row: int = field(default=0, validator=non_negative_int)
    """Further torch calls per token and batch row (the n-gram processor bans each row's tokens separately)."""
    kernels: int = field(validator=non_negative_int)
    """Kernels the loop launches per token."""
    host_syncs: int = field(validator=non_negative_int)
    """Device-to-host synchronizations per token, whatever the batch."""
    host_syncs_per_row: int = field(default=0, validator=non_negative_int)
    """Further synchronizations per token and batch row (the n-gram processor copies each row's ids to the host)."""
    history_calls_per_position: float = field(default=0.0, validator=finite_non_negative)
    """Host time of the no-repeat-n-gram processor per earlier position and row, in units of one torch call's host
    cost (0 when the loop runs no such processor)."""

    ngram_size: int | None = field(default=None, validator=optional_positive_int)
    """The no-repeat-n-gram processor's n (``None``: the loop runs none)."""
    history_calls_per_repeat: float = field(default=0.0, validator=finite_non_negative)
    """Host time of the no-repeat-n-gram processor per list element it copies for n-grams of one key (a run of
    equal ids), in units of one torch call's host cost."""

    prefill_logits_copies: int = field(default=0, validator=non_negative_int)
    """Copies of the prefill's fp32 logits of every position that the loop makes while they are alive (memory, not
    time: transformers 4.46's ``_sample`` clones ``outputs.logits`` whole before it takes the last position)."""

    streamer_calls_per_cached_token: float = field(default=0.0, validator=finite_non_negative)
    """Host time of the text streamer per token it holds, in units of one torch call's host cost (0: no streamer)."""
    streamer_flush_tokens: int | None = field(default=None, validator=optional_positive_int)
    """Generated tokens between the streamer's flushes (a newline in the text); ``None``: it never flushes."""

    def repeat_copies(self, repeated: int) -> int:
        """List elements the no-repeat-n-gram processor copies per row and token for a run of ``repeated`` equal
        ids: ``c (c + 1) / 2`` for its ``c = repeated - ngram_size + 1`` n-grams of one key (0 without a
        processor or for a shorter run)."""
        if self.ngram_size is None:
            return 0
        c = max(0, repeated - self.ngram_size + 1)
        return c * (c + 1) // 2

    def torch_call_equivalents(self, *, batch: int, positions: int, cached: float = 0.0, repeated: int = 0) -> float:
        """Torch calls per token, the history walk (over ``positions`` positions, ``repeated`` of them a run of one
        id) and the streamer's decoding of ``cached`` held tokens counted in torch-call equivalents (the streamer at
        batch 1 only: transformers' ``TextStreamer`` refuses a larger batch, so a batched ``generate()`` runs
        without one)."""
        fixed = self.torch_calls + self.torch_calls_per_row * batch
        history = batch * (
            self.history_calls_per_position * positions + self.history_calls_per_repeat * self.repeat_copies(repeated)
        )
        streamer = self.streamer_calls_per_cached_token * cached if batch == 1 else 0.0
        return fixed + history + streamer

    def mean_cached(self, first: int, last: int) -> float:
        """Mean tokens the streamer holds when it receives generated tokens ``first`` to ``last`` (1-based): token
        ``t`` finds ``t`` held, or ``(t - 1) % streamer_flush_tokens + 1`` when the text has newlines."""
        if last < first:
            return 0.0
        flush = self.streamer_flush_tokens
        if flush is None:
            return (first + last) / 2

        def held(n: int) -> int:  # tokens held, summed over tokens 1..n
            q, r = divmod(n, flush)
            return q * flush * (flush + 1) // 2 + r * (r + 1) // 2

        return (held(last) - held(first - 1)) / (last - first + 1)

    def syncs(self, *, batch: int) -> int:
        """Synchronizations per token."""
        return self.host_syncs + self.host_syncs_per_row * batch


@define(frozen=True, kw_only=True)
class RuntimeProfile:
    """A runtime: how it runs each analytic layer, as data.

    Parameters
    ----------
    name
        Profile key, equal to the YAML file's stem (``hf-eager``).
    description
        What runtime this describes, in a sentence or two.
    decoder_attention
        The attention implementation this runtime runs in the language model (``eager``:
        scores materialised; ``flash``): the analytic model is evaluated with it.
    layers
        Layer key -> :class:`LayerKernels`.
    base
        Name of a profile whose entries this one starts from (its own entries replace the
        base's under the same key); resolved by the loader.
    execution
        How each stage runs (:class:`Execution`): eager launches by bare enqueue or by Python module code, or
        one CUDA-graph replay per call.
    generate
        The host work of the runtime's token loop around each decode forward (:class:`GenerateLoop`); ``None``
        when the runtime's loop adds nothing the stages do not already count (a serving engine's scheduler).
    autocast
        Whether the runtime runs the model under ``torch.autocast`` in bf16 (the vendor's ``infer()`` does):
        norms and other fp32-policy operators cast their inputs and parameters to fp32 and write fp32, and the
        next matrix product casts back. Entries read it as the name ``autocast`` (1 or 0) in their expressions.
        Inherited from the ``base`` profile unless the file gives it.
    grad_mode
        The autograd mode the runtime runs the model in (:data:`GRAD_MODES`): ``no_grad`` for transformers'
        ``generate()`` (decorated with ``torch.no_grad()``; the vendor's ``infer()`` adds another), where every
        operator still passes autograd's dispatch, so eager module code costs the host
        ``host.module.no_grad_factor`` times its ``inference_mode`` cost; ``inference_mode`` for a serving engine
        (vLLM runs its model runner under ``torch.inference_mode()``) and for the project's stage measurements.
        Inherited from the ``base`` profile unless the file gives it.
    models
        The models whose layers the profile's entries cover (:data:`modelmeter.models.families.FAMILIES` keys);
        default ``deepseek-ocr`` only. Timing another model under the profile is refused.

    Example
    -------
    >>> p = RuntimeProfile(name="toy", description="one GEMM", decoder_attention="flash",
    ...     layers={"Linear": LayerKernels(source="x", kernels=(KernelSpec(name="gemm", takes={"own": Expr("1")}),))})
    >>> sorted(p.layers)
    ['Linear']
    """

    name: str
    description: str
    decoder_attention: str
    layers: dict[str, LayerKernels]
    base: str | None = None
    execution: Execution = field(factory=Execution)
    generate: GenerateLoop | None = None
    autocast: bool = field(default=False, validator=instance_of(bool))
    grad_mode: str = field(default=NO_GRAD, validator=one_of(GRAD_MODES))
    models: tuple[str, ...] = (V1,)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not _SLUG.match(self.name):
            raise ValueError(f"name: must be lower-case letters, digits and '-', got {self.name!r}")
        if self.decoder_attention not in ATTENTION_CHOICES:
            raise ValueError(
                f"decoder_attention: unknown {self.decoder_attention!r}; allowed: {', '.join(ATTENTION_CHOICES)}"
            )
        for key in self.layers:
            LayerKey.parse(key)
        if not self.models:
            raise ValueError("models: give at least one model")
        for model in self.models:
            if model not in FAMILIES:
                raise ValueError(f"models: unknown {model!r}; allowed: {', '.join(FAMILIES)}")

    def check_model(self, model: str) -> None:
        """``ValueError`` (one line) unless the profile describes ``model`` (a family key).

        Example
        -------
        >>> RuntimeProfile(name="toy", description="x", decoder_attention="flash", layers={}).check_model(
        ...     "deepseek-ocr-2")
        Traceback (most recent call last):
        ...
        ValueError: runtime profile 'toy' describes deepseek-ocr only, not deepseek-ocr-2 (its models: field)
        """
        if model not in self.models:
            raise ValueError(
                f"runtime profile {self.name!r} describes {', '.join(self.models)} only, not {model} "
                "(its models: field)"
            )
