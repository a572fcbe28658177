"""``dsocr-analyzer serve-http``: the HTTP API and web page, served by uvicorn (localhost unless told).

Example
-------
>>> args = build_serve_parser().parse_args(["--port", "8123"])
>>> args.host, args.port, args.cache_dir
('127.0.0.1', 8123, 'tmp/http-cache')
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from llm_perf_opt.utils.cli_boundary import OneLineParser
from llm_perf_opt.utils.input_error import InputError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_CACHE_DIR = "tmp/http-cache"


def build_serve_parser() -> argparse.ArgumentParser:
    """``serve-http``'s flags, each default in its help."""
    from llm_perf_opt.web.engine import DEFAULT_MAX_RUNS

    p = OneLineParser(
        prog="dsocr-analyzer serve-http",
        description="Serve the analyzer as a JSON API (/v1/..., OpenAPI at /schema/openapi.json) and a web page "
        "(/) with uvicorn; needs the http extra (pip install 'llm-perf-opt[http]').",
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to bind; default: {DEFAULT_HOST} (this machine only: give 0.0.0.0 to serve others, "
        "behind your own access control)",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port; default: {DEFAULT_PORT}")
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        default=DEFAULT_CACHE_DIR,
        help=f"where runs are written and kept (the only place the service writes); default: {DEFAULT_CACHE_DIR}",
    )
    p.add_argument(
        "--max-runs",
        type=int,
        metavar="N",
        default=DEFAULT_MAX_RUNS,
        help=f"runs kept in the cache (least recently used removed first); default: {DEFAULT_MAX_RUNS}",
    )
    return p


def serve(argv: Sequence[str]) -> int:
    """Parse ``serve-http``'s flags and serve until interrupted; bad flags raise :class:`InputError`."""
    args = build_serve_parser().parse_args(list(argv))
    if not 0 < args.port < 65536:
        raise InputError(f"--port: must be 1 to 65535, got {args.port}")
    if args.max_runs < 1:
        raise InputError(f"--max-runs: must be >= 1, got {args.max_runs}")
    try:
        import uvicorn

        from llm_perf_opt.web.app import create_app
    except ImportError as exc:
        raise InputError(
            f"serve-http: needs the http extra ({exc.name} is not installed): pip install 'llm-perf-opt[http]'"
        ) from None
    app = create_app(args.cache_dir, max_runs=args.max_runs)
    print(f"serving http://{args.host}:{args.port}/ (API /v1, OpenAPI /schema/openapi.json); cache {args.cache_dir}")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
