"""Guard for the modes that need PyTorch (counted ``static`` and ``verify``).

The analytic path never imports torch; these modes do. Without it they stop with one line
naming the extra that installs it, and exit status 2.

Example
-------
>>> missing_torch_message("verify").startswith("error: --mode verify needs PyTorch")
True
>>> missing_torch_message("verify").endswith('install the validation extra: pip install -e ".[validation]"')
True
"""

from __future__ import annotations

import importlib
import sys

VALIDATION_EXTRA_INSTALL = 'pip install -e ".[validation]"'
"""The command that installs torch, transformers and the other validation dependencies."""
TORCH_MISSING_EXIT = 2
REQUIRED_MODULES: tuple[str, ...] = ("torch", "transformers")


def missing_torch_message(mode: str) -> str:
    """The one-line error printed when ``mode`` cannot import its dependencies."""
    return (
        f"error: --mode {mode} needs PyTorch and transformers, which are not installed; "
        f"install the validation extra: {VALIDATION_EXTRA_INSTALL}"
    )


def torch_available() -> bool:
    """Whether every module of :data:`REQUIRED_MODULES` imports."""
    try:
        for name in REQUIRED_MODULES:
            importlib.import_module(name)
    except ImportError:
        return False
    return True


def require_torch(mode: str) -> None:
    """Return when torch and transformers import; otherwise print
    :func:`missing_torch_message` to stderr and exit with status 2."""
    if not torch_available():
        print(missing_torch_message(mode), file=sys.stderr)
        raise SystemExit(TORCH_MISSING_EXIT)
