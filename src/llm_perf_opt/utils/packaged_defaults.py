"""The data files the package carries (``llm_perf_opt/conf``): GPU entries, runtime profiles,
workload profiles, sweeps and the default architecture, read with :mod:`importlib.resources` so
they are found in a source checkout (where ``conf/`` at the top links to the same folder), in an
editable install and in an installed wheel alike.

Example
-------
>>> "dsocr-standard-v1" in packaged_workload_ids()
True
>>> read_default_arch_text().startswith("# Architecture of the released DeepSeek-OCR checkpoint")
True
>>> (conf_dir("hardware") / "h100-sxm.yaml").is_file()
True
>>> sweep_file("listed-example").name
'listed-example.yaml'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from llm_perf_opt.utils.named_files import looks_like_path, named_file, user_file, yaml_stems

DEFAULT_WORKLOAD_ID = "dsocr-standard-v1"
DEFAULT_ARCH_RESOURCE = "deepseek_ocr/arch/deepseek_ocr.default.yaml"
"""The default architecture, relative to ``conf/model``."""
DEFAULT_ARCH_SOURCE = "embedded: conf/model/deepseek_ocr/arch/deepseek_ocr.default.yaml"
"""How reports name the embedded architecture (the package's ``conf/`` folder)."""

PACKAGED_MODELS: dict[str, tuple[str, str]] = {
    "deepseek-ocr": (DEFAULT_ARCH_RESOURCE, DEFAULT_WORKLOAD_ID),
    "deepseek-ocr-2": ("deepseek_ocr2/arch/deepseek_ocr2.default.yaml", "dsocr2-standard-v1"),
}
"""``--model NAME`` -> its architecture (relative to ``conf/model``, config.json layout) and its standard workload
profile (the profile the analyzer uses when ``--workload-profile-id`` is not given)."""

CONF_KINDS = ("hardware", "runtimes", "workloads", "sweeps", "model", "aiconfigurator")
"""The folders of the package's ``conf/``."""


def conf_dir(kind: str) -> Path:
    """The package's ``conf/<kind>`` folder (``ValueError`` for a kind not in :data:`CONF_KINDS`).

    The package is installed as files (a wheel or a checkout), never zipped, so the folder is a
    real path that can be listed and globbed.
    """
    if kind not in CONF_KINDS:
        raise ValueError(f"unknown conf folder {kind!r}; known: {', '.join(CONF_KINDS)}")
    folder = resources.files("llm_perf_opt").joinpath("conf", kind)
    return Path(str(folder))


def packaged_workload_ids() -> tuple[str, ...]:
    """Ids of the packaged workload profiles, sorted."""
    return tuple(sorted(p.stem for p in conf_dir("workloads").glob("*.yaml")))


def read_workload_text(profile_id: str) -> str:
    """Text of the packaged profile ``profile_id`` (``KeyError`` when there is none)."""
    if profile_id not in packaged_workload_ids():
        raise KeyError(profile_id)
    return (conf_dir("workloads") / f"{profile_id}.yaml").read_text(encoding="utf-8")


def read_default_arch_text() -> str:
    """Text of the packaged default architecture (config.json layout, YAML)."""
    return (conf_dir("model") / DEFAULT_ARCH_RESOURCE).read_text(encoding="utf-8")


def packaged_arch(name: str) -> tuple[str, str]:
    """Text of the packaged architecture ``name`` (a key of :data:`PACKAGED_MODELS`) and how reports name it.

    Example
    -------
    >>> packaged_arch("deepseek-ocr-2")[1]
    'embedded: conf/model/deepseek_ocr2/arch/deepseek_ocr2.default.yaml'
    """
    resource = PACKAGED_MODELS[name][0]
    return (conf_dir("model") / resource).read_text(encoding="utf-8"), f"embedded: conf/model/{resource}"


def list_sweeps() -> list[str]:
    """Names of the packaged sweeps (``conf/sweeps/<name>.yaml``), sorted."""
    return yaml_stems(conf_dir("sweeps"))


def sweep_file(name_or_path: str) -> Path:
    """The packaged sweep ``name_or_path`` or the user's sweep file at that path; ``ValueError`` (one
    line: the unknown name and the known ones, or the missing file) otherwise."""
    if looks_like_path(name_or_path):
        return user_file(name_or_path, kind="sweep")
    return named_file(conf_dir("sweeps"), name_or_path, kind="sweep")
