"""Shared fixtures: the read-only reference data beside the checkout, and the mark of tests that hold for one
release of a third-party library only."""

from __future__ import annotations

import importlib.metadata
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


def holds_for_release(package: str, version: str, what: str) -> pytest.MarkDecorator:
    """Skip, saying why, unless ``package`` is installed at exactly ``version``: for tests of what a library
    does inside (its Python-level calls, its kernel lists), which a new release may change without changing
    any result. ``requirements/lock.txt`` installs the release such tests hold for."""
    try:
        installed = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        installed = "not installed"
    return pytest.mark.skipif(
        installed != version,
        reason=f"{what} holds for {package} {version} (the runtime profiles were measured with it); "
        f"installed: {installed}",
    )
