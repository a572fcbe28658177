"""Recompute a saved DeepSeek-OCR report for another batch size or GPU, without the original inputs.

Usage:
    python scripts/analytical/dsocr_analytic_what_if.py REPORT.json [--batch-size B] [--hardware NAME_OR_PATH]
        [--runtime NAME_OR_PATH] [--target-pages-per-day N] [--output planning.json]

``REPORT.json`` is the analyzer's ``report.json`` (its model and resolved workload are read) or a
``planning.json`` written by this script or by :mod:`llm_perf_opt.planning`. Prints the capacity
planning section (per-stage time, TTFT, time per output token, pages per day, memory, largest
batch) under the time model (the roofline or a runtime profile, as the analyzer's ``--runtime``)
and, with ``--output``, writes the new ``planning.json``. No torch. Bad input: one line on
stderr, exit status 2. The logic lives in :mod:`llm_perf_opt.planning.what_if`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from llm_perf_opt.data.planning import ROOFLINE
from llm_perf_opt.hardware.registry import list_hardware
from llm_perf_opt.kernels.profiles import list_runtimes
from llm_perf_opt.planning.summary import render_capacity_markdown
from llm_perf_opt.planning.what_if import load_saved_report, planning_report_text, what_if


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(
        prog="dsocr_analytic_what_if",
        description="Recompute a saved report.json / planning.json for another batch size or GPU.",
    )
    p.add_argument("report", metavar="REPORT.json", help="the analyzer's report.json or a planning.json")
    p.add_argument("--batch-size", type=int, metavar="B", default=None, help="pages per call (default: as saved)")
    p.add_argument(
        "--hardware",
        metavar="NAME_OR_PATH",
        default=None,
        help=f"a packaged GPU entry ({', '.join(list_hardware())}) or a path to your own hardware YAML file; "
        "default: the one in planning.json",
    )
    p.add_argument(
        "--runtime",
        metavar="NAME_OR_PATH",
        default=None,
        help=f"time model: {ROOFLINE} or a runtime profile ({', '.join(list_runtimes())}) or a path to your own "
        f"runtime YAML file; default: the one in planning.json ({ROOFLINE} for an analyzer report.json)",
    )
    p.add_argument(
        "--target-pages-per-day",
        type=float,
        metavar="N",
        default=None,
        help="also report the GPUs needed for this many pages per day",
    )
    p.add_argument("--output", metavar="PATH", default=None, help="write the new planning.json here")
    return p


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary sibling renamed into place (never half a file)."""
    if path.is_dir():
        raise ValueError(f"--output: {path} is a directory; give a file path such as planning.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the what-if; 0 on success, 2 on bad input or an unwritable output (one line on stderr, nothing
    written)."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except ValueError as exc:
        print(f"dsocr_analytic_what_if: {' '.join(str(exc).split())[:300]}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"dsocr_analytic_what_if: {exc.filename or args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    saved = load_saved_report(args.report)
    point = what_if(
        saved,
        batch_size=args.batch_size,
        hardware=args.hardware,
        target_pages_per_day=args.target_pages_per_day,
        runtime=args.runtime,
    )
    text = planning_report_text(point, saved.model)
    if args.output:
        _write(Path(args.output), text)
    print(render_capacity_markdown(point), end="")
    if args.output:
        print(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
