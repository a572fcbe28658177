"""The analyzer's embedded defaults, read from the package (``llm_perf_opt/resources``) so
they are found both in a source checkout and in an installed wheel.

Example
-------
>>> "dsocr-standard-v1" in packaged_workload_ids()
True
>>> read_default_arch_text().startswith("# Architecture of the released DeepSeek-OCR checkpoint")
True
"""

from __future__ import annotations

from importlib import resources

DEFAULT_WORKLOAD_ID = "dsocr-standard-v1"
DEFAULT_ARCH_RESOURCE = "model/deepseek_ocr.default.yaml"
DEFAULT_ARCH_SOURCE = "embedded: conf/model/deepseek_ocr/arch/deepseek_ocr.default.yaml"
"""How reports name the embedded architecture (its editable original in a checkout)."""


def _root() -> resources.abc.Traversable:
    return resources.files("llm_perf_opt.resources")


def packaged_workload_ids() -> tuple[str, ...]:
    """Ids of the packaged workload profiles, sorted."""
    folder = _root() / "workloads"
    return tuple(sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml")))


def read_workload_text(profile_id: str) -> str:
    """Text of the packaged profile ``profile_id`` (``KeyError`` when there is none)."""
    if profile_id not in packaged_workload_ids():
        raise KeyError(profile_id)
    return (_root() / "workloads" / f"{profile_id}.yaml").read_text(encoding="utf-8")


def read_default_arch_text() -> str:
    """Text of the packaged default architecture (config.json layout, YAML)."""
    return (_root() / DEFAULT_ARCH_RESOURCE).read_text(encoding="utf-8")
