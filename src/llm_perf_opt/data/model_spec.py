"""``DeepSeekOCRModelSpec``: which model a report describes and where its numbers come from.

Example
-------
>>> from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
>>> spec = DeepSeekOCRModelSpec(name="deepseek-ai/DeepSeek-OCR", config_source="embedded", arch=DeepseekOCRArch())
>>> spec.arch.language.n_routed_experts
64
"""

from __future__ import annotations

from attrs import define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import non_empty_str
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch


@define(frozen=True, kw_only=True)
class DeepSeekOCRModelSpec:
    """The analysed model.

    Parameters
    ----------
    name
        Model id (``deepseek-ai/DeepSeek-OCR`` for the released checkpoint).
    config_source
        Where the architecture was read: the embedded default
        (``conf/model/deepseek_ocr/arch/deepseek_ocr.default.yaml``) or a ``config.json`` path.
    arch
        The architecture numbers (vision encoders, projector, language model).

    Example
    -------
    >>> DeepSeekOCRModelSpec(name="", config_source="x", arch=DeepseekOCRArch())
    Traceback (most recent call last):
    ...
    ValueError: name: must be a non-empty string, got ''
    """

    name: str = field(validator=non_empty_str)
    config_source: str = field(validator=non_empty_str)
    arch: DeepseekOCRArch = field(validator=instance_of(DeepseekOCRArch))
