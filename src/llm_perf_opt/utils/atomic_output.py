"""Write an output directory atomically: everything goes to a temporary sibling directory that
is renamed into place only when complete, so a failed run leaves no partial directory (and no
parent directories it created). The directory gets the permissions the user's umask gives a new
directory, and the debris of an earlier run killed half-way (``.<name>.tmp-*``, ``.<name>.old-*``
siblings) is removed.

Example
-------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> written = write_directory(root / "a" / "out", {"x.txt": "hello\\n", "sub/y.txt": "y\\n"})
>>> sorted(p.relative_to(root).as_posix() for p in (root / "a").rglob("*"))
['a/out', 'a/out/sub', 'a/out/sub/y.txt', 'a/out/x.txt']
>>> [(f.path, f.bytes) for f in written]
[('sub/y.txt', 2), ('x.txt', 6)]
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from llm_perf_opt.data.run_manifest import ManifestFile
from llm_perf_opt.utils.input_error import InputError

REPLACEABLE_MARKER = "manifest.json"
"""An existing non-empty target is replaced only if it holds this file (an earlier run's output)."""


def _missing_ancestors(path: Path) -> list[Path]:
    out = []
    for p in [path, *path.parents]:
        if p.exists():
            break
        out.append(p)
    return out


def write_directory(
    target: Path,
    files: Mapping[str, str | bytes],
    *,
    last: Callable[[tuple[ManifestFile, ...]], tuple[str, str]] | None = None,
    marker: str = REPLACEABLE_MARKER,
) -> tuple[ManifestFile, ...]:
    """Write ``files`` (relative path -> text or bytes) as directory ``target``.

    An existing ``target`` is replaced when it is empty or an earlier output (it holds
    ``marker``, :data:`REPLACEABLE_MARKER` by default); any other existing path is refused
    with an ``InputError``.

    ``last``, when given, receives the written files' records (sorted by path) and returns
    one more ``(relative path, text)`` to write (the manifest). Returns the records of
    ``files``.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise InputError(f"--output-dir: {target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not (target / marker).is_file():
        raise InputError(
            f"--output-dir: {target} exists, is not empty and holds no {marker} "
            "(not an earlier output); choose another directory or remove it"
        )
    created = _missing_ancestors(target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_debris(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(_new_directory_mode())  # mkdtemp makes 0700; a plain mkdir follows the umask
    try:
        records = []
        for rel, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            records.append(ManifestFile(path=rel, bytes=len(data), sha256=hashlib.sha256(data).hexdigest()))
        written = tuple(sorted(records, key=lambda r: r.path))
        if last is not None:
            rel, text = last(written)
            (tmp / rel).write_text(text, encoding="utf-8")
        _swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for p in created:
            try:
                p.rmdir()
            except OSError:
                break
        raise
    return written


def _new_directory_mode() -> int:
    """The mode ``mkdir`` gives a new directory under the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _remove_debris(target: Path) -> None:
    """Remove the temporary siblings an earlier write of ``target`` left when it was killed half-way."""
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for stale in target.parent.glob(pattern):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)


def _swap_into_place(tmp: Path, target: Path) -> None:
    if not target.exists():
        tmp.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        tmp.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
