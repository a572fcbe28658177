"""Shared fixtures: the read-only reference data beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = REPO_ROOT.parent / "shared" / "reference"
TORCHINFO_REFERENCE = SHARED_REFERENCE / "deepseek-ocr-torchinfo"


@pytest.fixture
def torchinfo_reference_dir() -> Path:
    """The real checkpoint's TorchInfo artifacts; skips (saying why) when absent."""
    if not (TORCHINFO_REFERENCE / "torchinfo-summary.txt").is_file():
        pytest.skip(f"reference data absent: {TORCHINFO_REFERENCE} (../shared/reference is not beside this checkout)")
    return TORCHINFO_REFERENCE
