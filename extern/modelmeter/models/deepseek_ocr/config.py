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

import math
from collections.abc import Mapping
from typing import Any

import attrs
from attrs import define, field

from modelmeter.layers.base import non_negative, positive, short_int

DEFAULT_MODEL_NAME = "deepseek-ai/DeepSeek-OCR"


def _ints(value: Any, name: str) -> tuple[int, ...]:
    """``value`` as a tuple of integers; anything else is refused with a message naming ``name``."""
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name}: expected a list of integers, got {str(value)[:40]!r}")
    out = tuple(value)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in out):
        raise ValueError(f"{name}: expected a list of integers, got {str(list(out))[:40]}")
    return out


def _global_attn_indexes(value: Any) -> tuple[int, ...]:
    return _ints(value, "SamViTConfig.global_attn_indexes")


def _downsample_channels(value: Any) -> tuple[int, ...]:
    return _ints(value, "SamViTConfig.downsample_channels")


def _divides(name: str, value: int, divisor_name: str, divisor: int) -> None:
    if value % divisor:
        raise ValueError(f"{name}: {value} is not a multiple of {divisor_name} ({divisor})")


def _is_finite_positive(value: object) -> bool:
    """Whether ``value`` is a number (not a bool) > 0 that a float holds finitely (a 400-digit integer does not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value)) and value > 0
    except OverflowError:
        return False


def _epsilon(name: str, value: object) -> None:
    if not _is_finite_positive(value):
        raise ValueError(f"{name}: must be a finite number > 0, got {str(value)[:40]!r}")


MAX_DIMENSION = 2**31 - 1
"""Largest width, count or vocabulary a config may give (what a 32-bit index reaches)."""
MAX_LAYERS = 128
"""Most decoder layers a config may give (DeepSeek-V2 and V3 have 60 and 61; the reports list every layer, so
the bound keeps a run within seconds and its files within a few tens of MB)."""


def dimension(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    """attrs validator: a width, count or vocabulary, an integer 1..:data:`MAX_DIMENSION`."""
    positive(instance, attribute, value)
    if value > MAX_DIMENSION:
        raise ValueError(f"{attribute.name}: at most {MAX_DIMENSION:,}, got {short_int(value)}")


def layer_count(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    """attrs validator: a number of layers (blocks), an integer 1..:data:`MAX_LAYERS`."""
    positive(instance, attribute, value)
    if value > MAX_LAYERS:
        raise ValueError(f"{attribute.name}: at most {MAX_LAYERS} layers, got {short_int(value)}")


def count(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    """attrs validator: a count that may be zero, an integer 0..:data:`MAX_DIMENSION`."""
    non_negative(instance, attribute, value)
    if value > MAX_DIMENSION:
        raise ValueError(f"{attribute.name}: at most {MAX_DIMENSION:,}, got {short_int(value)}")


def flag(instance: object, attribute: attrs.Attribute[bool], value: bool) -> None:
    """attrs validator: ``true`` or ``false`` (not a string or a number that would read as one)."""
    if not isinstance(value, bool):
        raise ValueError(f"{attribute.name}: must be true or false, got {str(value)[:40]!r}")


def as_float(value: Any) -> Any:
    """attrs converter of a float field: an integer becomes the float it denotes (``1`` -> ``1.0``, so a record
    written to JSON reads back identically); anything else is left for the validator to judge.

    Example
    -------
    >>> as_float(1), as_float("x"), as_float(True)
    (1.0, 'x', True)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return value
    return value


def finite_positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    """attrs validator: a finite number > 0 (epsilons, rotary bases, scales)."""
    if not _is_finite_positive(value):
        raise ValueError(f"{attribute.name}: must be a finite number > 0, got {str(value)[:40]!r}")


def modelled(*allowed: str) -> Any:
    """attrs validator factory: one of the values the analytic model implements."""

    def check(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        if value not in allowed:
            raise ValueError(f"{attribute.name}: {str(value)[:40]!r} is not modelled; allowed: {', '.join(allowed)}")

    return check


@define(frozen=True, kw_only=True)
class SamViTConfig:
    """SAM ViT-B image encoder of DeepEncoder (``build_sam_vit_b`` in deepencoder.py)."""

    img_size: int = field(default=1024, validator=dimension)
    patch_size: int = field(default=16, validator=dimension)
    in_chans: int = field(default=3, validator=dimension)
    embed_dim: int = field(default=768, validator=dimension)
    depth: int = field(default=12, validator=layer_count)
    num_heads: int = field(default=12, validator=dimension)
    mlp_ratio: int = field(default=4, validator=dimension)
    qkv_bias: bool = True
    use_rel_pos: bool = True
    window_size: int = field(default=14, validator=dimension)
    global_attn_indexes: tuple[int, ...] = field(default=(2, 5, 8, 11), converter=_global_attn_indexes)
    out_chans: int = field(default=256, validator=dimension)
    downsample_channels: tuple[int, ...] = field(default=(512, 1024), converter=_downsample_channels)
    layer_norm_eps: float = field(default=1e-6, converter=as_float)

    def __attrs_post_init__(self) -> None:
        _divides("SamViTConfig.embed_dim", self.embed_dim, "num_heads", self.num_heads)
        _divides("SamViTConfig.img_size", self.img_size, "patch_size", self.patch_size)
        bad = [i for i in self.global_attn_indexes if not 0 <= i < self.depth]
        if bad or len(set(self.global_attn_indexes)) != len(self.global_attn_indexes):
            raise ValueError(
                f"SamViTConfig.global_attn_indexes: must be distinct block indexes 0..{self.depth - 1} "
                f"(depth {self.depth}), got {list(self.global_attn_indexes)[:8]}"
            )
        channels = self.downsample_channels
        if len(channels) != 2 or min(channels) < 1 or max(channels) > MAX_DIMENSION:
            raise ValueError(
                f"SamViTConfig.downsample_channels: expected 2 channel counts 1..{MAX_DIMENSION:,} (net_2, net_3), "
                f"got {list(self.downsample_channels)[:8]}"
            )
        _epsilon("SamViTConfig.layer_norm_eps", self.layer_norm_eps)

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

    hidden_size: int = field(default=1024, validator=dimension)
    num_layers: int = field(default=24, validator=layer_count)
    num_attention_heads: int = field(default=16, validator=dimension)
    ffn_hidden_size: int = field(default=4096, validator=dimension)
    image_size: int = field(default=224, validator=dimension)
    patch_size: int = field(default=14, validator=dimension)
    num_channels: int = field(default=3, validator=dimension)
    layer_norm_eps: float = field(default=1e-5, converter=as_float)

    def __attrs_post_init__(self) -> None:
        _divides("ClipLConfig.hidden_size", self.hidden_size, "num_attention_heads", self.num_attention_heads)
        _divides("ClipLConfig.image_size", self.image_size, "patch_size", self.patch_size)
        _epsilon("ClipLConfig.layer_norm_eps", self.layer_norm_eps)

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
    input_dim: int = field(default=2048, validator=dimension)
    n_embed: int = field(default=1280, validator=dimension)


@define(frozen=True, kw_only=True)
class DeepseekV2TextConfig:
    """The DeepSeek-V2-style MoE language model (top-level keys of config.json), validated by type, range and
    across fields as transformers reads them (``num_key_value_heads`` divides ``num_attention_heads``; MoE
    layers from ``first_k_dense_replace`` on); values the analytic model does not implement (another
    activation, routing or scoring) are refused, naming what is.

    Example
    -------
    >>> DeepseekV2TextConfig(num_key_value_heads=3)
    Traceback (most recent call last):
    ...
    ValueError: num_key_value_heads: 3 does not divide num_attention_heads (10)
    """

    hidden_size: int = field(default=1280, validator=dimension)
    num_hidden_layers: int = field(default=12, validator=layer_count)
    num_attention_heads: int = field(default=10, validator=dimension)
    num_key_value_heads: int = field(default=10, validator=dimension)
    intermediate_size: int = field(default=6848, validator=dimension)
    moe_intermediate_size: int = field(default=896, validator=dimension)
    n_routed_experts: int = field(default=64, validator=dimension)
    n_shared_experts: int = field(default=2, validator=count)
    num_experts_per_tok: int = field(default=6, validator=dimension)
    first_k_dense_replace: int = field(default=1, validator=count)
    moe_layer_freq: int = field(default=1, validator=dimension)
    vocab_size: int = field(default=129280, validator=dimension)
    rms_norm_eps: float = field(default=1e-6, converter=as_float, validator=finite_positive)
    rope_theta: float = field(default=10000.0, converter=as_float, validator=finite_positive)
    max_position_embeddings: int = field(default=8192, validator=dimension)
    attention_bias: bool = field(default=False, validator=flag)
    tie_word_embeddings: bool = field(default=False, validator=flag)
    hidden_act: str = field(default="silu", validator=modelled("silu"))
    use_mla: bool = field(default=False, validator=flag)
    topk_method: str = field(default="greedy", validator=modelled("greedy"))
    scoring_func: str = field(default="softmax", validator=modelled("softmax"))
    norm_topk_prob: bool = field(default=False, validator=flag)
    routed_scaling_factor: float = field(default=1.0, converter=as_float, validator=finite_positive)

    def __attrs_post_init__(self) -> None:
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError(
                f"num_key_value_heads: {self.num_key_value_heads} does not divide num_attention_heads "
                f"({self.num_attention_heads})"
            )
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size: {self.hidden_size} is not a multiple of num_attention_heads ({self.num_attention_heads})"
            )
        if self.head_dim % 2:
            raise ValueError(
                f"hidden_size: {self.hidden_size} / num_attention_heads ({self.num_attention_heads}) = head_dim "
                f"{self.head_dim} is odd; rotary positions rotate pairs of channels"
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


def check_projector_feeds_decoder(projector: ProjectorConfig, language: DeepseekV2TextConfig) -> None:
    """``ValueError`` unless the projector's output width is the decoder's ``hidden_size`` (v1 and OCR-2 alike)."""
    if projector.n_embed != language.hidden_size:
        raise ValueError(
            f"projector.n_embed: {projector.n_embed} must equal the decoder's hidden_size ({language.hidden_size})"
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

    def __attrs_post_init__(self) -> None:
        # the projector maps CLIP's features concatenated with SAM's to the decoder's width
        features = self.clip.hidden_size + self.sam.downsample_channels[-1]
        if self.projector.input_dim != features:
            raise ValueError(
                f"projector.input_dim: {self.projector.input_dim} must be CLIP's width + SAM's last channels "
                f"({self.clip.hidden_size} + {self.sam.downsample_channels[-1]} = {features})"
            )
        check_projector_feeds_decoder(self.projector, self.language)

    @classmethod
    def from_hf_config(cls, config: Mapping[str, Any], *, name: str | None = None) -> DeepseekOCRArch:
        """Build from a checkpoint's ``config.json`` mapping.

        Text keys are read from ``language_config`` when present, else from the top level
        (the released json repeats them in both). Keys this model does not use are ignored;
        a key it uses with a wrong type is an error naming the key.
        """
        if not isinstance(config, Mapping):
            raise ValueError(f"config.json: expected an object, got {type(config).__name__}")
        text_src: Any = config.get("language_config") or config
        if not isinstance(text_src, Mapping):
            raise ValueError(f"config.json: language_config: expected an object, got {type(text_src).__name__}")
        known = {a.name for a in attrs.fields(DeepseekV2TextConfig)}
        text_kwargs = {k: v for k, v in text_src.items() if k in known and v is not None}
        if not text_kwargs:
            raise ValueError(
                "config.json: none of the language model's keys (hidden_size, num_hidden_layers, ...) is given; "
                "is this a DeepSeek-OCR config.json?"
            )
        try:
            language = DeepseekV2TextConfig(**text_kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"config.json: {exc}") from None
        proj_src = config.get("projector_config") or {}
        if not isinstance(proj_src, Mapping):
            raise ValueError(f"config.json: projector_config: expected an object, got {type(proj_src).__name__}")
        proj_known = {a.name for a in attrs.fields(ProjectorConfig)}
        try:
            projector = ProjectorConfig(**{k: v for k, v in proj_src.items() if k in proj_known})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"config.json: projector_config.{exc}") from None
        if projector.projector_type != "linear":
            raise ValueError(
                f"projector_config.projector_type: {projector.projector_type!r} is not modelled; allowed: linear"
            )
        try:
            return cls(name=name or DEFAULT_MODEL_NAME, language=language, projector=projector)
        except ValueError as exc:
            raise ValueError(f"config.json: {exc}") from None
