"""Records stored one per YAML file, named by the file's stem (``conf/hardware/h100-sxm.yaml``
holds ``name: h100-sxm``): listing, lookup by name, the name-matches-file check, and telling a
name from a path on the command line.

Example
-------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "b.yaml").write_text("name: b"), (root / "a.yaml").write_text("name: a")
>>> yaml_stems(root), named_file(root, "b", kind="hardware").name
(['a', 'b'], 'b.yaml')
>>> named_file(root, "c", kind="hardware")
Traceback (most recent call last):
...
ValueError: unknown hardware 'c'; known: a, b
>>> looks_like_path("h100-sxm"), looks_like_path("my-gpu.yaml"), looks_like_path("conf/x")
(False, True, True)
"""

from __future__ import annotations

from pathlib import Path


def yaml_stems(root: Path) -> list[str]:
    """Names of the ``*.yaml`` records in ``root``, sorted."""
    return sorted(p.stem for p in root.glob("*.yaml"))


def named_file(root: Path, name: str, *, kind: str) -> Path:
    """The file of record ``name``; ``ValueError`` (``unknown <kind> ...; known: ...``) when absent."""
    known = yaml_stems(root)
    if name not in known:
        raise ValueError(f"unknown {kind} {name!r}; known: {', '.join(known)}")
    return root / f"{name}.yaml"


def check_name_matches_file(path: Path, name: str) -> None:
    """``ValueError`` naming the file when the record's ``name`` is not the file's stem."""
    if name != path.stem:
        raise ValueError(f"{path}: name {name!r} differs from the file name {path.stem!r}")


def looks_like_path(text: str) -> bool:
    """Whether a command-line value names a file (ends in ``.yaml``/``.yml`` or holds a ``/``)
    rather than a packaged record; a record's name never does either."""
    return text.endswith((".yaml", ".yml")) or "/" in text


def user_file(text: str, *, kind: str) -> Path:
    """The existing file ``text`` names; ``ValueError`` (``no such <kind> file ...``) otherwise."""
    path = Path(text)
    if not path.exists():  # a directory or a named pipe is refused, as not a regular file, by the reader
        raise ValueError(f"no such {kind} file {text!r}")
    return path
