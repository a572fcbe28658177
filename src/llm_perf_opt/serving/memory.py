"""The paged KV cache's capacity, from the memory budget of one replica.

What an engine may use is ``floor(gpu_memory_utilization * memory_gb * 2**30)`` per GPU. Out of it come, per
GPU of a replica of ``t`` (tensor-parallel) GPUs:

``weight_bytes``
    every parameter of the checkpoint (``DeepseekOCRModel.metrics().weight_memory_bytes``), divided by ``t``;
``activation_bytes``
    the largest single-kernel working set (:func:`~llm_perf_opt.timing.roofline.peak_working_set_bytes`, the
    floor :mod:`llm_perf_opt.planning.predict` uses) of the largest forwards the engine runs: the decoder body
    on ``max_num_batched_tokens`` tokens, the LM head on ``max_num_seqs`` tokens, and each page class's vision
    stages at the largest batch of its pages a step holds;
``graph_pool_bytes``
    the engine's CUDA-graph pool and workspaces (``graph_pool_gib``, an input).

The rest is the KV cache, cut into blocks of ``block_size`` tokens; one token's keys and values take
``DeepseekOCRDecodeStep(batch=1, kv_len=1).kv_cache_memory_bytes`` (every decoder layer's keys and values),
split over the ``t`` GPUs::

    kv_blocks = floor(t * (capacity - weights - activations - graph_pool) / (block_size * kv_bytes_per_token))

Example
-------
>>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
>>> from llm_perf_opt.hardware.registry import load_hardware
>>> from llm_perf_opt.serving.config import EngineConfig, PageClass
>>> b = kv_budget(DeepseekOCRArch(), load_hardware("a100-40gb"), EngineConfig(), [PageClass(mode="base")])
>>> b.kv_bytes_per_token, b.kv_blocks > 1000
(61440, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from attrs import define, field

from llm_perf_opt.data._validators import non_negative_int, positive_int
from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.serving.config import EngineConfig, PageClass
from llm_perf_opt.serving.steps import VISION_STAGES, vision_batch_limit
from llm_perf_opt.timing.memory_fit import GIB, device_memory_bytes
from llm_perf_opt.timing.roofline import peak_working_set_bytes
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep, DeepseekOCRModel
from modelmeter.models.deepseek_ocr.layers.core.deepseek_v2_model import DeepseekV2Model
from modelmeter.models.deepseek_ocr.layers.llama import LMHead


@define(frozen=True, kw_only=True)
class KvBudget:
    """Where one GPU's usable memory goes, and the KV blocks left (see the module docstring).

    Example
    -------
    >>> b = KvBudget(capacity_bytes=100, weight_bytes=40, activation_bytes=10, graph_pool_bytes=10,
    ...              kv_bytes_per_token=2, block_size=4, tensor_parallel=1)
    >>> b.kv_bytes, b.kv_blocks, b.kv_tokens  # (100 - 60) // (4 * 2) = 5 blocks of 4 tokens
    (40, 5, 20)
    """

    capacity_bytes: int = field(validator=non_negative_int)
    weight_bytes: int = field(validator=non_negative_int)
    activation_bytes: int = field(validator=non_negative_int)
    graph_pool_bytes: int = field(validator=non_negative_int)
    kv_bytes_per_token: int = field(validator=positive_int)
    block_size: int = field(validator=positive_int)
    tensor_parallel: int = field(default=1, validator=positive_int)

    @property
    def kv_bytes(self) -> int:
        """Bytes left for the KV cache on one GPU (0 when the rest does not fit)."""
        return max(0, self.capacity_bytes - self.weight_bytes - self.activation_bytes - self.graph_pool_bytes)

    @property
    def kv_blocks(self) -> int:
        """Blocks of ``block_size`` tokens the replica's cache holds."""
        return self.tensor_parallel * self.kv_bytes // (self.block_size * self.kv_bytes_per_token)

    @property
    def kv_tokens(self) -> int:
        """Tokens the replica's cache holds (``kv_blocks * block_size``)."""
        return self.kv_blocks * self.block_size


def kv_budget(
    arch: DeepseekOCRArch, hardware: HardwareSpec, config: EngineConfig, classes: Sequence[PageClass]
) -> KvBudget:
    """The KV budget of one replica of ``config`` on ``hardware`` serving pages of ``classes``."""
    text = arch.language
    t = config.tensor_parallel
    weights = DeepseekOCRModel(arch=arch, workload=classes[0].workload(max_new_tokens=1)).metrics()
    q = config.max_num_batched_tokens
    peaks = [
        peak_working_set_bytes(DeepseekV2Model(config=text, batch=1, q_len=q, kv_len=q)) // t,
        peak_working_set_bytes(LMHead(config=text, tokens=config.max_num_seqs)) // t,
    ]
    for cls in classes:
        pages = vision_batch_limit(cls, config)
        layers = DeepseekOCRModel(arch=arch, workload=cls.workload(max_new_tokens=1, batch_size=pages)).stage_layers()
        peaks += [peak_working_set_bytes(layers[s]) for s in VISION_STAGES]
    per_token = DeepseekOCRDecodeStep(config=text, batch=1, kv_len=1).metrics().kv_cache_memory_bytes
    return KvBudget(
        capacity_bytes=math.floor(device_memory_bytes(hardware) * config.gpu_memory_utilization),
        weight_bytes=-(-weights.weight_memory_bytes // t),
        activation_bytes=max(peaks),
        graph_pool_bytes=round(config.graph_pool_gib * GIB),
        kv_bytes_per_token=per_token,
        block_size=config.block_size,
        tensor_parallel=t,
    )
