"""The stage names of report schema version 1, in execution order.

They are part of the report and summary contract, so they are spelled out here rather than
imported from the analytic model; a test checks they equal
``modelmeter.models.deepseek_ocr.layers.core.STAGES``.

Example
-------
>>> STAGE_NAMES[0], STAGE_NAMES[-1]
('sam', 'decode')
"""

from __future__ import annotations

STAGE_NAMES: tuple[str, ...] = ("sam", "clip", "projector", "prefill", "lm_head", "decode")

VISION_STAGES: tuple[str, ...] = ("sam", "clip", "projector")
"""The vision stages: SAM, CLIP and the projector."""
FIRST_TOKEN_STAGES: tuple[str, ...] = (*VISION_STAGES, "prefill", "lm_head")
"""The stages before the first token (the prefill's logits give it); ``decode`` makes the rest."""
