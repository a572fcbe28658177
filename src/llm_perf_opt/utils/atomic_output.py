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

import contextlib
import fnmatch
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
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
    owned: Iterable[str] = (),
    force: bool = False,
    flag: str = "--output-dir",
) -> tuple[ManifestFile, ...]:
    """Write ``files`` (relative path -> text or bytes) as directory ``target``.

    A missing or empty ``target`` is written whole and renamed into place; so is an earlier output (it holds
    ``marker``, :data:`REPLACEABLE_MARKER` by default) all of whose files an earlier run wrote: the names of
    ``files``, the manifest's, those the earlier ``manifest.json`` lists, and those matching a pattern of
    ``owned`` (``fnmatch``, e.g. ``plots/*``). Any other existing directory (no marker, or a file no run wrote)
    is refused with an ``InputError`` naming ``flag`` -- unless ``force``, which writes each file into it (each
    through a temporary sibling) and keeps every file it did not write. A path that is a file, a dangling
    link, or under a file is refused.

    ``last``, when given, receives the written files' records (sorted by path) and returns
    one more ``(relative path, text)`` to write (the manifest). Returns the records of
    ``files``.
    """
    target = Path(target)
    check_output_path(target, flag=flag, directory=True)
    foreign = _foreign_entries(target, files, marker, owned)
    if foreign and not force:
        raise _refusal(target, foreign[0], marker, flag)
    if foreign:
        return _write_into(target, files, last)
    created = _missing_ancestors(target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_debris(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(_new_directory_mode())  # mkdtemp makes 0700; a plain mkdir follows the umask
    try:
        written = _fill(tmp, files, last)
        _swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_created(created)
        raise
    return written


def check_output_directory(target: Path, *, marker: str = REPLACEABLE_MARKER, force: bool, flag: str) -> None:
    """What :func:`write_directory` would refuse whatever it writes, checked before the work: a path that cannot
    be a directory (:func:`check_output_path`), and without ``force`` a non-empty directory holding no
    ``marker`` (``InputError`` naming ``flag``)."""
    target = Path(target)
    check_output_path(target, flag=flag, directory=True)
    if not force and target.is_dir() and not (target / marker).is_file():
        first = next(iter(target.iterdir()), None)
        if first is not None:
            raise _refusal(target, first.name, marker, flag)


def _refusal(target: Path, foreign: str, marker: str, flag: str) -> InputError:
    why = (
        f"holds {foreign}, which no earlier run wrote"
        if (target / marker).is_file()
        else f"is not empty and holds no {marker} (not an earlier output)"
    )
    return InputError(
        f"{flag}: {target} {why}; choose another directory, move it away, or give --force "
        "(writes into the directory, keeping its other files)"
    )


def _fill(
    root: Path,
    files: Mapping[str, str | bytes],
    last: Callable[[tuple[ManifestFile, ...]], tuple[str, str]] | None,
    *,
    in_place: bool = False,
) -> tuple[ManifestFile, ...]:
    """Write ``files`` (and ``last``'s file) under ``root``: plainly into a fresh temporary directory, or
    ``in_place`` into an existing one, each through a temporary sibling renamed over the file."""
    write = _replace_file if in_place else Path.write_bytes
    records = []
    for rel, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path, data)
        records.append(ManifestFile(path=rel, bytes=len(data), sha256=hashlib.sha256(data).hexdigest()))
    written = tuple(sorted(records, key=lambda r: r.path))
    if last is not None:
        rel, text = last(written)
        write(root / rel, text.encode("utf-8"))
    return written


def _write_into(
    target: Path,
    files: Mapping[str, str | bytes],
    last: Callable[[tuple[ManifestFile, ...]], tuple[str, str]] | None,
) -> tuple[ManifestFile, ...]:
    """``--force`` into a directory holding files no run wrote: each file replaced in place, nothing removed."""
    for rel in files:
        if (target / rel).is_dir():
            raise InputError(f"--force: {target / rel} is a directory; the output needs a file there")
    return _fill(target, files, last, in_place=True)


def _foreign_entries(target: Path, files: Mapping[str, str | bytes], marker: str, owned: Iterable[str]) -> list[str]:
    """Files of an existing ``target`` that no run of this writer wrote (sorted); empty for a missing or empty
    directory and for an earlier output holding only its own files."""
    if not target.is_dir():
        return []
    first = next(iter(target.iterdir()), None)
    if first is None:
        return []
    if not (target / marker).is_file():  # not an earlier output: its first entry is enough to refuse it
        return [first.name]
    present = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if not p.is_dir() or p.is_symlink())
    ours = {*files, marker, *_listed_in_manifest(target / REPLACEABLE_MARKER)}
    patterns = tuple(owned)
    return [rel for rel in present if rel not in ours and not any(fnmatch.fnmatchcase(rel, pat) for pat in patterns)]


def _listed_in_manifest(path: Path) -> list[str]:
    """The file names an earlier run's ``manifest.json`` lists (none when it is absent or unreadable)."""
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [str(f["path"]) for f in data["files"]] + [path.name]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def check_output_path(path: Path, *, flag: str, directory: bool) -> None:
    """Refuse, before anything is computed, an output path that cannot be written: a file where a directory is
    wanted (or the reverse), a dangling symbolic link, a path under a file, or an existing parent this process
    may not write in. ``InputError`` naming ``flag``.

    Example
    -------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "afile").write_text("x")
    >>> check_output_path(root / "afile" / "out", flag="--output-dir", directory=True)
    Traceback (most recent call last):
    ...
    llm_perf_opt.utils.input_error.InputError: --output-dir: .../afile is a file, not a directory
    """
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise InputError(f"{flag}: {path} is a dangling symbolic link; remove it or choose another path")
    if directory and path.exists() and not path.is_dir():
        raise InputError(f"{flag}: {path} exists and is not a directory")
    if not directory and path.is_dir():
        raise InputError(f"{flag}: {path} is a directory; give a file path")
    for parent in path.parents:
        if parent.is_symlink() and not parent.exists():
            raise InputError(f"{flag}: {parent} is a dangling symbolic link")
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{flag}: {parent} is a file, not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise InputError(f"{flag}: cannot write in {parent} (permission denied)")
            break


def write_file(path: Path, content: str | bytes, *, flag: str) -> None:
    """Write one file through a temporary sibling renamed into place (never half a file, no temporary left),
    creating its missing parents (removed again on failure); the path is checked first
    (:func:`check_output_path`).

    Example
    -------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> write_file(root / "a" / "x.json", "{}\\n", flag="--output")
    >>> sorted(p.name for p in root.rglob("*"))
    ['a', 'x.json']
    """
    path = Path(path)
    check_output_path(path, flag=flag, directory=False)
    created = _missing_ancestors(path.parent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace_file(path, content.encode("utf-8") if isinstance(content, str) else content)
    except BaseException:
        _remove_created(created)
        raise


def _replace_file(path: Path, data: bytes) -> None:
    """``data`` as ``path``, through a temporary sibling renamed over it (with the mode a new file gets)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(name, 0o666 & ~_umask())
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _remove_created(created: list[Path]) -> None:
    """Remove the (empty) directories a failed write created, innermost first."""
    for p in created:
        try:
            p.rmdir()
        except OSError:
            break


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _new_directory_mode() -> int:
    """The mode ``mkdir`` gives a new directory under the process's umask."""
    return 0o777 & ~_umask()


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
