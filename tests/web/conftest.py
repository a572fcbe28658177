"""Fixtures of the HTTP service tests: an app on a temporary cache (the framework's test client), the analyzer's
CLI run in-process, and the service started with its one command (``dsocr-analyzer serve-http``) on a real
socket."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from llm_perf_opt.runners.dsocr_analyzer import main
from llm_perf_opt.web.app import create_app

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("http-cache")


@pytest.fixture(scope="module")
def client(cache_dir: Path) -> Iterator[TestClient]:
    """The app over a cache shared by the module's tests (runs are content-addressed)."""
    with TestClient(create_app(cache_dir)) as c:
        yield c


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[Path, str]]:
    """Run ``dsocr-analyzer ARGS --output-dir <tmp>`` in-process: the output directory and stdout."""

    def run(*argv: str) -> tuple[Path, str]:
        out = tmp_path / f"cli-{len(list(tmp_path.iterdir()))}"
        code = main([*argv, "--output-dir", str(out)])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return out, captured.out

    return run


def cli_headline(stdout: str) -> dict[str, str]:
    """The CLI's printed headline (the lines after ``On GPU under runtime R:``), label -> value: a label and its
    value are set apart by two or more spaces."""
    lines = stdout.split("\nOn ", 1)[1].splitlines()[1:]
    pairs = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in lines]
    return {pair[0]: pair[1] for pair in pairs}


def free_port() -> int:
    """A TCP port free on the loopback address now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dsocr-analyzer serve-http --port P --cache-dir D`` in a subprocess: its base URL, stopped at the end."""
    port = free_port()
    cache = tmp_path_factory.mktemp("served-cache")
    paths = [str(REPO_ROOT / "src"), str(REPO_ROOT / "extern"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    cmd = [sys.executable, "-m", "llm_perf_opt.runners.dsocr_analyzer", "serve-http", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--cache-dir", str(cache)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/v1/runtimes", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read() if proc.stdout else ""
                    raise RuntimeError(f"serve-http did not start (exit {proc.poll()}): {out}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
