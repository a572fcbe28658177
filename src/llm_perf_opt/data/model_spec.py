"""``DeepSeekOCRModelSpec``: which model a report describes (DeepSeek-OCR or DeepSeek-OCR-2) and where its
numbers come from.

Example
-------
>>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
>>> spec = DeepSeekOCRModelSpec(name="deepseek-ai/DeepSeek-OCR", config_source="embedded", arch=DeepseekOCRArch())
>>> spec.arch.language.n_routed_experts, spec.family.key
(64, 'deepseek-ocr')
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import non_empty_str
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr2.config import DeepseekOCR2Arch
from modelmeter.models.families import ModelFamily, OCRArch, family_of


@define(frozen=True, kw_only=True)
class DeepSeekOCRModelSpec:
    """The analysed model.

    Parameters
    ----------
    name
        Model id (``deepseek-ai/DeepSeek-OCR`` or ``deepseek-ai/DeepSeek-OCR-2`` for the released checkpoints).
    config_source
        Where the architecture was read: the embedded default
        (``conf/model/deepseek_ocr/arch/deepseek_ocr.default.yaml``) or a ``config.json`` path.
    arch
        The architecture numbers (vision encoders, projector, language model): a
        :class:`~modelmeter.models.deepseek_ocr.config.DeepseekOCRArch` (DeepSeek-OCR) or a
        :class:`~modelmeter.models.deepseek_ocr2.config.DeepseekOCR2Arch` (DeepSeek-OCR-2).

    Example
    -------
    >>> DeepSeekOCRModelSpec(name="", config_source="x", arch=DeepseekOCRArch())
    Traceback (most recent call last):
    ...
    ValueError: name: must be a non-empty string, got ''
    """

    name: str = field(validator=non_empty_str)
    config_source: str = field(validator=non_empty_str)
    arch: OCRArch = field(validator=instance_of((DeepseekOCRArch, DeepseekOCR2Arch)))

    @property
    def family(self) -> ModelFamily:
        """Which model the architecture is (:data:`modelmeter.models.families.FAMILIES`)."""
        return family_of(self.arch)
