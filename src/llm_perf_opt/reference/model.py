"""The whole DeepSeek-OCR as a PyTorch reference: the vision modules of
:mod:`llm_perf_opt.reference.vision` and the text model of :mod:`llm_perf_opt.reference.text`
assembled under the vendor's top-level module names, with one method per stage that runs
what the vendor's ``DeepseekOCRForCausalLM`` runs for a workload.

Importing this module imports torch and transformers (validation only).

Module names (top level as in the vendor's ``DeepseekOCRModel`` / ``DeepseekOCRForCausalLM``):
``sam_model``, ``vision_model``, ``projector``, ``image_newline``, ``view_seperator`` (vendor
spelling), ``embed_tokens``, ``layers``, ``norm``, ``lm_head``; plus ``rotary_emb``, where
the maintained text model builds the rotary table once per forward (the vendor builds it
inside every attention layer; FlopCounterMode counts neither). Below the top level the
names are the maintained modules' (``sam_model.layers.N`` for the vendor's
``sam_model.blocks.N`` ...); ``module_catalog.yaml`` maps them to the vendor's paths.

Stages, as the vendor's forward and ``generate`` run them (architecture facts:
``../shared/reference/deepseek-ocr-architecture.md`` sections 3, 4 and 6):

* ``sam``: ``sam_model`` on the crops (one batch of ``batch * w * h`` tiles at
  ``image_size``, only when the grid is larger than 1x1), then on the global views at
  ``base_size``;
* ``clip``: ``vision_model`` on each SAM output (the crops' batch, then the global batch);
* ``projector``: per view ``projector(cat(clip[:, 1:], sam.flatten(2).T))``, then the image
  rows of each page: the crops re-tiled row-major with an ``image_newline`` after every
  row, the global grid with an ``image_newline`` after every row, one ``view_seperator``;
* ``prefill``: ``embed_tokens`` on the ids, the image rows ``masked_scatter``-ed into the
  image positions, the decoder layers and ``norm`` over every position (causal);
* ``lm_head``: logits of every prefill position, cast to fp32;
* ``decode``: one token per sequence with a ``DynamicCache`` of ``kv_len - 1`` past tokens,
  decoder body then ``lm_head``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import torch
from torch import nn

from llm_perf_opt.reference.text import TextReferenceLM, build_text_reference, causal_mask, kv_cache
from llm_perf_opt.reference.vision import build_vision_reference
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

IMAGE_TOKEN_ID = 128815
"""``<image>``: the id the vendor's ``infer()`` puts at every image position."""
BOS_TOKEN_ID = 0
PROMPT_TOKEN_ID = 1000
"""Any non-image id for the prompt text positions (the value does not change any count)."""

STAGE_MODULES: Mapping[str, tuple[str, ...]] = {
    "sam": ("sam_model",),
    "clip": ("vision_model",),
    "projector": ("projector",),
    "prefill": ("embed_tokens", "layers", "norm", "rotary_emb"),
    "lm_head": ("lm_head",),
    "decode": ("embed_tokens", "layers", "norm", "rotary_emb", "lm_head"),
}
"""Top-level modules each stage runs (their parameters are the stage's parameters)."""


class ViewPair(NamedTuple):
    """A per-view tensor for the crops (``None`` when the page has no crops) and the global view."""

    crops: torch.Tensor | None
    global_view: torch.Tensor


class ReferenceInputs(NamedTuple):
    """What the vendor's forward receives for a workload (``batch`` pages)."""

    pixels: ViewPair
    """Crops ``[batch * w * h, 3, image_size, image_size]`` (or ``None``), global ``[batch, 3, base, base]``."""
    input_ids: torch.Tensor
    """``[batch, prefill_tokens]``: BOS, the image positions, the prompt text."""
    images_seq_mask: torch.Tensor
    """``[batch, prefill_tokens]`` bool, True at the image positions."""


class DeepseekOCRReference(nn.Module):
    """DeepSeek-OCR assembled from the project's reference modules, built on ``device``
    (``meta``: full size, no memory) with ``dtype`` parameters (random values off ``meta``).

    Example
    -------
    >>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
    >>> ref = DeepseekOCRReference(DeepseekOCRArch())
    >>> sum(p.numel() for p in ref.parameters())
    3336106240
    """

    def __init__(
        self,
        arch: DeepseekOCRArch,
        *,
        device: str | torch.device = "meta",
        dtype: torch.dtype | None = None,
        attn_implementation: str = "sdpa",
    ) -> None:
        super().__init__()
        self.arch = arch
        vision = build_vision_reference(arch.sam, arch.clip, arch.projector, device)
        text = build_text_reference(arch.language, device, attn_implementation)
        hidden = arch.language.hidden_size
        self.sam_model = vision.sam
        self.vision_model = vision.clip
        self.projector = vision.projector
        with torch.device(device):
            self.image_newline = nn.Parameter(torch.randn(hidden) / hidden**0.5)
            self.view_seperator = nn.Parameter(torch.randn(hidden) / hidden**0.5)
        self.embed_tokens = text.model.embed_tokens
        self.layers = text.model.layers
        self.norm = text.model.norm
        self.rotary_emb = text.model.rotary_emb
        self.lm_head = text.lm_head
        # The text model's forward (mask, positions, cache) is run through this object; it is not
        # registered, so its modules appear once, under the vendor's top-level names above.
        object.__setattr__(self, "_text", text)
        if dtype is not None:
            for param in self.parameters():
                param.data = param.data.to(dtype)
        self.eval()

    @property
    def text(self) -> TextReferenceLM:
        """The text half (``model`` + ``lm_head``) sharing this module's decoder modules."""
        text: TextReferenceLM = self.__dict__["_text"]
        return text

    @property
    def param_dtype(self) -> torch.dtype:
        """dtype of the parameters (inputs are made in it)."""
        return self.lm_head.weight.dtype

    @property
    def device(self) -> torch.device:
        """Device of the parameters."""
        return self.lm_head.weight.device

    def stage_roots(self, stage: str) -> dict[str, nn.Module]:
        """Top-level name -> module for the modules ``stage`` runs (:data:`STAGE_MODULES`)."""
        if stage not in STAGE_MODULES:
            raise ValueError(f"stage: unknown {stage!r}; allowed: {', '.join(STAGE_MODULES)}")
        return {name: getattr(self, name) for name in STAGE_MODULES[stage]}

    def stage_params(self, stage: str) -> int:
        """Parameters of the modules ``stage`` runs (each counted once)."""
        params = {id(p): p.numel() for m in self.stage_roots(stage).values() for p in m.parameters()}
        return sum(params.values())

    # ---- inputs --------------------------------------------------------------------
    def make_inputs(self, workload: OCRWorkload) -> ReferenceInputs:
        """Pixels, ids and image mask for ``workload`` on this module's device (empty tensors
        on ``meta``, random pixels elsewhere). Image positions follow BOS; the prompt text
        comes after them (the vendor's ``<image>\\n<|grounding|>...`` prompt order)."""
        w = workload
        dev, dt = self.device, self.param_dtype
        make = torch.empty if dev.type == "meta" else torch.randn
        crops = (
            make(w.batch_size * w.n_crops, 3, w.image_size, w.image_size, device=dev, dtype=dt) if w.n_crops else None
        )
        global_view = make(w.batch_size, 3, w.base_size, w.base_size, device=dev, dtype=dt)
        length = w.prefill_tokens
        image_id, prompt_id = self._token_ids()
        ids = torch.full((w.batch_size, length), prompt_id, dtype=torch.long, device=dev)
        mask = torch.zeros(w.batch_size, length, dtype=torch.bool, device=dev)
        ids[:, 0] = BOS_TOKEN_ID
        ids[:, 1 : 1 + w.image_tokens] = image_id
        mask[:, 1 : 1 + w.image_tokens] = True
        return ReferenceInputs(pixels=ViewPair(crops, global_view), input_ids=ids, images_seq_mask=mask)

    def _token_ids(self) -> tuple[int, int]:
        """The image and prompt ids, kept inside a smaller test vocabulary."""
        vocab = self.embed_tokens.num_embeddings
        return min(IMAGE_TOKEN_ID, vocab - 1), min(PROMPT_TOKEN_ID, vocab - 2)

    # ---- stages --------------------------------------------------------------------
    def run_sam(self, crops: torch.Tensor | None, global_view: torch.Tensor) -> ViewPair:
        """``sam_model`` on the crops (if any), then on the global views: ``[n, 1024, g/4, g/4]`` each."""
        local = self.sam_model(crops).last_hidden_state if crops is not None else None
        return ViewPair(local, self.sam_model(global_view).last_hidden_state)

    def run_clip(self, sam_out: ViewPair) -> ViewPair:
        """``vision_model`` on each SAM output: ``[n, (g/4)^2 + 1, 1024]`` (CLS first)."""
        local = self.vision_model(sam_out.crops) if sam_out.crops is not None else None
        return ViewPair(local, self.vision_model(sam_out.global_view))

    def _project(self, sam: torch.Tensor, clip: torch.Tensor) -> torch.Tensor:
        features = torch.cat([clip[:, 1:], sam.flatten(2).permute(0, 2, 1)], dim=-1)
        out: torch.Tensor = self.projector(features)
        return out

    def run_projector(self, sam_out: ViewPair, clip_out: ViewPair, crop_grid: tuple[int, int]) -> torch.Tensor:
        """Projector on each view, then each page's image rows ``[batch, image_tokens, hidden]``:
        local block (``crop_grid`` = (w, h), re-tiled row-major, newline per row), global block
        (newline per row), ``view_seperator``."""
        glob = self._project(sam_out.global_view, clip_out.global_view)
        batch, n_global, hidden = glob.shape
        blocks = [self._with_newlines(glob, tokens_side=round(n_global**0.5))]
        if sam_out.crops is not None and clip_out.crops is not None:
            local = self._project(sam_out.crops, clip_out.crops)
            w, h = crop_grid
            q = round(local.shape[1] ** 0.5)
            tiled = local.view(batch, h, w, q, q, hidden).permute(0, 1, 3, 2, 4, 5).reshape(batch, h * q, w * q, hidden)
            blocks.insert(0, self._append_newline(tiled))
        blocks.append(self.view_seperator.to(glob.dtype).expand(batch, 1, hidden))
        return torch.cat(blocks, dim=1)

    def _with_newlines(self, grid_rows: torch.Tensor, tokens_side: int) -> torch.Tensor:
        batch, _, hidden = grid_rows.shape
        return self._append_newline(grid_rows.view(batch, tokens_side, tokens_side, hidden))

    def _append_newline(self, grid: torch.Tensor) -> torch.Tensor:
        batch, rows, _, hidden = grid.shape
        newline = self.image_newline.to(grid.dtype).expand(batch, rows, 1, hidden)
        return torch.cat([grid, newline], dim=2).reshape(batch, -1, hidden)

    def run_prefill(
        self,
        input_ids: torch.Tensor | None = None,
        *,
        inputs_embeds: torch.Tensor | None = None,
        image_embeds: torch.Tensor | None = None,
        images_seq_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Decoder body over whole sequences: embed ``input_ids`` (or take ``inputs_embeds``),
        scatter ``image_embeds`` into ``images_seq_mask`` (as the vendor's
        ``masked_scatter_``), then the layers and ``norm`` with a causal mask. Returns the
        last hidden state ``[batch, length, hidden]``."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("run_prefill: give exactly one of input_ids and inputs_embeds")
        embeds = self.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds
        if image_embeds is not None:
            if images_seq_mask is None:
                raise ValueError("run_prefill: image_embeds needs images_seq_mask")
            embeds = scatter_image_rows(embeds, image_embeds, images_seq_mask)
        batch, length = embeds.shape[:2]
        positions = torch.arange(length, device=embeds.device).expand(batch, -1)
        out = self.text.model(
            inputs_embeds=embeds,
            attention_mask=causal_mask(batch, length, length, device=embeds.device),
            position_ids=positions,
            use_cache=False,
        )
        hidden: torch.Tensor = out.last_hidden_state
        return hidden

    def run_lm_head(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits of every position, fp32 (the vendor computes them for the whole prefill)."""
        logits: torch.Tensor = self.lm_head(hidden)
        return logits.float()

    def decode_cache(self, kv_len: int, batch: int) -> Any:
        """A ``DynamicCache`` holding ``kv_len - 1`` past tokens in every layer (random keys and
        values off ``meta``)."""
        if kv_len < 1:
            raise ValueError(f"kv_len: must be >= 1, got {kv_len}")
        cache = kv_cache(self.text.model.config, batch, kv_len - 1, device=self.device, dtype=self.param_dtype)
        if self.device.type != "meta":
            with torch.no_grad():
                for layer in cache.layers:
                    state: Any = layer  # a DynamicLayer: keys and values are set
                    state.keys.normal_()
                    state.values.normal_()
        return cache

    def run_decode_step(self, kv_len: int, batch: int, *, cache: Any = None) -> torch.Tensor:
        """One generated token per sequence with ``kv_len`` keys after appending it (a cache of
        ``kv_len - 1`` past tokens is built unless given): embedding, layers, norm, lm_head.
        Each sequence gets its own token (:meth:`decode_ids`), so a batch routes as different
        tokens do. Returns fp32 logits ``[batch, 1, vocab]``."""
        cache = self.decode_cache(kv_len, batch) if cache is None else cache
        ids = self.decode_ids(batch)
        logits: torch.Tensor = self.text(self.embed_tokens(ids), past_key_values=cache)
        return logits

    def decode_ids(self, batch: int) -> torch.Tensor:
        """``[batch, 1]`` input ids of a decode step, a different token per sequence: ``batch``
        consecutive ids ending at the prompt id (shifted to fit the vocabulary), one ``arange`` kernel."""
        vocab = self.embed_tokens.num_embeddings
        if batch > vocab:
            raise ValueError(f"decode batch {batch} exceeds the vocabulary ({vocab}): tokens cannot all differ")
        start = max(0, min(self._token_ids()[1] - batch + 1, vocab - batch))
        return torch.arange(start, start + batch, dtype=torch.long, device=self.device).view(batch, 1)

    def run_workload(self, workload: OCRWorkload) -> dict[str, torch.Tensor]:
        """Vision, prefill and LM head of ``workload`` in the vendor's order (no decode);
        stage name -> its main output."""
        inputs = self.make_inputs(workload)
        sam = self.run_sam(*inputs.pixels)
        clip = self.run_clip(sam)
        image = self.run_projector(sam, clip, workload.crop_grid)
        hidden = self.run_prefill(inputs.input_ids, image_embeds=image, images_seq_mask=inputs.images_seq_mask)
        return {
            "sam": sam.global_view,
            "clip": clip.global_view,
            "projector": image,
            "prefill": hidden,
            "lm_head": self.run_lm_head(hidden),
        }


def scatter_image_rows(embeds: torch.Tensor, image_embeds: torch.Tensor, images_seq_mask: torch.Tensor) -> torch.Tensor:
    """``embeds`` with the rows of ``image_embeds`` written, in order, at the positions where
    ``images_seq_mask`` is True (the vendor's ``masked_scatter_``)."""
    return embeds.masked_scatter(images_seq_mask.unsqueeze(-1), image_embeds.to(embeds.dtype))


__all__ = [
    "BOS_TOKEN_ID",
    "IMAGE_TOKEN_ID",
    "STAGE_MODULES",
    "DeepseekOCRReference",
    "ReferenceInputs",
    "ViewPair",
    "scatter_image_rows",
]
