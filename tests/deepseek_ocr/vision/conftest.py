"""Fixtures of the vision parity tests: full-size reference modules on the meta device, built once."""

from __future__ import annotations

from typing import Any

import pytest

from llm_perf_opt.reference.vision import (
    build_clip_block_reference,
    build_clip_reference,
    build_projector_reference,
    build_sam_reference,
)
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch

VIEWS: list[tuple[str, int, int]] = [
    # (mode, images in one SAM call, image side): every SAM input DeepSeek-OCR produces
    ("tiny", 1, 512),
    ("small", 1, 640),
    ("base", 1, 1024),
    ("large", 1, 1280),
    ("gundam_crops_2x2", 4, 640),
]


@pytest.fixture(params=VIEWS, ids=[v[0] for v in VIEWS])
def view(request: pytest.FixtureRequest) -> tuple[str, int, int]:
    """One DeepSeek-OCR view: ``(mode, batch, image_size)``."""
    value: tuple[str, int, int] = request.param
    return value


@pytest.fixture(scope="session")
def arch() -> DeepseekOCRArch:
    """The released checkpoint's architecture."""
    return DeepseekOCRArch()


@pytest.fixture(scope="session")
def sam_ref(arch: DeepseekOCRArch) -> Any:
    """transformers' DeepseekOcr2SamVisionEncoder configured like DeepSeek-OCR's SAM (meta)."""
    return build_sam_reference(arch.sam)


@pytest.fixture(scope="session")
def clip_ref(arch: DeepseekOCRArch) -> Any:
    """CLIP-L on SAM features (meta)."""
    return build_clip_reference(arch.clip)


@pytest.fixture(scope="session")
def clip_block_ref(arch: DeepseekOCRArch) -> Any:
    """One transformers CLIPEncoderLayer with QuickGELU (meta)."""
    return build_clip_block_reference(arch.clip)


@pytest.fixture(scope="session")
def projector_ref(arch: DeepseekOCRArch) -> Any:
    """The linear projector (meta)."""
    return build_projector_reference(arch.projector)
