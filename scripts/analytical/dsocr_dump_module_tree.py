"""Dump the module tree of DeepSeek-OCR tagged by stage.

Usage:
    python scripts/analytical/dsocr_dump_module_tree.py [--model CHECKPOINT_DIR] [--output-dir DIR]

Without ``--model`` the project's PyTorch reference is built on the meta device; with it, the
vendor's own code from a local checkpoint directory (trust_remote_code; never a hub download).
The logic lives in :mod:`llm_perf_opt.reference.module_tree`.
"""

from __future__ import annotations

import sys

from llm_perf_opt.reference.module_tree import main

if __name__ == "__main__":
    sys.exit(main())
