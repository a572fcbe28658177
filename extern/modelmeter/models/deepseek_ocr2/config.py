"""DeepSeek-OCR-2 architecture numbers, laid out like the checkpoint's ``config.json``.

The released ``config.json`` (deepseek-ai/DeepSeek-OCR-2) keeps v1's layout: the language
model under ``language_config`` (and repeated at the top level), the vision encoders under
``vision_config.width`` (``sam_vit_b``: width, layers, heads, global_attn_indexes;
``qwen2-0-5b``: dim), the projector under ``projector_config``. Everything else about the
vision encoders is hard-coded in the vendor's ``deepencoderv2`` code
(``build_sam_vit_b``: ``net_3`` to 896 channels; ``build_qwen2_decoder_as_encoder``: 24 layers,
14 heads, 2 KV heads, SwiGLU 4864, RMSNorm eps 1e-6, RoPE theta 1e6; ``query_768`` 144 rows,
``query_1024`` 256 rows) and in transformers' conversion script
(``convert_deepseek_ocr2_weights_to_hf.py``), which writes the same numbers into the native
``sam_config`` / ``encoder_config``. :meth:`DeepseekOCR2Arch.from_hf_config` reads either layout.

Example
-------
>>> arch = DeepseekOCR2Arch()
>>> arch.sam.downsample_channels, arch.encoder.head_dim, arch.projector.input_dim
((512, 896), 64, 896)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from attrs import define, field

from modelmeter.layers.base import positive
from modelmeter.models.deepseek_ocr.config import (
    DeepseekV2TextConfig,
    ProjectorConfig,
    SamViTConfig,
    check_projector_feeds_decoder,
)

DEFAULT_MODEL_NAME = "deepseek-ai/DeepSeek-OCR-2"
SAM_DOWNSAMPLE_CHANNELS: tuple[int, int] = (512, 896)
"""``net_2`` and ``net_3`` output channels of DeepEncoder V2's SAM (v1: 512, 1024). The
released json still says ``[512, 1024]`` (informational, as in v1); the vendor code and the
conversion script use 896, the encoder's width."""


def ocr2_sam_config(**overrides: Any) -> SamViTConfig:
    """v1's :class:`SamViTConfig` with DeepEncoder V2's ``downsample_channels`` (512, 896).

    Example
    -------
    >>> ocr2_sam_config().downsample_channels
    (512, 896)
    """
    kwargs: dict[str, Any] = {"downsample_channels": SAM_DOWNSAMPLE_CHANNELS, **overrides}
    return SamViTConfig(**kwargs)


def ocr2_projector_config() -> ProjectorConfig:
    """The linear projector ``896 -> 1280`` (vendor: ``MlpProjector(projector_type="linear", input_dim=896)``)."""
    return ProjectorConfig(projector_type="linear", input_dim=896, n_embed=1280)


@define(frozen=True, kw_only=True)
class Qwen2EncoderConfig:
    """The Qwen2-0.5B-style decoder DeepEncoder V2 runs as its vision encoder
    (``build_qwen2_decoder_as_encoder``; transformers' ``DeepseekOcr2VisionEncoderConfig``).

    No token embedding (the vendor deletes ``embed_tokens``), the final norm is kept.
    ``queries_768`` / ``queries_1024`` are the rows of the learnable query tables
    ``query_768`` / ``query_1024``: one query per SAM token of a 768 or a 1024 view.

    Example
    -------
    >>> c = Qwen2EncoderConfig()
    >>> c.head_dim, c.num_key_value_groups, c.queries_for(144), c.queries_for(256)
    (64, 7, 144, 256)
    """

    hidden_size: int = field(default=896, validator=positive)
    num_hidden_layers: int = field(default=24, validator=positive)
    num_attention_heads: int = field(default=14, validator=positive)
    num_key_value_heads: int = field(default=2, validator=positive)
    intermediate_size: int = field(default=4864, validator=positive)
    rms_norm_eps: float = 1e-6
    rope_theta: float = 1_000_000.0
    max_position_embeddings: int = 131072
    hidden_act: str = "silu"
    queries_768: int = field(default=144, validator=positive)
    queries_1024: int = field(default=256, validator=positive)

    def __attrs_post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size: {self.hidden_size} is not a multiple of num_attention_heads ({self.num_attention_heads})"
            )
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError(
                f"num_key_value_heads: {self.num_key_value_heads} does not divide "
                f"num_attention_heads ({self.num_attention_heads})"
            )
        if self.hidden_act != "silu":
            raise ValueError(f"hidden_act: {self.hidden_act!r}; the Qwen2 encoder's MLP uses silu")

    @property
    def head_dim(self) -> int:
        """Per-head width (896 / 14 = 64)."""
        return self.hidden_size // self.num_attention_heads

    @property
    def num_key_value_groups(self) -> int:
        """Query heads per KV head (14 / 2 = 7)."""
        return self.num_attention_heads // self.num_key_value_heads

    @property
    def query_params(self) -> int:
        """Parameters of both query tables: ``(queries_768 + queries_1024) * hidden_size``."""
        return (self.queries_768 + self.queries_1024) * self.hidden_size

    def queries_for(self, image_tokens: int) -> int:
        """Queries appended to a view of ``image_tokens`` SAM tokens: the table whose row count
        equals it (the vendor selects ``query_768`` for 144 tokens, ``query_1024`` for 256).

        Raises
        ------
        ValueError
            When no table has that many rows (the vendor's forward would fail).
        """
        if image_tokens not in (self.queries_768, self.queries_1024):
            raise ValueError(
                f"image_tokens: {image_tokens} SAM tokens have no query table; "
                f"allowed: {self.queries_768} (768 px view) or {self.queries_1024} (1024 px view)"
            )
        return image_tokens


def _sam_from_json(src: Mapping[str, Any]) -> SamViTConfig:
    keys = {"width": "embed_dim", "layers": "depth", "heads": "num_heads", "global_attn_indexes": "global_attn_indexes"}
    return ocr2_sam_config(**{ours: src[theirs] for theirs, ours in keys.items() if src.get(theirs) is not None})


def _sam_from_native(src: Mapping[str, Any]) -> SamViTConfig:
    keys = {
        "hidden_size": "embed_dim",
        "num_hidden_layers": "depth",
        "num_attention_heads": "num_heads",
        "global_attn_indexes": "global_attn_indexes",
        "window_size": "window_size",
        "output_channels": "out_chans",
        "downsample_channels": "downsample_channels",
        "image_size": "img_size",
        "patch_size": "patch_size",
    }
    return ocr2_sam_config(**{ours: src[theirs] for theirs, ours in keys.items() if src.get(theirs) is not None})


@define(frozen=True, kw_only=True)
class DeepseekOCR2Arch:
    """Whole-model architecture: SAM, the Qwen2 encoder, the projector, the language model.

    The language model is v1's :class:`DeepseekV2TextConfig`; its defaults are the released
    checkpoint's numbers (the same as v1's: 12 layers, hidden 1280, 64 routed experts, top 6...).

    Example
    -------
    >>> cfg = {"language_config": {"hidden_size": 1280}, "vision_config": {"width": {"qwen2-0-5b": {"dim": 896}}}}
    >>> a = DeepseekOCR2Arch.from_hf_config(cfg)
    >>> a.encoder.hidden_size, a.language.vocab_size, a.sam.downsample_channels
    (896, 129280, (512, 896))
    """

    name: str = DEFAULT_MODEL_NAME
    sam: SamViTConfig = field(factory=ocr2_sam_config)
    encoder: Qwen2EncoderConfig = field(factory=Qwen2EncoderConfig)
    projector: ProjectorConfig = field(factory=ocr2_projector_config)
    language: DeepseekV2TextConfig = field(factory=DeepseekV2TextConfig)

    def __attrs_post_init__(self) -> None:
        if self.sam.downsample_channels[-1] != self.encoder.hidden_size:
            raise ValueError(
                f"sam.downsample_channels: the last ({self.sam.downsample_channels[-1]}) must equal "
                f"encoder.hidden_size ({self.encoder.hidden_size}): SAM tokens enter the encoder as they are"
            )
        if self.projector.input_dim != self.encoder.hidden_size:
            raise ValueError(
                f"projector.input_dim: {self.projector.input_dim} must equal encoder.hidden_size "
                f"({self.encoder.hidden_size})"
            )
        check_projector_feeds_decoder(self.projector, self.language)

    @classmethod
    def from_hf_config(cls, config: Mapping[str, Any], *, name: str | None = None) -> DeepseekOCR2Arch:
        """Build from a checkpoint's ``config.json`` mapping: the released layout
        (``language_config``, ``vision_config.width``, ``projector_config``) or transformers'
        native one (``text_config``, ``vision_config.sam_config`` / ``encoder_config``).

        Keys this model does not use are ignored; a key it uses with a wrong value is an
        error naming it. The native ``text_config`` has ``mlp_layer_types`` instead of
        ``first_k_dense_replace``: the leading dense layers are counted back.
        """
        text_src: dict[str, Any] = dict(config.get("language_config") or config.get("text_config") or config)
        layer_types = text_src.get("mlp_layer_types")
        if layer_types and "first_k_dense_replace" not in text_src:
            dense = [t == "dense" for t in layer_types]
            first_k = dense.index(False) if False in dense else len(dense)
            if any(dense[first_k:]):
                raise ValueError(f"text_config.mlp_layer_types: dense layers after the first MoE layer: {layer_types}")
            text_src["first_k_dense_replace"] = first_k
        known = {a.name for a in attrs.fields(DeepseekV2TextConfig)}
        vision: Mapping[str, Any] = config.get("vision_config") or {}
        try:
            language = DeepseekV2TextConfig(**{k: v for k, v in text_src.items() if k in known and v is not None})
            width: Mapping[str, Any] = vision.get("width") or {}
            if "sam_config" in vision or "encoder_config" in vision:
                sam = _sam_from_native(vision.get("sam_config") or {})
                enc_src: Mapping[str, Any] = vision.get("encoder_config") or {}
                enc_known = {a.name for a in attrs.fields(Qwen2EncoderConfig)}
                enc_kwargs = {k: v for k, v in enc_src.items() if k in enc_known and v is not None}
                rope = enc_src.get("rope_parameters") or {}
                if "rope_theta" in rope:
                    enc_kwargs.setdefault("rope_theta", rope["rope_theta"])
                encoder = Qwen2EncoderConfig(**enc_kwargs)
            else:
                sam = _sam_from_json(width.get("sam_vit_b") or {})
                dim = (width.get("qwen2-0-5b") or {}).get("dim")
                encoder = Qwen2EncoderConfig() if dim is None else Qwen2EncoderConfig(hidden_size=dim)
            proj_src: Mapping[str, Any] = config.get("projector_config") or {}
            projector = ProjectorConfig(
                projector_type=proj_src.get("projector_type", "linear"),
                input_dim=proj_src.get("input_dim", encoder.hidden_size),
                n_embed=proj_src.get("n_embed", language.hidden_size),
            )
            if projector.projector_type != "linear":
                raise ValueError(
                    f"projector_config.projector_type: {projector.projector_type!r} is not modelled; allowed: linear"
                )
            return cls(
                name=name or DEFAULT_MODEL_NAME, sam=sam, encoder=encoder, projector=projector, language=language
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"config.json: {exc}") from None
