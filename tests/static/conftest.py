"""Fixtures of the counted-mode tests: one full-size reference on the meta device per session."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("torch", reason="the counted-mode tests need the validation extra (torch)")
pytest.importorskip("transformers", reason="the counted-mode tests need the validation extra (transformers)")


@pytest.fixture(scope="session")
def meta_reference() -> Any:
    """``DeepseekOCRReference`` at the checkpoint's sizes on ``meta`` (no memory)."""
    from llm_perf_opt.reference.model import DeepseekOCRReference
    from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch

    return DeepseekOCRReference(DeepseekOCRArch(), device="meta")
