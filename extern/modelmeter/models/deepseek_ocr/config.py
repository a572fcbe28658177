"""DeepSeek-OCR architecture numbers, laid out like the checkpoint's ``config.json``.

Field names match the released checkpoint's keys (``hidden_size``, ``n_routed_experts``,
``num_experts_per_tok``, ``first_k_dense_replace`` ...) so a real ``config.json`` loads
without a mapping table (:meth:`DeepseekOCRArch.from_hf_config`). The vision encoders'
numbers are hard-coded in the vendor's ``deepencoder.py`` (``vision_config`` in the json is
informational), so they are fixed defaults here.

Sources: ``../shared/reference/deepseek-ocr-architecture.md`` section 2 (config.json of
checkpoint snapshot 2c968b43 and the vendor's ``deepencoder.py``).

Example
-------
>>> arch = DeepseekOCRArch()
>>> arch.language.head_dim, arch.sam.mlp_dim, arch.clip.num_positions
(128, 3072, 257)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from attrs import define, field

from modelmeter.layers.base import positive

DEFAULT_MODEL_NAME = "deepseek-ai/DeepSeek-OCR"


def _tuple_of_ints(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value)


@define(frozen=True, kw_only=True)
class SamViTConfig:
    """SAM ViT-B image encoder of DeepEncoder (``build_sam_vit_b`` in deepencoder.py)."""

    img_size: int = field(default=1024, validator=positive)
    patch_size: int = field(default=16, validator=positive)
    in_chans: int = field(default=3, validator=positive)
    embed_dim: int = field(default=768, validator=positive)
    depth: int = field(default=12, validator=positive)
    num_heads: int = field(default=12, validator=positive)
    mlp_ratio: int = field(default=4, validator=positive)
    qkv_bias: bool = True
    use_rel_pos: bool = True
    window_size: int = field(default=14, validator=positive)
    global_attn_indexes: tuple[int, ...] = field(default=(2, 5, 8, 11), converter=_tuple_of_ints)
    out_chans: int = field(default=256, validator=positive)
    downsample_channels: tuple[int, ...] = field(default=(512, 1024), converter=_tuple_of_ints)
    layer_norm_eps: float = 1e-6

    @property
    def head_dim(self) -> int:
        """Per-head width (64)."""
        return self.embed_dim // self.num_heads

    @property
    def mlp_dim(self) -> int:
        """MLP hidden width (3072)."""
        return self.embed_dim * self.mlp_ratio

    @property
    def native_grid(self) -> int:
        """Patch grid side at ``img_size`` (64), the size of ``pos_embed``."""
        return self.img_size // self.patch_size


@define(frozen=True, kw_only=True)
class ClipLConfig:
    """CLIP-L/14 encoder of DeepEncoder (``build_clip_l``), fed by SAM features."""

    hidden_size: int = field(default=1024, validator=positive)
    num_layers: int = field(default=24, validator=positive)
    num_attention_heads: int = field(default=16, validator=positive)
    ffn_hidden_size: int = field(default=4096, validator=positive)
    image_size: int = field(default=224, validator=positive)
    patch_size: int = field(default=14, validator=positive)
    num_channels: int = field(default=3, validator=positive)
    layer_norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        """Per-head width (64)."""
        return self.hidden_size // self.num_attention_heads

    @property
    def num_positions(self) -> int:
        """Rows of the learned position table: 16*16 patches + CLS = 257."""
        return (self.image_size // self.patch_size) ** 2 + 1


@define(frozen=True, kw_only=True)
class ProjectorConfig:
    """``MlpProjector`` with ``projector_type: linear``."""

    projector_type: str = "linear"
    input_dim: int = field(default=2048, validator=positive)
    n_embed: int = field(default=1280, validator=positive)


@define(frozen=True, kw_only=True)
class DeepseekV2TextConfig:
    """The DeepSeek-V2-style MoE language model (top-level keys of config.json)."""

    hidden_size: int = field(default=1280, validator=positive)
    num_hidden_layers: int = field(default=12, validator=positive)
    num_attention_heads: int = field(default=10, validator=positive)
    num_key_value_heads: int = field(default=10, validator=positive)
    intermediate_size: int = field(default=6848, validator=positive)
    moe_intermediate_size: int = field(default=896, validator=positive)
    n_routed_experts: int = field(default=64, validator=positive)
    n_shared_experts: int = 2
    num_experts_per_tok: int = field(default=6, validator=positive)
    first_k_dense_replace: int = 1
    moe_layer_freq: int = field(default=1, validator=positive)
    vocab_size: int = field(default=129280, validator=positive)
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    max_position_embeddings: int = 8192
    attention_bias: bool = False
    tie_word_embeddings: bool = False
    hidden_act: str = "silu"
    use_mla: bool = False
    topk_method: str = "greedy"
    scoring_func: str = "softmax"
    norm_topk_prob: bool = False
    routed_scaling_factor: float = 1.0

    def __attrs_post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size: {self.hidden_size} is not a multiple of num_attention_heads ({self.num_attention_heads})"
            )
        if self.num_experts_per_tok > self.n_routed_experts:
            raise ValueError(
                f"num_experts_per_tok: {self.num_experts_per_tok} exceeds n_routed_experts ({self.n_routed_experts})"
            )
        if self.use_mla:
            raise ValueError("use_mla: DeepSeek-OCR v1 uses plain multi-head attention; only false is modelled")

    @property
    def head_dim(self) -> int:
        """Per-head width (1280 / 10 = 128)."""
        return self.hidden_size // self.num_attention_heads

    def is_moe_layer(self, layer_idx: int) -> bool:
        """DeepSeek-V2's rule: MoE from ``first_k_dense_replace`` on, every ``moe_layer_freq``-th layer."""
        return (
            self.n_routed_experts > 0
            and layer_idx >= self.first_k_dense_replace
            and layer_idx % self.moe_layer_freq == 0
        )


@define(frozen=True, kw_only=True)
class DeepseekOCRArch:
    """Whole-model architecture: the two vision encoders, the projector, the language model.

    Example
    -------
    >>> DeepseekOCRArch.from_hf_config({"hidden_size": 1280, "n_routed_experts": 64}).language.vocab_size
    129280
    """

    name: str = DEFAULT_MODEL_NAME
    sam: SamViTConfig = field(factory=SamViTConfig)
    clip: ClipLConfig = field(factory=ClipLConfig)
    projector: ProjectorConfig = field(factory=ProjectorConfig)
    language: DeepseekV2TextConfig = field(factory=DeepseekV2TextConfig)

    @classmethod
    def from_hf_config(cls, config: Mapping[str, Any], *, name: str | None = None) -> DeepseekOCRArch:
        """Build from a checkpoint's ``config.json`` mapping.

        Text keys are read from ``language_config`` when present, else from the top level
        (the released json repeats them in both). Keys this model does not use are ignored;
        a key it uses with a wrong type is an error naming the key.
        """
        text_src: Mapping[str, Any] = config.get("language_config") or config
        known = {a.name for a in attrs.fields(DeepseekV2TextConfig)}
        text_kwargs = {k: v for k, v in text_src.items() if k in known and v is not None}
        try:
            language = DeepseekV2TextConfig(**text_kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"config.json: {exc}") from None
        proj_src = config.get("projector_config") or {}
        proj_known = {a.name for a in attrs.fields(ProjectorConfig)}
        projector = ProjectorConfig(**{k: v for k, v in proj_src.items() if k in proj_known})
        if projector.projector_type != "linear":
            raise ValueError(
                f"projector_config.projector_type: {projector.projector_type!r} is not modelled; allowed: linear"
            )
        return cls(name=name or DEFAULT_MODEL_NAME, language=language, projector=projector)
