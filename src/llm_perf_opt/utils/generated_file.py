"""Generated documentation files: write them, or check that the committed copy is current.

Example
-------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "doc.md"
>>> write_or_check(path, "text\\n", check=False, regenerate="gen.py"), write_or_check(path, "text\\n", check=True,
...     regenerate="gen.py")
(0, 0)
"""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(path: Path, text: str, *, check: bool, regenerate: str) -> int:
    """Write ``text`` to ``path`` (0), or with ``check`` compare: 0 when equal, else 1 with a
    one-line message naming ``regenerate``, the command that rewrites it."""
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            print(f"{path} is stale: run {regenerate}", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    return 0
