"""The aggregator and its stage composites."""

from modelmeter.models.deepseek_ocr.layers.core.decode import DeepseekOCRDecode, DeepseekOCRDecodeStep
from modelmeter.models.deepseek_ocr.layers.core.deepseek_ocr_model import STAGES, DeepseekOCRModel
from modelmeter.models.deepseek_ocr.layers.core.deepseek_v2_model import DeepseekV2Model
from modelmeter.models.deepseek_ocr.layers.core.vision_stage import VISION_STAGES, VisionStage

__all__ = [
    "STAGES",
    "VISION_STAGES",
    "DeepseekOCRDecode",
    "DeepseekOCRDecodeStep",
    "DeepseekOCRModel",
    "DeepseekV2Model",
    "VisionStage",
]
