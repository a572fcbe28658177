"""The stage names (report and summary contract), in execution order, and the stage groups: one definition,
the analytic models' (:data:`modelmeter.models.families.FAMILIES`), re-exported here for the data records.

DeepSeek-OCR (v1) runs ``sam, clip, projector, prefill, lm_head, decode``; DeepSeek-OCR-2 runs ``qwen2`` (its
Qwen2 encoder) where v1 runs ``clip``. :data:`STAGE_NAMES` is v1's order (the default model),
:data:`ALL_STAGE_NAMES` every model's, :data:`MODEL_STAGES` each model's.

Example
-------
>>> STAGE_NAMES[0], STAGE_NAMES[-1], FIRST_TOKEN_STAGES[-1]
('sam', 'decode', 'lm_head')
>>> ALL_STAGE_NAMES
('sam', 'clip', 'qwen2', 'projector', 'prefill', 'lm_head', 'decode')
>>> vision_stages(MODEL_STAGES["deepseek-ocr-2"])
('sam', 'qwen2', 'projector')
"""

from __future__ import annotations

from modelmeter.models.families import ALL_STAGES, FAMILIES, V1

MODEL_STAGES: dict[str, tuple[str, ...]] = {key: f.stages for key, f in FAMILIES.items()}
"""Model key -> its stage names, in execution order."""
STAGE_NAMES: tuple[str, ...] = MODEL_STAGES[V1]
"""``sam``, ``clip``, ``projector``, ``prefill``, ``lm_head``, ``decode`` (DeepSeek-OCR, the default model)."""
ALL_STAGE_NAMES: tuple[str, ...] = ALL_STAGES
"""Every model's stage names, in execution order: what a record's ``stage`` field accepts."""


def vision_stages(stages: tuple[str, ...]) -> tuple[str, ...]:
    """The vision stages of a model's stage order (the first three: SAM, the second encoder, the projector)."""
    return stages[:3]


def first_token_stages(stages: tuple[str, ...]) -> tuple[str, ...]:
    """The stages before the first token (vision, prefill, LM head: the prefill's logits give it)."""
    return stages[:5]


VISION_STAGES: tuple[str, ...] = vision_stages(STAGE_NAMES)
"""The vision stages of DeepSeek-OCR: SAM, CLIP and the projector."""
FIRST_TOKEN_STAGES: tuple[str, ...] = first_token_stages(STAGE_NAMES)
"""DeepSeek-OCR's stages before the first token (the prefill's logits give it); ``decode`` makes the rest."""
