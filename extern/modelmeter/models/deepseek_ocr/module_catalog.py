"""The DeepSeek-OCR module catalog (``module_catalog.yaml``): which analytic layer models
which vendor module, and which modules of the project's PyTorch reference run it.

Pure data and path matching (no torch): the verify mode uses it to translate the module
paths it counted in the reference into the vendor's paths the analytic tree uses.

Example
-------
>>> catalog = load_module_catalog()
>>> catalog.vendor_path_of_reference("sam_model.layers.3.layer_norm1")
'sam_model.blocks.3.norm1'
>>> catalog.vendor_path_of_reference("layers.5.mlp.experts")
'layers.5.mlp.experts.*'
>>> [r.analytic_name for r in catalog.rows_for_module("layers.5.mlp")]
['DeepseekV2MLP', 'DeepseekV2MoE']
>>> catalog.row_for_reference("layers.5.self_attn", attention="eager").analytic_name
'LlamaAttention'
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from attrs import define, field

from modelmeter.layers.base import BaseLayer

CATALOG_PATH = Path(__file__).with_name("module_catalog.yaml")
"""The committed catalog."""

_PLACEHOLDER = re.compile(r"\{([a-z])\}")


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """``{i}`` -> a named run of digits; everything else literal (``*`` included)."""
    parts: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(pattern):
        parts.append(re.escape(pattern[last : m.start()]))
        parts.append(f"(?P<{m.group(1)}>\\d+)")
        last = m.end()
    parts.append(re.escape(pattern[last:]))
    return re.compile("".join(parts))


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value or ()))


@define(frozen=True, kw_only=True)
class CatalogRow:
    """One catalog row (fields as documented at the top of ``module_catalog.yaml``)."""

    stage: str
    module: str
    vendor: str
    analytic: str | None
    reference: tuple[str, ...] = field(converter=_as_tuple, factory=tuple)
    operators: tuple[str, ...] = field(converter=_as_tuple, factory=tuple)
    family: str
    paper: str | None = None
    reference_class: str | None = None
    attention: str | None = None
    notes: str = ""

    @property
    def is_aggregate(self) -> bool:
        """A ``(...)`` row: an analytic aggregate that is not a module."""
        return self.module.startswith("(")

    @property
    def analytic_name(self) -> str | None:
        """Class name of the analytic layer (last part of the dotted path)."""
        return self.analytic.rsplit(".", 1)[-1] if self.analytic else None

    def analytic_class(self) -> type[BaseLayer] | None:
        """Import the analytic class (``ImportError``/``AttributeError`` when the path is wrong)."""
        if self.analytic is None:
            return None
        module_name, _, cls_name = self.analytic.rpartition(".")
        cls = getattr(importlib.import_module(module_name), cls_name)
        if not (isinstance(cls, type) and issubclass(cls, BaseLayer)):
            raise TypeError(f"{self.analytic}: not a BaseLayer subclass")
        return cls

    def matches_module(self, path: str) -> bool:
        """Whether the vendor path ``path`` is an instance of this row's pattern."""
        return not self.is_aggregate and _pattern_regex(self.module).fullmatch(path) is not None

    def reference_match(self, fqn: str) -> dict[str, str] | None:
        """Placeholder values when ``fqn`` matches one of the reference patterns, else ``None``."""
        for pattern in self.reference:
            m = _pattern_regex(pattern).fullmatch(fqn)
            if m is not None:
                return m.groupdict()
        return None


@define(frozen=True, kw_only=True)
class ReferenceOnly:
    """A module of the reference with no vendor counterpart (containers, a shared rotary table)."""

    reference: str
    reference_class: str
    notes: str = ""


@define(frozen=True, kw_only=True)
class ModuleCatalog:
    """All rows, the reference-only modules, the paper and its sections, the families; ``title`` names the model
    and ``intro`` replaces the rendered page's standard introduction (DeepSeek-OCR-2's catalog,
    ``modelmeter/models/deepseek_ocr2/module_catalog.yaml``, has both)."""

    rows: tuple[CatalogRow, ...]
    reference_only: tuple[ReferenceOnly, ...]
    paper: Mapping[str, str]
    paper_sections: Mapping[str, str]
    families: Mapping[str, str]
    title: str = "DeepSeek-OCR"
    intro: str = ""

    def rows_for_module(self, path: str) -> list[CatalogRow]:
        """Rows whose vendor pattern matches ``path`` (several when the class depends on the
        layer or the workload: dense/MoE ``mlp``, flash/eager ``self_attn``)."""
        return [r for r in self.rows if r.matches_module(path)]

    def rows_for_analytic(self, class_name: str) -> list[CatalogRow]:
        """Rows whose analytic class is named ``class_name``."""
        return [r for r in self.rows if r.analytic_name == class_name]

    def row_for_reference(
        self, fqn: str, *, reference_class: str | None = None, attention: str | None = None
    ) -> CatalogRow | None:
        """The row a reference module runs (``None`` for a reference-only module). When several
        rows match the path, ``reference_class`` and ``attention`` pick the one that applies.

        Raises
        ------
        KeyError
            When no row and no reference-only entry matches, or the match stays ambiguous.
        """
        self.vendor_path_of_reference(fqn)  # raises for an uncatalogued module
        rows = [r for r in self.rows if r.reference_match(fqn) is not None]
        if not rows:
            return None
        if len(rows) > 1:
            rows = [
                r
                for r in rows
                if (r.reference_class is None or r.reference_class == reference_class)
                and (r.attention is None or r.attention == attention)
            ]
        if len(rows) != 1:
            raise KeyError(
                f"{fqn}: {len(rows)} catalog rows apply (reference_class={reference_class!r}, attention={attention!r})"
            )
        return rows[0]

    def vendor_path_of_reference(self, fqn: str) -> str | None:
        """The vendor path a reference module runs, ``None`` for a reference-only module.

        Raises
        ------
        KeyError
            When no row and no reference-only entry matches ``fqn`` (the catalog is incomplete).
        ValueError
            When matching rows disagree on the vendor path.
        """
        found = {r.module.format(**values) for r in self.rows if (values := r.reference_match(fqn)) is not None}
        if len(found) > 1:
            raise ValueError(f"{fqn}: catalog rows disagree: {sorted(found)}")
        if found:
            return found.pop()
        if any(_pattern_regex(e.reference).fullmatch(fqn) for e in self.reference_only):
            return None
        raise KeyError(f"{fqn}: no module_catalog.yaml row maps this reference module")


def _parse(data: Mapping[str, Any]) -> ModuleCatalog:
    rows = tuple(CatalogRow(**row) for row in data["rows"])
    extra = tuple(ReferenceOnly(**row) for row in data.get("reference_only") or ())
    sections = dict(data.get("paper_sections") or {})
    families = dict(data.get("families") or {})
    for row in rows:
        if row.paper is not None and row.paper not in sections:
            raise ValueError(f"{row.module}: paper key {row.paper!r} is not in paper_sections")
        if row.family not in families:
            raise ValueError(f"{row.module}: family {row.family!r} is not in families")
    return ModuleCatalog(
        rows=rows,
        reference_only=extra,
        paper=dict(data.get("paper") or {}),
        paper_sections=sections,
        families=families,
        title=data.get("title") or "DeepSeek-OCR",
        intro=data.get("intro") or "",
    )


@functools.cache
def _load_cached(path: Path) -> ModuleCatalog:
    with path.open(encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh))


def load_module_catalog(path: Path | None = None) -> ModuleCatalog:
    """Parse ``module_catalog.yaml`` (default: :data:`CATALOG_PATH`), cached per path."""
    return _load_cached((path or CATALOG_PATH).resolve())
