"""Load GPU specs by name from ``conf/hardware/<name>.yaml``.

Each YAML file holds one :class:`~llm_perf_opt.data.hardware.HardwareSpec`; its ``name`` must
equal the file's stem. Files are parsed with PyYAML's safe loader (libyaml's where present) and
structured with the strict converter of :mod:`llm_perf_opt.contracts.hardware_converter` (an unknown key is an error).

Example
-------
>>> "h100-sxm" in list_hardware()
True
>>> load_hardware("h100-sxm").memory_bandwidth_tbps.value
3.35
>>> load_hardware("h100")
Traceback (most recent call last):
...
ValueError: unknown hardware 'h100'; known: a100-40gb, a100-80gb, a10g, b200, h100-pcie, h100-sxm, h200, l4, l40s, \
rtx-4090, rtx-5090, rtx-pro-6000-server
"""

from __future__ import annotations

from pathlib import Path

import yaml

from llm_perf_opt.contracts.hardware_converter import structure_hardware
from llm_perf_opt.contracts.yaml_input import load_yaml, read_input_file
from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.utils.named_files import check_name_matches_file, looks_like_path, named_file, user_file, yaml_stems
from llm_perf_opt.utils.packaged_defaults import conf_dir

HARDWARE_DIR = conf_dir("hardware")
"""The packaged GPU entries (``conf/hardware``)."""


def list_hardware(directory: Path | None = None) -> list[str]:
    """Names of the GPUs in ``directory`` (default :data:`HARDWARE_DIR`), sorted."""
    return yaml_stems(HARDWARE_DIR if directory is None else directory)


def load_hardware_file(path: Path, *, check_name: bool = True) -> HardwareSpec:
    """Parse and validate one YAML file; ``ValueError`` (one line, naming the file) when invalid.

    ``check_name``: the record's ``name`` must equal the file's stem (the rule of the packaged
    entries; a user's own file may carry any name)."""
    try:
        data = load_yaml(read_input_file(path))
        spec = structure_hardware(data)
    except (ValueError, yaml.YAMLError) as exc:
        problem = " ".join(str(exc).split())
        raise ValueError(f"{path}: {problem}") from exc
    if check_name:
        check_name_matches_file(path, spec.name)
    return spec


def load_hardware(name: str, directory: Path | None = None) -> HardwareSpec:
    """The spec called ``name``; ``ValueError`` listing the known names when there is none."""
    root = HARDWARE_DIR if directory is None else directory
    return load_hardware_file(named_file(root, name, kind="hardware"))


def resolve_hardware(name_or_path: str) -> HardwareSpec:
    """A packaged entry by name (``h100-sxm``) or a user's YAML file by path (``./my-gpu.yaml``),
    validated alike; ``ValueError`` (one line naming the entry or the file and the field) otherwise.

    Example
    -------
    >>> resolve_hardware("h100-sxm").name
    'h100-sxm'
    >>> resolve_hardware("./missing.yaml")
    Traceback (most recent call last):
    ...
    ValueError: no such hardware file './missing.yaml'
    """
    if looks_like_path(name_or_path):
        return load_hardware_file(user_file(name_or_path, kind="hardware"), check_name=False)
    return load_hardware(name_or_path)
