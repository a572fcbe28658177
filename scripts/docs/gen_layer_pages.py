"""Generate ``docs/layers/``: one page per analytic layer class, for the standard workload.

The pages are rendered by :func:`llm_perf_opt.visualize.layer_pages.render_layer_page`, the
renderer of the analyzer's ``layers/<ClassName>.md``, from the report of the embedded defaults
(``dsocr-standard-v1`` on the released architecture): the documentation and a default analyzer
run show the same pages. DeepSeek-OCR-2's own classes (its Qwen2 encoder, its aggregator) follow, from its
standard workload (``--model deepseek-ocr-2``).

Usage::

    python scripts/docs/gen_layer_pages.py          # write docs/layers/
    python scripts/docs/gen_layer_pages.py --check  # exit 1 when docs/layers/ is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llm_perf_opt.runners.analyzer_inputs import WorkloadFlags, resolve_inputs
from llm_perf_opt.runners.report_builder import build_report
from llm_perf_opt.visualize.layer_pages import page_name, render_layer_index, render_layer_page

OUTPUT_DIR = Path(__file__).resolve().parents[2] / "docs" / "layers"
INDEX = "index.md"
OCR2 = "deepseek-ocr-2"
"""The packaged model whose own classes get pages too."""


def layer_pages() -> dict[str, str]:
    """File name -> text of every page (the class pages and ``index.md``): DeepSeek-OCR's classes on its standard
    workload, then the classes only DeepSeek-OCR-2 uses on its own (``dsocr2-standard-v1``), listed in a second
    table of the index."""
    report = build_report(resolve_inputs(WorkloadFlags()))
    pages = {page_name(c.class_name): render_layer_page(c, report.workload.id) for c in report.layer_classes}
    index = render_layer_index(report.layer_classes, report.workload.id)
    ocr2 = build_report(resolve_inputs(WorkloadFlags(), model_dir=OCR2))
    own = [c for c in ocr2.layer_classes if page_name(c.class_name) not in pages]
    pages |= {page_name(c.class_name): render_layer_page(c, ocr2.workload.id) for c in own}
    more = render_layer_index(own, ocr2.workload.id).replace("# Layer classes", "## DeepSeek-OCR-2's own classes", 1)
    more = more.replace("Every analytic class used by", "The classes DeepSeek-OCR does not use, added by", 1)
    pages[INDEX] = f"{index}\n{more}"
    return pages


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the pages."""
    parser = argparse.ArgumentParser(description="Generate docs/layers/ from the analytic layer classes.")
    parser.add_argument("--check", action="store_true", help="only report whether the pages are up to date")
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR, help=f"default: {OUTPUT_DIR}")
    args = parser.parse_args(argv)
    pages = layer_pages()
    existing = {p.name for p in args.output.glob("*.md")} if args.output.is_dir() else set()
    if args.check:
        stale = sorted(n for n, text in pages.items() if not (args.output / n).is_file()
                       or (args.output / n).read_text(encoding="utf-8") != text)  # fmt: skip
        extra = sorted(existing - set(pages))
        if stale or extra:
            print(f"{args.output} is stale ({', '.join(stale + extra)}): run python scripts/docs/gen_layer_pages.py",
                  file=sys.stderr)  # fmt: skip
            return 1
        return 0
    args.output.mkdir(parents=True, exist_ok=True)
    for name in existing - set(pages):
        (args.output / name).unlink()
    for name, text in pages.items():
        (args.output / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(pages)} pages to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
