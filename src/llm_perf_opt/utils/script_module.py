"""Load a script of ``scripts/`` (not a package) as a module, so tests and other scripts can call its
functions.

Example
-------
>>> from pathlib import Path
>>> load_script(Path(__file__)).load_script.__name__
'load_script'
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def load_script(path: Path) -> ModuleType:
    """The Python file at ``path``, executed as a module named after its stem."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as a module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
