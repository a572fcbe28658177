"""Load runtime profiles by name from ``conf/runtimes/<name>.yaml``.

The profiles: ``hf-eager`` (the vendor's Hugging Face code, eager), ``hf-fa2`` (the same code with
FlashAttention-2 in the decoder, as the vendor's run script loads it; not validated), ``hf-sdpa`` (the project's
PyTorch reference on transformers' SDPA and grouped-GEMM experts, as measured on the H100),
``hf-sdpa-graph`` (the same replayed as CUDA graphs) and ``fused`` (a serving engine's fused path). Each file holds one
:class:`~llm_perf_opt.data.runtime_profile.RuntimeProfile` whose ``name`` equals the file's stem,
parsed with PyYAML's safe loader (libyaml's where present; anchors and ``<<:`` merge keys work) and
structured by the strict converter of :mod:`llm_perf_opt.contracts.runtime_converter`.
A profile with ``base: <name>`` starts from that profile's ``layers``, ``generate`` loop, ``autocast`` and
``grad_mode``; its own entries replace the base's under the same key, and its own ``generate`` (``null`` for none)
the base's (resolved here, recursively; a cycle is an error).

Example
-------
>>> list_runtimes()
['fused', 'hf-eager', 'hf-fa2', 'hf-sdpa', 'hf-sdpa-graph']
>>> load_runtime("hf-eager").decoder_attention
'eager'
>>> load_runtime("vllm")
Traceback (most recent call last):
...
ValueError: unknown runtime profile 'vllm'; known: fused, hf-eager, hf-fa2, hf-sdpa, hf-sdpa-graph
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from llm_perf_opt.contracts.yaml_input import load_yaml, read_input_file
from llm_perf_opt.utils.named_files import check_name_matches_file, looks_like_path, named_file, user_file, yaml_stems
from llm_perf_opt.utils.packaged_defaults import conf_dir

if TYPE_CHECKING:  # the records and their converter are imported when a profile is read (listing names is light)
    from llm_perf_opt.data.runtime_profile import RuntimeProfile

RUNTIMES_DIR = conf_dir("runtimes")
"""The packaged runtime profiles (``conf/runtimes``)."""

DEFAULT_RUNTIME = "fused"
"""The profile the analyzer uses when none is named."""


def list_runtimes(directory: Path | None = None) -> list[str]:
    """Names of the profiles in ``directory`` (default :data:`RUNTIMES_DIR`), sorted."""
    return yaml_stems(RUNTIMES_DIR if directory is None else directory)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(read_input_file(path))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: {' '.join(str(exc).split())}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _resolved_data(name: str, root: Path, seen: tuple[str, ...]) -> dict[str, Any]:
    known = list_runtimes(root)
    if name not in known:
        via = f" (base of {seen[-1]!r})" if seen else ""
        raise ValueError(f"unknown runtime profile {name!r}{via}; known: {', '.join(known)}")
    if name in seen:
        raise ValueError(f"runtime profile {name!r}: base cycle {' -> '.join((*seen, name))}")
    path = root / f"{name}.yaml"
    data = _read(path)
    base = data.get("base")
    if base is None:
        return data
    if not isinstance(base, str):
        raise ValueError(f"{path}: base: expected a profile name, got {base!r}")
    # a base is looked up beside the file first, then among the packaged profiles (a user's own file
    # may start from a packaged profile)
    parent = _resolved_data(base, root if base in list_runtimes(root) else RUNTIMES_DIR, (*seen, name))
    layers = dict(parent.get("layers") or {})
    own_layers = data.get("layers") or {}
    if not isinstance(own_layers, dict):
        raise ValueError(f"{path}: layers: expected a mapping, got {type(own_layers).__name__}")
    layers.update(own_layers)
    # the token loop is the base's unless the file says otherwise (``generate: null`` drops it)
    inherited: dict[str, Any] = {key: parent[key] for key in ("generate", "autocast", "grad_mode") if key in parent}
    return {**inherited, **data, "layers": layers}


def load_runtime_file(path: Path, *, check_name: bool = True) -> RuntimeProfile:
    """Parse, resolve ``base`` (in the same directory, else a packaged profile) and validate one
    file; ``ValueError`` (one line, naming the file) when invalid.

    ``check_name``: the record's ``name`` must equal the file's stem (the rule of the packaged
    profiles; a user's own file may carry any name)."""
    from llm_perf_opt.contracts.runtime_converter import structure_profile

    data = _resolved_data(path.stem, path.parent, ())
    try:
        profile = structure_profile(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {' '.join(str(exc).split())}") from exc
    if check_name:
        check_name_matches_file(path, profile.name)
    return profile


def load_runtime(name: str, directory: Path | None = None) -> RuntimeProfile:
    """The profile called ``name``; ``ValueError`` listing the known names when there is none.

    A profile of :data:`RUNTIMES_DIR` is parsed once per process and shared (a profile is read-only:
    parsing one takes tens of milliseconds, and the analyzer and the reports ask for the same few many
    times); one of another ``directory`` is read afresh."""
    if directory is None:
        return _repository_runtime(name)
    return load_runtime_file(named_file(directory, name, kind="runtime profile"))


@functools.cache
def _repository_runtime(name: str) -> RuntimeProfile:
    return load_runtime_file(named_file(RUNTIMES_DIR, name, kind="runtime profile"))


def resolve_runtime(name_or_path: str) -> RuntimeProfile:
    """A packaged profile by name (``hf-eager``) or a user's YAML file by path, validated alike;
    ``ValueError`` (one line naming the profile or the file and the field) otherwise.

    Example
    -------
    >>> resolve_runtime("hf-eager").name
    'hf-eager'
    """
    if looks_like_path(name_or_path):
        return load_runtime_file(user_file(name_or_path, kind="runtime profile"), check_name=False)
    return load_runtime(name_or_path)
