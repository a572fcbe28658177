"""The DeepSeek-OCR-2 aggregator and its vision stage composite."""

from modelmeter.models.deepseek_ocr2.layers.core.deepseek_ocr2_model import STAGES, DeepseekOCR2Model
from modelmeter.models.deepseek_ocr2.layers.core.vision_stage import VISION_STAGES, DeepseekOCR2VisionStage

__all__ = ["STAGES", "VISION_STAGES", "DeepseekOCR2Model", "DeepseekOCR2VisionStage"]
