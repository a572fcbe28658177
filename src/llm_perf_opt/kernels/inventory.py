"""Kernel inventory: the GPU kernels a runtime launches to run an analytic layer tree.

For every node of ``layer.walk()`` the runtime profile's entry for the node's class (see
:mod:`llm_perf_opt.data.runtime_profile`) says which kernels one call launches and which
part of the node's forward work each one does. The node's work is its own metrics plus, when
the entry ``fuse``-s children, the own metrics of every node in those subtrees (which are
then not visited on their own). Each nonzero component of that work (Tensor-Core FLOPs,
CUDA-core FLOPs, each kind of bytes) is split among the kernels that take it in proportion
to their weights, with integer apportionment (largest remainder), so **the kernels' FLOPs and
bytes add up exactly to the layer's**: every piece of work of the roofline appears in exactly
one kernel. A nonzero component no kernel takes is an error, as is a node with forward work
whose class the profile does not cover.

A record's ``io_bytes`` is what its launches really move: the share of the layer's traffic,
plus the entry's ``extra_bytes``, or the entry's ``io_bytes`` instead; zero when the kernel
does not run (``launches`` 0: its share of the work is done by another operation, e.g. a
KV-cache "write" that keeps a tensor by reference).

Example
-------
>>> from modelmeter.layers import Linear
>>> from llm_perf_opt.kernels.profiles import load_runtime
>>> inv = kernel_inventory(Linear(tokens=4, in_features=5, out_features=6, bias=False), load_runtime("hf-eager"))
>>> [(r.kernel, r.calls, r.tensor_core_flops, r.io_bytes) for r in inv.records]
[('gemm', 1, 240, 148)]
>>> inv.kernel_launches, inv.host_syncs, inv.torch_calls  # the entry gives no torch_calls: one per launch
(1, 0, 1)
"""

from __future__ import annotations

from typing import Any

from attrs import define, field

from llm_perf_opt.data.execution_kinds import GRAPH_EXECUTION
from llm_perf_opt.data.host_ops import HOST_OP_CLASSES
from llm_perf_opt.data.runtime_profile import (
    BYTE_COMPONENTS,
    COMPONENT_FIELDS,
    COMPONENTS,
    INFERENCE_MODE,
    LayerKernels,
    LayerKey,
    RuntimeProfile,
    TakeKey,
)
from llm_perf_opt.kernels.expressions import evaluate
from modelmeter.layers.attention_core import AttentionCore
from modelmeter.layers.base import BaseLayer
from modelmeter.metrics import ZERO, LayerMetrics

OWN = "own"


@define(frozen=True, kw_only=True)
class KernelRecord:
    """One kernel of one node, over all the node's calls.

    ``calls`` is the number of launches in total (node calls x launches per call; 0 when
    the kernel does not run). The work fields are totals over those launches: the kernel's
    share of the layer's executed Tensor-Core FLOPs, CUDA-core FLOPs and forward bytes
    (``work``: component -> value, see :data:`~llm_perf_opt.data.runtime_profile.COMPONENTS`),
    and ``io_bytes``, the bytes the launches really move.

    Example
    -------
    >>> r = KernelRecord(path="a", layer_class="Linear", kernel="gemm", calls=2,
    ...                  work={"tensor_core": 10, "weight_read": 4}, io_bytes=6)
    >>> r.tensor_core_flops, r.work_bytes, r.extra_bytes
    (10, 4, 2)
    """

    path: str
    layer_class: str
    kernel: str
    calls: int
    work: dict[str, int] = field(factory=dict)
    io_bytes: int
    in_graph: bool = False
    attention_core: bool = False
    cuda_cores_only: bool = False
    """The kernel's Tensor-Core share runs on the CUDA cores (timed at their rate)."""
    extra_tensor_core_flops: int = 0
    """Tensor-Core FLOPs the launches execute beyond their share (the entry's ``extra_flops``)."""
    kind: str = "elementwise"
    """The curve the kernel is timed on (:data:`~llm_perf_opt.data.runtime_profile.KERNEL_KINDS`)."""
    syncs_before: int = 0
    """Host syncs made before these launches and after the previous record's (the syncs of the layers walked in
    between), so that the time model can drain the launch queue where they happen."""

    @property
    def tensor_core_flops(self) -> int:
        """Share of the layer's executed Tensor-Core FLOPs."""
        return self.work.get("tensor_core", 0)

    @property
    def executed_tensor_core_flops(self) -> int:
        """The share plus ``extra_tensor_core_flops``: what the launches run on the Tensor Cores."""
        return self.tensor_core_flops + self.extra_tensor_core_flops

    @property
    def cuda_core_flops(self) -> int:
        """Share of the layer's CUDA-core FLOPs."""
        return self.work.get("cuda_core", 0)

    @property
    def work_bytes(self) -> int:
        """Share of the layer's forward bytes."""
        return sum(self.work.get(c, 0) for c in BYTE_COMPONENTS)

    @property
    def extra_bytes(self) -> int:
        """``io_bytes - work_bytes``: traffic the runtime adds (negative: saves)."""
        return self.io_bytes - self.work_bytes


@define(frozen=True, kw_only=True)
class KernelInventory:
    """The kernels of a layer tree under a runtime, and its launch and sync totals.

    ``kernel_launches`` counts every kernel execution (eager or inside a CUDA graph);
    ``host_launches`` what the host enqueues: eager kernels plus graph launches; ``torch_calls``
    the Python-level torch calls of the eagerly run code (each run entry's ``torch_calls``, or one
    per launch when the entry does not say; a layer with no work and no ``always`` does not run; nothing
    for code captured in a CUDA graph).

    Example
    -------
    >>> KernelInventory(records=(), host_syncs=0, graph_launches=0, attention_core_paths=frozenset()).kernel_launches
    0
    """

    records: tuple[KernelRecord, ...]
    host_syncs: int
    graph_launches: int
    attention_core_paths: frozenset[str]
    """Paths of the attention cores whose work this inventory's kernels run (not fused into a parent)."""
    host_launch: str = "enqueue"
    """How the stage's eager launches are made (``enqueue`` or ``module``: the profile's ``execution``), i.e.
    which host cost each pays."""
    torch_calls: int = 0
    """Python-level torch calls of the eagerly run code (see the class docstring)."""
    grad_mode: str = INFERENCE_MODE
    """The autograd mode the code runs in (the profile's ``grad_mode``): under ``no_grad`` eager module code costs
    the host more (``host.module.no_grad_factor``)."""
    host_op_calls: dict[str, int] = field(factory=dict)
    """Calls of the eagerly run code to operators with their own host cost
    (:data:`~llm_perf_opt.data.host_ops.HOST_OP_CLASSES` -> calls; the entries' ``host_ops``; classes with no call
    left out)."""

    @property
    def kernel_launches(self) -> int:
        """Kernel executions in total."""
        return sum(r.calls for r in self.records)

    @property
    def eager_launches(self) -> int:
        """Kernels the host launches one by one (not replayed from a CUDA graph)."""
        return sum(r.calls for r in self.records if not r.in_graph)

    @property
    def host_launches(self) -> int:
        """Launches the host issues: eager kernels plus CUDA-graph launches."""
        return self.eager_launches + self.graph_launches

    def totals(self) -> dict[str, int]:
        """Component -> sum over the records (equals the layer's forward metrics)."""
        out = dict.fromkeys(COMPONENTS, 0)
        for r in self.records:
            for c, v in r.work.items():
                out[c] += v
        return out

    def launches_by_class(self) -> dict[str, int]:
        """Layer class -> kernel executions."""
        out: dict[str, int] = {}
        for r in self.records:
            out[r.layer_class] = out.get(r.layer_class, 0) + r.calls
        return out


class _Index:
    """Layer key lookup of a profile: most specific matching key per node."""

    def __init__(self, profile: RuntimeProfile) -> None:
        self.profile = profile
        self.by_class: dict[str, list[tuple[LayerKey, LayerKernels]]] = {}
        for key, entry in profile.layers.items():
            parsed = LayerKey.parse(key)
            self.by_class.setdefault(parsed.class_name, []).append((parsed, entry))
        for cands in self.by_class.values():
            cands.sort(key=lambda c: -len(c[0].qualifiers))

    def entry(self, node: BaseLayer, path: str) -> LayerKernels | None:
        best: tuple[LayerKey, LayerKernels] | None = None
        for key, entry in self.by_class.get(type(node).__name__, ()):
            if best is not None and len(key.qualifiers) < len(best[0].qualifiers):
                break
            if all(str(getattr(node, f, _MISSING)) == v for f, v in key.qualifiers):
                if best is not None:
                    raise ValueError(
                        f"runtime profile {self.profile.name!r}: keys {_show(best[0])!r} and {_show(key)!r} "
                        f"both match {type(node).__name__} at {path or '<root>'}"
                    )
                best = (key, entry)
        return None if best is None else best[1]


_MISSING = object()


def _show(key: LayerKey) -> str:
    if not key.qualifiers:
        return key.class_name
    return f"{key.class_name}[{','.join(f'{f}={v}' for f, v in key.qualifiers)}]"


def _apportion(value: int, weights: list[int]) -> list[int]:
    """Split ``value`` in proportion to ``weights`` (sum > 0) into integers summing to ``value``."""
    total = sum(weights)
    parts = [value * w // total for w in weights]
    left = value - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(value * weights[i] % total), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def forward_work(metrics: LayerMetrics) -> dict[str, int]:
    """Component -> value of a metrics record (the forward work the kernels split)."""
    return {c: getattr(metrics, f) for c, f in COMPONENT_FIELDS.items()}


class _ScopeBase:
    """What a profile expression reads: the layer's attributes, and ``autocast`` (1 when the profile runs the
    model under bf16 autocast, else 0)."""

    __slots__ = ("_layer", "autocast")

    def __init__(self, layer: BaseLayer, autocast: int) -> None:
        self._layer = layer
        self.autocast = autocast

    def __getattr__(self, name: str) -> Any:
        return getattr(self._layer, name)


_SCOPES: dict[type, type[_ScopeBase]] = {}


def _scope(layer: BaseLayer, autocast: bool) -> _ScopeBase:
    """``layer`` seen by a profile expression (a scope class named like the layer's, so that a missing name is
    reported against the layer's class)."""
    cls = _SCOPES.get(type(layer))
    if cls is None:
        cls = _SCOPES[type(layer)] = type(type(layer).__name__, (_ScopeBase,), {"__slots__": ()})
    return cls(layer, int(autocast))


@define(frozen=True)
class _Kernel:
    """One kernel of one node, per call of the node (a :class:`KernelRecord` once scaled by the node's calls)."""

    kernel: str
    launches: int
    work: dict[str, int]
    io_bytes: int
    cuda_cores_only: bool
    extra_tensor_core_flops: int
    kind: str

    def record(self, *, path: str, cls: str, calls: int, in_graph: bool, core: bool, syncs: int) -> KernelRecord:
        """The record of ``calls`` calls at ``path`` (every total is the per-call value times ``calls``)."""
        return KernelRecord(
            path=path,
            layer_class=cls,
            kernel=self.kernel,
            calls=self.launches * calls,
            work={c: v * calls for c, v in self.work.items()},
            io_bytes=self.io_bytes * calls,
            in_graph=in_graph,
            attention_core=core,
            cuda_cores_only=self.cuda_cores_only,
            extra_tensor_core_flops=self.extra_tensor_core_flops * calls,
            kind=self.kind,
            syncs_before=syncs,
        )


@define(frozen=True)
class _Booked:
    """What one call of a node books by itself (its children apart from the ``fused`` ones are walked on their own):
    its kernels, host syncs (after its kernels), Python-level torch calls, CUDA-graph launches, and whether it is an
    attention core whose work its kernels run."""

    fused: frozenset[str]
    kernels: tuple[_Kernel, ...]
    syncs: int
    torch_calls: int
    graphs: int
    core: bool
    host_ops: tuple[tuple[str, int], ...] = ()


MAX_CACHED_NODES = 1 << 16
"""An :class:`InventoryCache` is emptied when it holds this many distinct nodes (memory bound)."""


class InventoryCache:
    """What one runtime profile books for each distinct node of the layer trees it has walked, by value.

    A node's own kernels, syncs and torch calls per call depend only on its value (its class and fields), the
    profile and whether it runs inside a CUDA graph; the walk scales them by the node's calls and prefixes its path.
    Equal nodes (the 11 MoE decoder layers, SAM's window blocks, the same MLP in the prefill and the decode step,
    the same stage at the next point of a sweep) are then evaluated once. The caller owns the cache (layers are
    frozen and never written to); :func:`kernel_inventory` makes a fresh one when given none. An instance already
    looked up is found again by identity (the table keeps it alive), without hashing its fields.

    Example
    -------
    >>> from modelmeter.layers import Linear
    >>> from llm_perf_opt.kernels.profiles import load_runtime
    >>> cache = InventoryCache(load_runtime("hf-eager"))
    >>> layer = Linear(tokens=4, in_features=5, out_features=6, bias=False)
    >>> [kernel_inventory(layer, cache.profile, path=p, cache=cache).records[0].path for p in ("a", "b")], len(cache)
    (['a', 'b'], 1)
    """

    __slots__ = ("_by_id", "_by_value", "index", "max_nodes", "profile")

    def __init__(self, profile: RuntimeProfile, max_nodes: int = MAX_CACHED_NODES) -> None:
        if max_nodes < 1:
            raise ValueError(f"max_nodes: must be >= 1, got {max_nodes}")
        self.profile = profile
        self.index = _Index(profile)
        self.max_nodes = max_nodes
        self._by_value: dict[tuple[BaseLayer, bool], _Booked] = {}
        self._by_id: dict[tuple[int, bool], tuple[BaseLayer, _Booked]] = {}

    def __len__(self) -> int:
        """Distinct (node, in a CUDA graph) values held."""
        return len(self._by_value)

    def clear(self) -> None:
        """Forget everything."""
        self._by_value.clear()
        self._by_id.clear()

    def booked(self, node: BaseLayer, path: str, calls: int, in_graph: bool) -> _Booked:
        """What one call of ``node`` books (``path`` and ``calls``: where it is met first, for error messages)."""
        seen = self._by_id.get((id(node), in_graph))
        if seen is not None and seen[0] is node:
            return seen[1]
        booked = self._by_value.get((node, in_graph))
        if booked is None:
            booked = _book(self.profile, self.index, node, path, calls, in_graph)
            if len(self._by_value) >= self.max_nodes:
                self.clear()
            self._by_value[(node, in_graph)] = booked
        if len(self._by_id) >= self.max_nodes:
            self._by_id.clear()
        self._by_id[(id(node), in_graph)] = (node, booked)
        return booked


def _eval(profile: RuntimeProfile, what: str, text: Any, node: BaseLayer, path: str, entry_key: str) -> int:
    try:
        return evaluate(text.code, _scope(node, profile.autocast))
    except ValueError as exc:
        raise ValueError(
            f"runtime profile {profile.name!r}, {entry_key} at {path or '<root>'}: {what} {text.text!r}: {exc}"
        ) from None


def _book(profile: RuntimeProfile, index: _Index, node: BaseLayer, path: str, calls: int, in_graph: bool) -> _Booked:
    """What one call of ``node`` books under ``profile`` (errors name ``path``; ``calls`` only scales the bytes an
    error quotes, as the walk would book them there)."""
    entry = index.entry(node, path)
    fused = frozenset(entry.fuse) if entry is not None else frozenset()
    units: dict[str, LayerMetrics] = {OWN: node.own_metrics()}
    for child in node.cached_children():
        if child.name in fused:
            for rel, sub, c in child.layer.walk(child.name, child.count):
                m = sub.own_metrics()
                if m != ZERO:
                    units[rel] = units[rel] + m.scaled(c) if rel in units else m.scaled(c)
    work = {u: forward_work(m) for u, m in units.items()}
    has_work = any(v for w in work.values() for v in w.values())
    cls = type(node).__name__
    kernels: tuple[_Kernel, ...] = ()
    syncs = torch_calls = graphs = 0
    core = False
    host_ops: tuple[tuple[str, int], ...] = ()
    if entry is None:
        if has_work:
            raise ValueError(
                f"runtime profile {profile.name!r} has no kernels for {cls} (at {path or '<root>'}); "
                f"add an entry to conf/runtimes/{profile.name}.yaml"
            )
    else:
        runs = has_work or entry.always
        if runs:
            kernels, syncs = _emit(profile, node, path, calls, in_graph, entry, work)
            core = isinstance(node, AttentionCore)
            if not in_graph:
                torch_calls = sum(k.launches for k in kernels)
                if entry.torch_calls is not None:
                    torch_calls = _eval(profile, "torch_calls", entry.torch_calls, node, path, cls)
                    if torch_calls < 0:
                        raise ValueError(
                            f"runtime profile {profile.name!r}, {cls} at {path or '<root>'}: "
                            f"torch_calls {entry.torch_calls.text!r} = {torch_calls} < 0"
                        )
                host_ops = _host_ops(profile, node, path, entry)
        if entry.graphed:
            graphs = 1
    return _Booked(
        fused=fused, kernels=kernels, syncs=syncs, torch_calls=torch_calls, graphs=graphs, core=core, host_ops=host_ops
    )


def _host_ops(profile: RuntimeProfile, node: BaseLayer, path: str, entry: LayerKernels) -> tuple[tuple[str, int], ...]:
    """The entry's calls per call of operators with their own host cost (classes with none left out)."""
    out = []
    for op_class, expr in entry.host_ops.items():
        n = _eval(profile, f"host_ops {op_class!r}", expr, node, path, type(node).__name__)
        if n < 0:
            raise ValueError(
                f"runtime profile {profile.name!r}, {type(node).__name__} at {path or '<root>'}: "
                f"host_ops {op_class!r} {expr.text!r} = {n} < 0"
            )
        if n:
            out.append((op_class, n))
    return tuple(out)


def _emit(
    profile: RuntimeProfile,
    node: BaseLayer,
    path: str,
    calls: int,
    in_graph: bool,
    entry: LayerKernels,
    work: dict[str, dict[str, int]],
) -> tuple[tuple[_Kernel, ...], int]:
    """The entry's kernels and host syncs for one call of ``node``."""
    cls = type(node).__name__
    where = f"runtime profile {profile.name!r}, {cls} at {path or '<root>'}"
    specs = entry.kernels
    launches = [_eval(profile, f"kernel {k.name!r} launches", k.launches, node, path, cls) for k in specs]
    for k, n in zip(specs, launches, strict=True):
        if n < 0:
            raise ValueError(f"{where}: kernel {k.name!r} launches {k.launches.text!r} = {n} < 0")
    keys: list[list[tuple[TakeKey, int]]] = []
    for k in specs:
        spec_keys = []
        for key, wexpr in k.takes.items():
            w = _eval(profile, f"kernel {k.name!r} weight of {key!r}", wexpr, node, path, cls)
            if w < 0:
                raise ValueError(f"{where}: kernel {k.name!r} weight of {key!r} = {w} < 0")
            spec_keys.append((TakeKey.parse(key), w))
        keys.append(spec_keys)
    shares = [dict.fromkeys(COMPONENTS, 0) for _ in specs]
    for unit, comps in work.items():
        for comp, value in comps.items():
            if not value:
                continue
            takers: list[int] = []
            weights: list[int] = []
            for i, spec_keys in enumerate(keys):
                w = sum(wv for key, wv in spec_keys if key.matches(unit, comp))
                if w:
                    takers.append(i)
                    weights.append(w)
            if not takers:
                raise ValueError(f"{where}: no kernel takes {unit}:{comp} ({value}); every piece of work needs one")
            for i, part in zip(takers, _apportion(value, weights), strict=True):
                shares[i][comp] += part
    kernels: list[_Kernel] = []
    for spec, n, share in zip(specs, launches, shares, strict=True):
        one = {c: v for c, v in share.items() if v}
        if n == 0 and not one:
            continue
        share_bytes = sum(one.get(c, 0) for c in BYTE_COMPONENTS)
        if n == 0:
            io = 0
        elif spec.io_bytes is not None:
            io = _eval(profile, f"kernel {spec.name!r} io_bytes", spec.io_bytes, node, path, cls) * n
        elif spec.extra_bytes is not None:
            extra = _eval(profile, f"kernel {spec.name!r} extra_bytes", spec.extra_bytes, node, path, cls)
            io = share_bytes + extra * n
        else:
            io = share_bytes
        if io < 0:
            raise ValueError(f"{where}: kernel {spec.name!r} would move {io * calls} bytes (< 0)")
        extra_flops = 0
        if spec.extra_flops is not None and n:
            extra_flops = _eval(profile, f"kernel {spec.name!r} extra_flops", spec.extra_flops, node, path, cls)
            if extra_flops < 0:
                raise ValueError(f"{where}: kernel {spec.name!r} extra_flops = {extra_flops} < 0")
            extra_flops *= n
        kernels.append(
            _Kernel(
                kernel=spec.name,
                launches=n,
                work=one,
                io_bytes=io,
                cuda_cores_only=spec.cuda_cores_only,
                extra_tensor_core_flops=extra_flops,
                kind=spec.kind or ("gemm" if one.get("tensor_core", 0) else "elementwise"),
            )
        )
    syncs = _eval(profile, "host_syncs", entry.host_syncs, node, path, cls)
    if syncs < 0:
        raise ValueError(f"{where}: host_syncs {entry.host_syncs.text!r} = {syncs} < 0")
    if syncs and in_graph:
        raise ValueError(f"{where}: {syncs} host syncs inside a CUDA graph (a graph cannot synchronize)")
    return tuple(kernels), syncs


class _Builder:
    """One walk of a layer tree: each node's booking (from the cache) scaled by its calls, in walk order."""

    def __init__(self, cache: InventoryCache) -> None:
        self.cache = cache
        self.records: list[KernelRecord] = []
        self.syncs = 0
        self.pending_syncs = 0
        self.graphs = 0
        self.calls = 0
        self.host_ops: dict[str, int] = {}
        self.cores: set[str] = set()

    def visit(self, node: BaseLayer, path: str, calls: int, in_graph: bool) -> None:
        booked = self.cache.booked(node, path, calls, in_graph)
        cls = type(node).__name__
        for k in booked.kernels:
            self.records.append(
                k.record(path=path, cls=cls, calls=calls, in_graph=in_graph, core=booked.core, syncs=self.pending_syncs)
            )
            self.pending_syncs = 0
        if booked.core:
            self.cores.add(path)
        self.syncs += booked.syncs * calls
        self.pending_syncs += booked.syncs * calls  # after the layer's own kernels, before its children's
        self.calls += booked.torch_calls * calls
        for op_class, n in booked.host_ops:
            self.host_ops[op_class] = self.host_ops.get(op_class, 0) + n * calls
        self.graphs += booked.graphs * calls
        child_graph = in_graph or booked.graphs > 0
        for child in node.cached_children():
            if child.name not in booked.fused:
                child_path = f"{path}.{child.name}" if path else child.name
                self.visit(child.layer, child_path, calls * child.count, child_graph)


def kernel_inventory(
    layer: BaseLayer, profile: RuntimeProfile, *, path: str = "", cache: InventoryCache | None = None
) -> KernelInventory:
    """The kernels ``profile`` launches to run one call of ``layer`` (paths prefixed by ``path``).

    ``path`` is also the stage the call runs: when the profile's ``execution`` runs it as a ``graph`` the whole
    call is one CUDA-graph replay (every kernel in the graph, one graph launch); its eager launches are made as
    the profile's ``execution`` says for that stage. ``cache``: the caller's :class:`InventoryCache` of
    ``profile`` (a fresh one when ``None``; the inventory is the same either way)."""
    if cache is None:
        cache = InventoryCache(profile)
    elif cache.profile is not profile:
        raise ValueError(f"cache: holds runtime profile {cache.profile.name!r}, not {profile.name!r}")
    builder = _Builder(cache)
    graphed = profile.execution.of(path) == GRAPH_EXECUTION
    if graphed:
        builder.graphs += 1
    builder.visit(layer, path, 1, graphed)
    return KernelInventory(
        records=tuple(builder.records),
        host_syncs=builder.syncs,
        graph_launches=builder.graphs,
        attention_core_paths=frozenset(builder.cores),
        host_launch=profile.execution.eager(path),
        torch_calls=builder.calls,
        grad_mode=profile.grad_mode,
        host_op_calls={c: builder.host_ops[c] for c in HOST_OP_CLASSES if c in builder.host_ops},
    )
