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

from modelmeter.models.deepseek_ocr.config import (
    DeepseekV2TextConfig,
    ProjectorConfig,
    SamViTConfig,
    as_float,
    check_projector_feeds_decoder,
    dimension,
    finite_positive,
    layer_count,
    modelled,
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

    hidden_size: int = field(default=896, validator=dimension)
    num_hidden_layers: int = field(default=24, validator=layer_count)
    num_attention_heads: int = field(default=14, validator=dimension)
    num_key_value_heads: int = field(default=2, validator=dimension)
    intermediate_size: int = field(default=4864, validator=dimension)
    rms_norm_eps: float = field(default=1e-6, converter=as_float, validator=finite_positive)
    rope_theta: float = field(default=1_000_000.0, converter=as_float, validator=finite_positive)
    max_position_embeddings: int = field(default=131072, validator=dimension)
    hidden_act: str = field(default="silu", validator=modelled("silu"))
    queries_768: int = field(default=144, validator=dimension)
    queries_1024: int = field(default=256, validator=dimension)

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


def _section(parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """``parent[key]`` as a mapping (``{}`` when absent or null); ``ValueError`` naming ``where`` for any other type.

    Example
    -------
    >>> _section({"vision_config": [1]}, "vision_config", "vision_config")
    Traceback (most recent call last):
    ...
    ValueError: vision_config: expected an object, got list
    """
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _dense_layers(layer_types: object) -> int:
    """The leading dense layers of the native ``text_config.mlp_layer_types`` (``first_k_dense_replace``)."""
    where = "text_config.mlp_layer_types"
    if not isinstance(layer_types, list) or not all(isinstance(t, str) for t in layer_types):
        raise ValueError(f"{where}: expected a list of 'dense' or 'sparse', got {str(layer_types)[:40]!r}")
    dense = [t == "dense" for t in layer_types]
    first_k = dense.index(False) if False in dense else len(dense)
    if any(dense[first_k:]):
        raise ValueError(f"{where}: dense layers after the first MoE layer (index {first_k})")
    return first_k


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


def _vision_from_config(vision: Mapping[str, Any]) -> tuple[SamViTConfig, Qwen2EncoderConfig]:
    """SAM and the Qwen2 encoder from ``vision_config`` (native or released layout); an error names the section."""
    native = "sam_config" in vision or "encoder_config" in vision
    where = "vision_config.sam_config" if native else "vision_config.width.sam_vit_b"
    try:
        if native:
            sam = _sam_from_native(_section(vision, "sam_config", where))
        else:
            width = _section(vision, "width", "vision_config.width")
            sam = _sam_from_json(_section(width, "sam_vit_b", where))
        if native:
            where = "vision_config.encoder_config"
            enc_src = _section(vision, "encoder_config", where)
            enc_known = {a.name for a in attrs.fields(Qwen2EncoderConfig)}
            enc_kwargs = {k: v for k, v in enc_src.items() if k in enc_known and v is not None}
            rope = _section(enc_src, "rope_parameters", f"{where}.rope_parameters")
            if rope.get("rope_theta") is not None:
                enc_kwargs.setdefault("rope_theta", rope["rope_theta"])
            return sam, Qwen2EncoderConfig(**enc_kwargs)
        where = "vision_config.width.qwen2-0-5b"
        dim = _section(width, "qwen2-0-5b", where).get("dim")
        return sam, Qwen2EncoderConfig() if dim is None else Qwen2EncoderConfig(hidden_size=dim)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        raise ValueError(message if message.startswith("vision_config") else f"{where}: {message}") from None


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

        Keys this model does not use are ignored; a key it uses with a wrong value or type (a section that is
        not an object included) is a ``ValueError`` naming it, as is a config with none of the language keys.
        The native ``text_config`` has ``mlp_layer_types`` instead of ``first_k_dense_replace``: the leading
        dense layers are counted back.
        """
        try:
            if not isinstance(config, Mapping):
                raise ValueError(f"expected an object, got {type(config).__name__}")
            text_src: dict[str, Any] = dict(
                _section(config, "language_config", "language_config")
                or _section(config, "text_config", "text_config")
                or config
            )
            layer_types = text_src.get("mlp_layer_types")
            if layer_types is not None and "first_k_dense_replace" not in text_src:
                text_src["first_k_dense_replace"] = _dense_layers(layer_types)
            known = {a.name for a in attrs.fields(DeepseekV2TextConfig)}
            text_kwargs = {k: v for k, v in text_src.items() if k in known and v is not None}
            if not text_kwargs:
                raise ValueError(
                    "none of the language model's keys (hidden_size, num_hidden_layers, ...) is given; "
                    "is this a DeepSeek-OCR-2 config.json?"
                )
            language = DeepseekV2TextConfig(**text_kwargs)
            vision = _section(config, "vision_config", "vision_config")
            sam, encoder = _vision_from_config(vision)
            proj_src = _section(config, "projector_config", "projector_config")
            projector = ProjectorConfig(
                projector_type=proj_src.get("projector_type", "linear"),
                input_dim=proj_src.get("input_dim", encoder.hidden_size),
                n_embed=proj_src.get("n_embed", language.hidden_size),
            )
            if projector.projector_type != "linear":
                raise ValueError(
                    f"projector_config.projector_type: {str(projector.projector_type)[:40]!r} is not modelled; "
                    "allowed: linear"
                )
            return cls(
                name=name or DEFAULT_MODEL_NAME, sam=sam, encoder=encoder, projector=projector, language=language
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"config.json: {exc}") from None
