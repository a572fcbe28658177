"""The analytic path must never import torch (it must stay fast)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import modelmeter

PKG_ROOT = Path(modelmeter.__file__).resolve().parent


def _analytic_modules() -> list[str]:
    mods = []
    for path in sorted(PKG_ROOT.rglob("*.py")):
        rel = path.relative_to(PKG_ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if "validation" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods.append(".".join(parts))
    return mods


def test_import_modelmeter_and_every_analytic_module_leaves_torch_out() -> None:
    mods = _analytic_modules()
    assert "modelmeter.layers.base" in mods
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in mods)
        + ("bad = [m for m in sys.modules if m == 'torch' or m.startswith('torch.')]\nprint(len(bad))\n")
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0", out.stdout + out.stderr


def test_validation_package_imports_torch_lazily() -> None:
    code = "import sys, modelmeter.validation\nprint('torch' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
