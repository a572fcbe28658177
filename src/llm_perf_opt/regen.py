"""``python -m llm_perf_opt.regen [--check]``: rewrite the checkout's generated files from the code, or with
``--check`` only say which are stale (exit 1). CI runs the check, so a generated file, or a number quoted in the
docs, cannot drift from what the tool computes.

What it writes (relative to the checkout):

* ``docs/layers/*.md``: one page per analytic layer class (``scripts/docs/gen_layer_pages.py``);
* ``extern/modelmeter/models/deepseek_ocr/module_catalog.md`` and ``module_formulations.md``, and the same two
  pages of ``deepseek_ocr2/`` (``scripts/docs/render_module_catalog.py``, ``scripts/docs/gen_formulations.py``);
* the generated blocks of ``docs/*.md`` (:mod:`llm_perf_opt.visualize.doc_blocks`);
* ``reports/verify/``: verify mode on the defaults (needs the ``validation`` extra: torch);
* the validation reports, from the committed raw GPU measurements (:data:`RUNTIME_REPORTS`,
  :data:`ROOFLINE_REPORTS`; :mod:`llm_perf_opt.validation.runtime_report`,
  :mod:`llm_perf_opt.validation.roofline_report`);
* the serving step-time reports (:data:`SERVING_STEP_REPORTS`, :mod:`llm_perf_opt.validation.serving_steps_report`);
* the vendor-code reports (:data:`VENDOR_REPORTS`, :mod:`llm_perf_opt.validation.vendor_report`);
* the portable model's report ``reports/validation/portable.md`` (:mod:`llm_perf_opt.validation.portable_report`:
  leave one GPU out, and aiconfigurator-core's committed extract);
* the serving decode step against aiconfigurator-core's measured vLLM decode attention and fused MoE
  (``reports/validation/serving-aiconfigurator.md``, :mod:`llm_perf_opt.validation.aiconfigurator_steps`);
* ``docs/openapi.json``: the HTTP service's OpenAPI document (:func:`llm_perf_opt.web.app.openapi_json`; needs
  the ``http`` extra);
* ``src/llm_perf_opt/conf/validation/error_bands.json``: the measured error of each prediction basis, packaged for
  the headline and ``summary.json`` (:mod:`llm_perf_opt.validation.error_bands`, from the report summaries above).

Run it from a source checkout (it needs ``scripts/`` and ``docs/``).

Example
-------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> _ = (root / "a.md").write_text("old")
>>> stale_files(root, {"a.md": "new", "b.md": "x"})
['a.md', 'b.md']
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from llm_perf_opt.utils.script_module import load_script
from llm_perf_opt.visualize.doc_blocks import BLOCK, fill_blocks, renderers

REPO = Path(__file__).resolve().parents[2]
"""The checkout this module runs from (``src/llm_perf_opt/regen.py``)."""


def layer_pages(repo: Path) -> dict[str, str]:
    """``docs/layers/<page>`` -> text."""
    pages: dict[str, str] = load_script(repo / "scripts" / "docs" / "gen_layer_pages.py").layer_pages()
    return {f"docs/layers/{name}": text for name, text in pages.items()}


def catalog_pages(repo: Path) -> dict[str, str]:
    """The module catalogs and the formulations pages of the DeepSeek-OCR and DeepSeek-OCR-2 layers."""
    from modelmeter.models.deepseek_ocr.module_catalog import load_module_catalog

    render_catalog = load_script(repo / "scripts" / "docs" / "render_module_catalog.py").render
    render_formulations = load_script(repo / "scripts" / "docs" / "gen_formulations.py").render
    out = {}
    for package in ("deepseek_ocr", "deepseek_ocr2"):  # DeepSeek-OCR's catalog, and DeepSeek-OCR-2's own modules
        folder = f"extern/modelmeter/models/{package}"
        catalog = load_module_catalog(repo / folder / "module_catalog.yaml")
        out[f"{folder}/module_catalog.md"] = str(render_catalog(catalog))
        out[f"{folder}/module_formulations.md"] = str(render_formulations(catalog))
    return out


def doc_blocks(repo: Path) -> dict[str, str]:
    """Every page of ``docs/`` that holds a generated block, with its blocks filled in."""
    blocks = renderers(repo)
    out = {}
    for path in sorted((repo / "docs").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if BLOCK.search(text):
            out[path.relative_to(repo).as_posix()] = fill_blocks(text, blocks)
    return out


RUNTIME_REPORTS: tuple[tuple[str, str, str, bool], ...] = (
    ("reports/validation/h100", "reports/validation/h100-runtimes.md", "h100-sxm", False),
    ("reports/validation/h100-repeat", "reports/validation/h100-runtimes-repeat.md", "h100-sxm", True),
    ("reports/validation/h100-check", "reports/validation/h100-runtimes-check.md", "h100-sxm", True),
    ("reports/validation/h200", "reports/validation/h200-runtimes.md", "h200", False),
)
"""Kernel-level validation reports: raw directory, report, hardware entry, whether the lease's own host and graph
constants replace the entry's (a later lease of the same GPU kind)."""

ROOFLINE_REPORTS: tuple[tuple[str, str, str], ...] = (
    ("reports/validation/h100", "reports/validation/h100.md", "h100-sxm"),
    ("reports/validation/h200", "reports/validation/h200.md", "h200"),
)
"""Roofline validation reports: raw directory, report, hardware entry."""

SERVING_STEP_REPORTS: tuple[tuple[str, str, str], ...] = (
    ("reports/validation/h200/serving-steps.json", "reports/validation/h200-serving-steps.md", "h200"),
)
"""The serving step-time reports (:mod:`llm_perf_opt.validation.serving_steps_report`): raw JSON, report, hardware
entry; a raw file not yet committed has no report."""


def validation_reports(repo: Path) -> dict[str, str]:
    """Every validation report and its summary JSON, from the raw measurements committed beside it."""
    from llm_perf_opt.validation import (
        aiconfigurator_steps,
        portable_report,
        roofline_report,
        runtime_report,
        serving_steps_report,
    )

    files: dict[Path, str] = {}
    for raw, report, hardware, lease in RUNTIME_REPORTS:
        files |= runtime_report.outputs(repo / raw, repo / report, hardware, lease=lease)
    for raw, report, hardware in ROOFLINE_REPORTS:
        files |= roofline_report.outputs(repo / raw, repo / report, hardware)
    files |= portable_report.outputs(repo)
    files |= aiconfigurator_steps.outputs(repo)
    for raw, report, hardware in SERVING_STEP_REPORTS:
        if (repo / raw).is_file():
            files |= serving_steps_report.outputs(repo / raw, repo / report, hardware)
    return {path.relative_to(repo).as_posix(): text for path, text in files.items()}


VENDOR_REPORTS: tuple[tuple[str, tuple[tuple[str, str], ...], str], ...] = (
    (
        "reports/validation/vendor-h200.md",
        (
            ("first", "reports/validation/vendor-h200/raw-vendor.json"),
            ("second", "reports/validation/vendor-h200/raw-vendor-2.json"),
            ("third", "reports/validation/vendor-h200/raw-vendor-3.json"),
            ("fourth", "reports/validation/vendor-h200/raw-vendor-4.json"),
            ("fifth", "reports/validation/vendor-h200/raw-vendor-5.json"),
            ("sixth", "reports/validation/vendor-h200/raw-vendor-6.json"),
            ("seventh", "reports/validation/vendor-h200/raw-vendor-7.json"),
            ("eighth", "reports/validation/vendor-h200/raw-vendor-8.json"),
            ("ninth", "reports/validation/vendor-h200/raw-vendor-9.json"),
            ("tenth", "reports/validation/vendor-h200/raw-vendor-10.json"),
            ("eleventh", "reports/validation/vendor-h200/raw-vendor-11.json"),
        ),
        "h200",
    ),
)
"""The vendor-code reports: report, its named raw runs, hardware entry."""


def vendor_reports(repo: Path) -> dict[str, str]:
    """The vendor's code against ``hf-eager`` (:mod:`llm_perf_opt.validation.vendor_report`)."""
    from llm_perf_opt.validation.vendor_report import load_raw, report_markdown

    return {
        report: report_markdown([(name, load_raw(repo / raw)) for name, raw in raws], hardware)
        for report, raws, hardware in VENDOR_REPORTS
    }


def error_band_table(repo: Path, generated: dict[str, str]) -> dict[str, str]:
    """The packaged table of each prediction basis's measured error (:mod:`llm_perf_opt.validation.error_bands`),
    from the runtime and portable report summaries as this run generates them and the vendor's raw runs."""
    from llm_perf_opt.hardware.registry import load_hardware
    from llm_perf_opt.validation.error_bands import OUTPUT, VendorErrors, bands_json, error_bands
    from llm_perf_opt.validation.vendor_report import (
        RUNTIME,
        describes_routing,
        generate_rows,
        load_raw,
        stage_rows,
    )

    kernel: list[float] = []
    wall: list[float] = []
    pages: list[float] = []
    where: list[str] = []
    for _, raws, hardware in VENDOR_REPORTS:
        spec = load_hardware(hardware)
        for _, rel in raws:
            raw = load_raw(repo / rel)
            k, w = stage_rows(raw, spec)
            kernel += [r.error_pct for r in k if describes_routing(raw, r)]
            wall += [r.error_pct for r in w if describes_routing(raw, r)]
            pages += [r.error_pct for r in generate_rows(raw, spec, lease=False)[0]]
        where.append(
            f"{len(raws)} leases of the calibrated {spec.display_name or spec.name} (stage points run with the"
            " analytic model's uniform routing: the prefills of the leases whose random gate weights chose the"
            " experts left out)"
        )
    vendor = VendorErrors(
        kernel=tuple(kernel), wall=tuple(wall), pages=tuple(pages), measured_on=f"the vendor's code, {', '.join(where)}"
    )

    def read(rel: str) -> str:
        return generated[rel] if rel in generated else (repo / rel).read_text(encoding="utf-8")

    return {OUTPUT: bands_json(error_bands(read, {RUNTIME: vendor}))}


def verify_reports(repo: Path) -> dict[str, str]:
    """``reports/verify/``: verify mode on the analyzer's defaults (counted with FlopCounterMode: needs torch)."""
    from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_inputs, v1_model
    from llm_perf_opt.runners.static_mode import static_compute_dict, static_compute_markdown
    from llm_perf_opt.runners.verify_mode import compare, verification_dict, verification_markdown

    result = compare(*v1_model(resolve_inputs(WorkloadFlags()), "verify mode counts DeepSeek-OCR's reference"))
    return {
        "reports/verify/verification.json": json.dumps(verification_dict(result), indent=2) + "\n",
        "reports/verify/verification.md": verification_markdown(result),
        "reports/verify/static_compute.json": json.dumps(static_compute_dict(result.static), indent=2) + "\n",
        "reports/verify/static_compute.md": static_compute_markdown(result.static),
    }


def openapi_document(repo: Path) -> dict[str, str]:
    """``docs/openapi.json``: the HTTP service's OpenAPI document, as the app serves it at ``/schema/openapi.json``
    (needs the ``http`` extra)."""
    from llm_perf_opt.web.app import openapi_json

    return {"docs/openapi.json": openapi_json()}


GENERATORS: dict[str, Callable[[Path], dict[str, str]]] = {
    "layer pages": layer_pages,
    "module catalog": catalog_pages,
    "docs blocks": doc_blocks,
    "validation reports": validation_reports,
    "vendor reports": vendor_reports,
    "verify reports": verify_reports,
    "OpenAPI document": openapi_document,
}
"""What ``regen`` produces, by name: each returns relative path -> text."""

DERIVED: dict[str, Callable[[Path, dict[str, str]], dict[str, str]]] = {"error bands": error_band_table}
"""What ``regen`` derives from the files the :data:`GENERATORS` produce (given them, by relative path), after them."""

OWNED_FOLDERS = ("docs/layers",)
"""Folders whose every ``*.md`` a generator owns: a page no longer produced is removed."""


def generated_files(repo: Path) -> dict[str, str]:
    """Every generated file's relative path and text (the :data:`DERIVED` ones last: they read what the others
    generate)."""
    files: dict[str, str] = {}
    for generate in GENERATORS.values():
        files |= generate(repo)
    for derive in DERIVED.values():
        files |= derive(repo, dict(files))
    return files


def stale_files(repo: Path, files: dict[str, str]) -> list[str]:
    """Relative paths whose committed text differs from ``files`` (or that are missing), sorted."""
    return sorted(rel for rel, text in files.items() if _read(repo / rel) != text)


def orphan_files(repo: Path, files: dict[str, str]) -> list[str]:
    """Files in :data:`OWNED_FOLDERS` that no generator produces any more, sorted."""
    owned = (p for folder in OWNED_FOLDERS for p in (repo / folder).glob("*.md"))
    return sorted(rel for p in owned if (rel := p.relative_to(repo).as_posix()) not in files)


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def main(argv: Sequence[str] | None = None) -> int:
    """Write the generated files (or with ``--check`` list the stale ones and exit 1)."""
    parser = argparse.ArgumentParser(
        prog="python -m llm_perf_opt.regen",
        description="Rewrite every generated file of the checkout (layer pages, module catalog, formulations, the "
        "numbers quoted in docs/) from the code.",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 listing the stale files")
    parser.add_argument("--repo", type=Path, default=REPO, help=f"the checkout; default: {REPO}")
    args = parser.parse_args(argv)
    files = generated_files(args.repo)
    stale, orphans = stale_files(args.repo, files), orphan_files(args.repo, files)
    if args.check:
        if stale or orphans:
            names = ", ".join(stale + [f"{o} (no longer generated)" for o in orphans])
            print(f"regen: stale: {names}; run python -m llm_perf_opt.regen", file=sys.stderr)
            return 1
        print(f"regen: {len(files)} generated files up to date")
        return 0
    for rel in stale:
        target = args.repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.regen-tmp")
        tmp.write_text(files[rel], encoding="utf-8")
        tmp.replace(target)
    for rel in orphans:
        (args.repo / rel).unlink()
    print(f"regen: {len(stale)} written, {len(orphans)} removed, {len(files) - len(stale)} already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
