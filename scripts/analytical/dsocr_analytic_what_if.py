"""Recompute a saved DeepSeek-OCR report for another batch size or GPU, without the original inputs.

Usage:
    python scripts/analytical/dsocr_analytic_what_if.py REPORT.json [--batch-size B] [--hardware NAME_OR_PATH]
        [--runtime NAME_OR_PATH] [--target-pages-per-day N] [--output planning.json]

``REPORT.json`` is the analyzer's ``report.json`` (its model and resolved workload are read) or a
``planning.json`` written by this script or by :mod:`llm_perf_opt.planning`. Prints the capacity
planning section (per-stage time, TTFT, time per output token, pages per day, memory, largest
batch) under the time model (the roofline or a runtime profile, as the analyzer's ``--runtime``)
and, with ``--output``, writes the new ``planning.json``. No torch. Bad input: one line on
stderr, exit status 2; an unexpected error: one line, exit status 1 (``--debug`` shows the traceback). The
logic lives in :mod:`llm_perf_opt.planning.what_if`.
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
from llm_perf_opt.utils.atomic_output import check_output_path, write_file
from llm_perf_opt.utils.cli_boundary import OneLineParser, run_command, wants_debug
from llm_perf_opt.utils.input_error import InputError


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    p = OneLineParser(
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
    p.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    return p


PROG = "dsocr_analytic_what_if"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the what-if; 0 on success, 2 on bad input or an unwritable output, 1 on an unexpected error (one line
    on stderr, nothing written)."""
    return run_command(PROG, lambda: _run(build_parser().parse_args(argv)), debug=wants_debug(argv))


def _run(args: argparse.Namespace) -> int:
    if args.output:
        check_output_path(Path(args.output), flag="--output", directory=False)
    try:
        saved = load_saved_report(args.report)
        point = what_if(
            saved,
            batch_size=args.batch_size,
            hardware=args.hardware,
            target_pages_per_day=args.target_pages_per_day,
            runtime=args.runtime,
        )
    except ValueError as exc:  # the what-if module's refusals name the input (the file, the flag, the field)
        raise InputError(str(exc)) from None
    text = planning_report_text(point, saved.model)
    if args.output:
        write_file(Path(args.output), text, flag="--output")
    print(render_capacity_markdown(point), end="")
    if args.output:
        print(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
