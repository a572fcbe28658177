"""``RunManifest``: ``manifest.json``, the run's metadata (the only output that changes between
identical runs).

Example
-------
>>> m = RunManifest(run_id="r", generated_at="2025-01-01T00:00:00Z", command_line=("dsocr-analyzer",),
...                 versions={"python": "3.11"}, files=(ManifestFile(path="summary.json", bytes=2, sha256="0" * 64),))
>>> m.files[0].path
'summary.json'
"""

from __future__ import annotations

import re
from typing import Any

import attrs
from attrs import define, field

from llm_perf_opt.data._validators import non_empty_str, non_negative_int

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _sha256(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _SHA256.match(value):
        raise ValueError(f"sha256: must be 64 lower-case hex digits, got {value!r}")


@define(frozen=True, kw_only=True)
class ManifestFile:
    """An output file (path relative to the output directory), its size and SHA-256.

    Example
    -------
    >>> ManifestFile(path="a", bytes=1, sha256="x")
    Traceback (most recent call last):
    ...
    ValueError: sha256: must be 64 lower-case hex digits, got 'x'
    """

    path: str = field(validator=non_empty_str)
    bytes: int = field(validator=non_negative_int)
    sha256: str = field(validator=_sha256)


@define(frozen=True, kw_only=True)
class RunManifest:
    """When and how a run happened, and what it wrote.

    Parameters
    ----------
    run_id
        The run id (deterministic from the inputs unless ``--run-id`` was given).
    generated_at
        UTC time, ISO 8601.
    command_line
        ``sys.argv`` (or the argument list given to ``main``).
    versions
        Package and interpreter versions.
    files
        Every other file written, sorted by path.

    Example
    -------
    >>> RunManifest(run_id="", generated_at="t", command_line=(), versions={}, files=())
    Traceback (most recent call last):
    ...
    ValueError: run_id: must be a non-empty string, got ''
    """

    run_id: str = field(validator=non_empty_str)
    generated_at: str = field(validator=non_empty_str)
    command_line: tuple[str, ...] = ()
    versions: dict[str, str] = field(factory=dict)
    files: tuple[ManifestFile, ...] = ()
