"""PyTorch reference modules of DeepSeek-OCR's vision path, used as ground truth by the parity tests.

Maintained modules are preferred over hand-written ones:

* SAM ViT-B: transformers' ``DeepseekOcr2SamVisionEncoder`` configured to DeepSeek-OCR v1
  (width 768, 12 layers, 12 heads, window 14, global blocks 2/5/8/11, neck 256 channels,
  ``downsample_channels`` 512 and 1024, native image 1024). Its structure is the vendor's
  ``ImageEncoderViT`` under other names (``layers`` for ``blocks``, ``layer_norm1`` for
  ``norm1``, ``neck.conv1`` for ``neck.0``, ``proj.conv1`` / ``proj.conv2`` for ``net_2`` /
  ``net_3``): window blocks pad the grid to a multiple of the window *before* ``attn``
  (so ``qkv`` and ``proj`` see the padded tokens), the relative-position terms are the same
  two einsums, the tables have the same sizes (27 rows in window blocks, 127 in global
  blocks), and the parameter count is the vendor's 95,569,152.
* CLIP-L blocks: transformers' ``CLIPEncoderLayer`` with ``hidden_act="quick_gelu"``. It
  projects q, k and v with three ``1024 -> 1024`` biased Linears where the vendor's
  ``NoTPAttention`` uses one fused ``1024 -> 3072``: the parameters (3 * (1024^2 + 1024) =
  1024 * 3072 + 3072) and the contraction FLOPs (3 * 2*T*1024*1024 = 2*T*1024*3072) are equal.
* CLIP embeddings fed by SAM features have no maintained counterpart: :class:`SamFeatureCLIPEmbeddings`
  keeps transformers' ``CLIPVisionEmbeddings`` parameters (class embedding, the unused
  patch convolution, the 257-row position table) and replaces its forward with the vendor's
  (flatten the SAM map, prepend CLS, add the position table, bicubic-resized when the
  grid is not 16x16).
* Projector: :class:`LinearProjector`, one biased Linear named ``layers`` as in the vendor.

Everything builds on the ``meta`` device by default (no memory, no weights).

Example
-------
>>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
>>> arch = DeepseekOCRArch()
>>> ref = build_vision_reference(arch.sam, arch.clip, arch.projector)
>>> x = torch.empty(1, 3, 1024, 1024, device="meta")
>>> ref.clip(sam_features(ref.sam, x)).shape
torch.Size([1, 257, 1024])
>>> vision_forward(ref, x).shape
torch.Size([1, 256, 1280])
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, cast

import torch
from torch import nn
from transformers.models.clip.configuration_clip import CLIPVisionConfig
from transformers.models.clip.modeling_clip import CLIPEncoder, CLIPEncoderLayer, CLIPVisionEmbeddings
from transformers.models.deepseek_ocr2.configuration_deepseek_ocr2 import DeepseekOcr2SamVisionConfig
from transformers.models.deepseek_ocr2.modeling_deepseek_ocr2 import DeepseekOcr2SamVisionEncoder

from modelmeter.models.deepseek_ocr.config import ClipLConfig, ProjectorConfig, SamViTConfig

ATTN_IMPLEMENTATION = "sdpa"
"""transformers attention backend of the references (the parity harness pins SDPA to MATH)."""


def sam_reference_config(arch: SamViTConfig) -> DeepseekOcr2SamVisionConfig:
    """transformers SAM config with DeepSeek-OCR's numbers from ``arch``."""
    config = DeepseekOcr2SamVisionConfig(
        hidden_size=arch.embed_dim,
        output_channels=arch.out_chans,
        num_hidden_layers=arch.depth,
        num_attention_heads=arch.num_heads,
        num_channels=arch.in_chans,
        image_size=arch.img_size,
        patch_size=arch.patch_size,
        hidden_act="gelu",
        layer_norm_eps=arch.layer_norm_eps,
        qkv_bias=arch.qkv_bias,
        mlp_ratio=float(arch.mlp_ratio),
        use_abs_pos=True,
        use_rel_pos=arch.use_rel_pos,
        window_size=arch.window_size,
        global_attn_indexes=list(arch.global_attn_indexes),
        downsample_channels=list(arch.downsample_channels),
    )
    config._attn_implementation = ATTN_IMPLEMENTATION
    return config


def build_sam_reference(arch: SamViTConfig, device: str | torch.device = "meta") -> DeepseekOcr2SamVisionEncoder:
    """transformers' ``DeepseekOcr2SamVisionEncoder`` configured like DeepSeek-OCR's SAM, in eval mode."""
    with torch.device(device):
        model = DeepseekOcr2SamVisionEncoder(sam_reference_config(arch))
    nn.Module.train(model, False)  # eval mode
    return model


def sam_features(sam: DeepseekOcr2SamVisionEncoder, pixels: torch.Tensor) -> torch.Tensor:
    """SAM output map ``[batch, 1024, grid/4, grid/4]`` of ``pixels`` ``[batch, 3, S, S]``."""
    out: torch.Tensor = sam(pixels).last_hidden_state
    return out


def clip_reference_config(arch: ClipLConfig) -> CLIPVisionConfig:
    """transformers CLIP vision config with the vendor's CLIP-L numbers (QuickGELU, eps 1e-5)."""
    config = CLIPVisionConfig(
        hidden_size=arch.hidden_size,
        intermediate_size=arch.ffn_hidden_size,
        num_hidden_layers=arch.num_layers,
        num_attention_heads=arch.num_attention_heads,
        num_channels=arch.num_channels,
        image_size=arch.image_size,
        patch_size=arch.patch_size,
        hidden_act="quick_gelu",
        layer_norm_eps=arch.layer_norm_eps,
    )
    config._attn_implementation = ATTN_IMPLEMENTATION
    return config


class SamFeatureCLIPEmbeddings(CLIPVisionEmbeddings):
    """transformers' ``CLIPVisionEmbeddings`` parameters with the vendor's forward on SAM features.

    ``forward(features)`` takes ``[batch, hidden, g, g]`` and returns ``[batch, g*g + 1, hidden]``.
    ``patch_embedding`` is kept for its parameters and never called.

    Example
    -------
    >>> emb = SamFeatureCLIPEmbeddings(clip_reference_config(ClipLConfig())).to("meta")
    >>> emb(torch.empty(2, 1024, 10, 10, device="meta")).shape
    torch.Size([2, 101, 1024])
    >>> sum(p.numel() for p in emb.parameters())  # class 1024 + patch conv 602,112 + positions 263,168
    866304
    """

    def forward(self, features: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        batch = features.shape[0]
        patches = features.flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(batch, 1, -1)
        embeddings = torch.cat([cls, patches], dim=1)
        return embeddings + self.resized_positions(embeddings.shape[1])

    def resized_positions(self, seq_len: int) -> torch.Tensor:
        """The position table for ``seq_len`` tokens: looked up whole (all ``num_positions`` rows),
        its patch rows bicubic-resized (antialias, fp32) when ``seq_len != num_positions``."""
        table: torch.Tensor = self.position_embedding(self.position_ids)  # [1, P, hidden]
        if seq_len == table.shape[1]:
            return table
        hidden = table.shape[-1]
        src, dst = math.isqrt(table.shape[1] - 1), math.isqrt(seq_len - 1)
        grid = table[:, 1:].reshape(1, src, src, hidden).permute(0, 3, 1, 2).to(torch.float32)
        resized = nn.functional.interpolate(grid, size=(dst, dst), mode="bicubic", antialias=True, align_corners=False)
        resized = resized.to(table.dtype).permute(0, 2, 3, 1).reshape(1, dst * dst, hidden)
        return torch.cat([table[:, :1], resized], dim=1)


class ClipFromSamFeatures(nn.Module):
    """CLIP-L as DeepEncoder runs it: ``embeddings -> pre_layrnorm -> transformer`` on SAM features.

    ``forward(features [B, 1024, g, g]) -> [B, g*g + 1, 1024]``. The transformer is transformers'
    ``CLIPEncoder`` (``layers.N`` are ``CLIPEncoderLayer``); there is no post-norm.

    Example
    -------
    >>> clip = build_clip_reference(ClipLConfig())
    >>> clip(torch.empty(1, 1024, 8, 8, device="meta")).shape
    torch.Size([1, 65, 1024])
    """

    def __init__(self, config: CLIPVisionConfig) -> None:
        super().__init__()
        self.embeddings = SamFeatureCLIPEmbeddings(config)
        self.pre_layrnorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.transformer = CLIPEncoder(cast(Any, config))  # typed CLIPConfig, built with the vision config

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        hidden = self.pre_layrnorm(self.embeddings(features))
        out: torch.Tensor = self.transformer(hidden).last_hidden_state
        return out


def build_clip_reference(arch: ClipLConfig, device: str | torch.device = "meta") -> ClipFromSamFeatures:
    """:class:`ClipFromSamFeatures` with ``arch``'s numbers, in eval mode."""
    with torch.device(device):
        model = ClipFromSamFeatures(clip_reference_config(arch))
    nn.Module.train(model, False)  # eval mode
    return model


def build_clip_block_reference(arch: ClipLConfig, device: str | torch.device = "meta") -> CLIPEncoderLayer:
    """One transformers ``CLIPEncoderLayer`` (QuickGELU) standing for the vendor's ``NoTPTransformerBlock``.

    Call it as ``block(x, None)`` (its second argument is the attention mask)."""
    with torch.device(device):
        layer = CLIPEncoderLayer(clip_reference_config(arch))
    nn.Module.train(layer, False)  # eval mode
    return layer


class LinearProjector(nn.Module):
    """The vendor's ``MlpProjector`` with ``projector_type: linear``: ``layers`` = Linear(input_dim, n_embed).

    Example
    -------
    >>> build_projector_reference(ProjectorConfig())(torch.empty(1, 100, 2048, device="meta")).shape
    torch.Size([1, 100, 1280])
    """

    def __init__(self, input_dim: int, n_embed: int) -> None:
        super().__init__()
        self.layers = nn.Linear(input_dim, n_embed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.layers(x)
        return out


def build_projector_reference(arch: ProjectorConfig, device: str | torch.device = "meta") -> LinearProjector:
    """:class:`LinearProjector` with ``arch``'s widths (only the linear projector is modelled)."""
    if arch.projector_type != "linear":
        raise ValueError(f"arch.projector_type: {arch.projector_type!r} is not modelled; allowed: linear")
    with torch.device(device):
        model = LinearProjector(arch.input_dim, arch.n_embed)
    nn.Module.train(model, False)  # eval mode
    return model


class VisionReference(NamedTuple):
    """The three vision modules of DeepSeek-OCR, as references.

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
    >>> arch = DeepseekOCRArch()
    >>> ref = build_vision_reference(arch.sam, arch.clip, arch.projector)
    >>> [sum(p.numel() for p in m.parameters()) for m in ref]
    [95569152, 303177728, 2622720]
    """

    sam: DeepseekOcr2SamVisionEncoder
    clip: ClipFromSamFeatures
    projector: LinearProjector


def build_vision_reference(
    arch_sam: SamViTConfig,
    arch_clip: ClipLConfig,
    arch_projector: ProjectorConfig,
    device: str | torch.device = "meta",
) -> VisionReference:
    """SAM, CLIP-on-SAM-features and projector reference modules (eval mode, on ``device``)."""
    return VisionReference(
        sam=build_sam_reference(arch_sam, device),
        clip=build_clip_reference(arch_clip, device),
        projector=build_projector_reference(arch_projector, device),
    )


def vision_forward(ref: VisionReference, pixels: torch.Tensor) -> torch.Tensor:
    """The vendor's per-view vision path: SAM, CLIP on its features, concat (CLIP without CLS first,
    then SAM flattened) on channels, projector. Returns ``[batch, g*g, n_embed]``."""
    sam_out = sam_features(ref.sam, pixels)
    clip_out = ref.clip(sam_out)
    features = torch.cat([clip_out[:, 1:], sam_out.flatten(2).permute(0, 2, 1)], dim=-1)
    out: torch.Tensor = ref.projector(features)
    return out


__all__ = [
    "ClipFromSamFeatures",
    "LinearProjector",
    "SamFeatureCLIPEmbeddings",
    "VisionReference",
    "build_clip_block_reference",
    "build_clip_reference",
    "build_projector_reference",
    "build_sam_reference",
    "build_vision_reference",
    "clip_reference_config",
    "sam_features",
    "sam_reference_config",
    "vision_forward",
]
