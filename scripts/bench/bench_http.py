"""Load benchmark of the HTTP service: requests per second and latency of ``POST /v1/analyses``.

Usage:
    python scripts/bench/bench_http.py [--distinct N] [--cached N] [--clients C] [--output reports/bench/http.json]

Starts ``dsocr-analyzer serve-http`` (one uvicorn process, on a free loopback port, over a fresh cache directory)
and measures two loads, each bounded in count and in time (it stops by itself):

``distinct``
    ``N`` analyses with different inputs (output length 100, 101, ..., alternately on ``h100-sxm``, a calibrated
    GPU, and ``l40s``, a portable estimate; both report formats), one client, one after another: every request
    computes a run and writes its files (report.json, report.yaml, summary.json, report.md, the layer pages,
    time.json and the manifest);
``cached``
    ``N`` requests for one analysis already computed, from ``C`` clients at once (keep-alive connections): the
    service resolves the inputs, hashes them and finds the run on disk (same inputs, same id).

For each: requests per second (completed requests over the load's wall time) and the latency's median, p90, p99
and maximum (nearest rank), in milliseconds, with every response's status checked (201). The clients run in this
process, on the same machine as the server: their CPU time competes with it, as it would on one host. Writes the
JSON and prints a table.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.metadata
import json
import math
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "reports" / "bench" / "http.json"
DISTINCT_GPUS = ("h100-sxm", "l40s")
"""The distinct load alternates a calibrated GPU and one with portable (datasheet-scaled) kernel-time curves."""
TIME_LIMIT_S = 240.0
"""A load stops after this long even if requests remain (the run reports how many completed)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _stats(latencies: list[float], wall: float) -> dict[str, Any]:
    ms = [x * 1e3 for x in latencies]
    return {
        "requests": len(ms),
        "requests_per_s": round(len(ms) / wall, 2),
        "wall_s": round(wall, 3),
        "latency_ms": {
            "p50": round(_percentile(ms, 0.50), 2),
            "p90": round(_percentile(ms, 0.90), 2),
            "p99": round(_percentile(ms, 0.99), 2),
            "max": round(max(ms), 2),
        },
    }


def _post(conn: http.client.HTTPConnection, body: dict[str, Any]) -> float:
    data = json.dumps(body).encode()
    start = time.perf_counter()
    conn.request("POST", "/v1/analyses", body=data, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    if response.status != 201:
        raise RuntimeError(f"POST /v1/analyses {body}: HTTP {response.status}")
    return elapsed


def _distinct(port: int, count: int) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    latencies: list[float] = []
    start = time.perf_counter()
    for i in range(count):
        if time.perf_counter() - start > TIME_LIMIT_S:
            break
        latencies.append(_post(conn, {"hardware": DISTINCT_GPUS[i % len(DISTINCT_GPUS)], "max_new_tokens": 100 + i}))
    wall = time.perf_counter() - start
    conn.close()
    return {"hardware": list(DISTINCT_GPUS), **_stats(latencies, wall)}


def _cached(port: int, count: int, clients: int) -> dict[str, Any]:
    body = {"hardware": "h100-sxm", "max_new_tokens": 1000}
    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    _post(warm, body)  # computed once; every timed request finds it
    warm.close()
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [count]
    errors: list[BaseException] = []
    start = time.perf_counter()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while time.perf_counter() - start < TIME_LIMIT_S:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                elapsed = _post(conn, body)
                with lock:
                    latencies.append(elapsed)
        except BaseException as exc:  # reported after the load
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed: {errors[0]}")
    return {"clients": clients, **_stats(latencies, wall)}


def _wait_until_up(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve-http exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("serve-http did not start within 60 s")


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distinct", type=int, default=30, help="distinct analyses (default: %(default)s)")
    parser.add_argument("--cached", type=int, default=1000, help="requests for a cached analysis (%(default)s)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the cached load (%(default)s)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="JSON to write (default: reports/bench/http.json)")
    args = parser.parse_args()
    port = _free_port()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "extern")])}
        if os.environ.get("PYTHONPATH"):
            env["PYTHONPATH"] += os.pathsep + os.environ["PYTHONPATH"]
        cmd = [sys.executable, "-m", "llm_perf_opt.runners.dsocr_analyzer", "serve-http", "--port", str(port)]
        proc = subprocess.Popen([*cmd, "--cache-dir", cache], env=env, stdout=subprocess.DEVNULL, text=True)
        try:
            _wait_until_up(port, proc)
            distinct = _distinct(port, args.distinct)
            cached = _cached(port, args.cached, args.clients)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    result = {
        "what": "POST /v1/analyses on dsocr-analyzer serve-http (one uvicorn process), clients on the same machine",
        "distinct": distinct,
        "cached": cached,
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "versions": {name: _version(name) for name in ("litestar", "uvicorn", "msgspec")},
            "note": "shared machine: other jobs may have run meanwhile (see the load averages)",
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("load      requests  req/s    p50 ms   p99 ms   max ms")
    for name, r in (("distinct", distinct), ("cached", cached)):
        lat = r["latency_ms"]
        print(
            f"{name:<9} {r['requests']:>8}  {r['requests_per_s']:>6}  {lat['p50']:>7}  {lat['p99']:>7}  {lat['max']:>7}"
        )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
