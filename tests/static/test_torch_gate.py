"""Without torch, the counted and verify modes stop with one line naming the extra (exit 2)."""

from __future__ import annotations

import subprocess
import sys

from llm_perf_opt.runners.torch_gate import VALIDATION_EXTRA_INSTALL, missing_torch_message, torch_available

BLOCK_TORCH = "import sys; sys.modules['torch'] = None\n"


def _run_without_torch(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK_TORCH + code], capture_output=True, text=True, check=False)


def test_torch_is_available_here() -> None:
    assert torch_available()


def test_require_torch_exits_2_with_one_line() -> None:
    proc = _run_without_torch("from llm_perf_opt.runners.torch_gate import require_torch\nrequire_torch('static')\n")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [missing_torch_message("static")]
    assert VALIDATION_EXTRA_INSTALL == 'pip install -e ".[validation]"'
    assert proc.stderr.rstrip().endswith(VALIDATION_EXTRA_INSTALL)


def test_static_and_verify_entry_points_are_gated() -> None:
    for mode, call in (
        ("static", "from llm_perf_opt.runners.static_mode import run_static_mode as run"),
        ("verify", "from llm_perf_opt.runners.verify_mode import run_verify as run"),
    ):
        code = (
            f"{call}\n"
            "from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch\n"
            "from modelmeter.models.deepseek_ocr.workload import OCRWorkload\n"
            "run(DeepseekOCRArch(), OCRWorkload(), '/nonexistent-output')\n"
        )
        proc = _run_without_torch(code)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.splitlines() == [missing_torch_message(mode)]
