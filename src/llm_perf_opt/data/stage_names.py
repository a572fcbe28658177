"""The stage names (report and summary contract), in execution order, and the stage groups: one definition,
the analytic model's (:data:`modelmeter.models.deepseek_ocr.layers.core.STAGES`), re-exported here for the data
records.

Example
-------
>>> STAGE_NAMES[0], STAGE_NAMES[-1], FIRST_TOKEN_STAGES[-1]
('sam', 'decode', 'lm_head')
"""

from __future__ import annotations

from modelmeter.models.deepseek_ocr.layers.core.deepseek_ocr_model import STAGES

STAGE_NAMES: tuple[str, ...] = STAGES
"""``sam``, ``clip``, ``projector``, ``prefill``, ``lm_head``, ``decode``."""

VISION_STAGES: tuple[str, ...] = STAGE_NAMES[:3]
"""The vision stages: SAM, CLIP and the projector."""
FIRST_TOKEN_STAGES: tuple[str, ...] = STAGE_NAMES[:5]
"""The stages before the first token (the prefill's logits give it); ``decode`` makes the rest."""
