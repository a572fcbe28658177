"""Records stored one per YAML file, named by the file's stem (``conf/hardware/h100-sxm.yaml``
holds ``name: h100-sxm``): listing, lookup by name, and the name-matches-file check.

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
