"""The service started with its one command (``dsocr-analyzer serve-http``) on a real socket, and the web page in
Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright) showing the CLI's figures."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llm_perf_opt.runners.dsocr_analyzer import main

CHROMIUM = Path("/usr/bin/chromium")


def _call(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_serve_http_answers_on_a_socket(served: str, cli: Callable[..., tuple[Path, str]]) -> None:
    status, created = _call("POST", f"{served}/v1/analyses", {"hardware": "l4", "max_new_tokens": 16})
    assert status == 201
    out_dir, _ = cli("--hardware", "l4", "--max-new-tokens", "16")
    status, summary = _call("GET", f"{served}{created['links']['summary']}")
    assert status == 200
    assert summary == json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    status, error = _call("POST", f"{served}/v1/analyses", {"max_new_tokens": -1})
    assert (status, error["field"]) == (422, "max_new_tokens")
    status, _ = _call("GET", f"{served}/v1/analyses/no-such-run")
    assert status == 404


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--port", "0"], "--port: must be 1 to 65535, got 0"),
        (["--port", "http"], "argument --port: invalid int value"),
        (["--max-runs", "0"], "--max-runs: must be >= 1, got 0"),
        (["--mode", "analytic"], "unrecognized arguments: --mode"),
    ],
)
def test_serve_http_bad_flags_are_one_line(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve-http", *argv]) == 2
    err = capsys.readouterr().err
    assert words in err
    assert err.count("\n") == 1


def _page_headline(page: Any) -> dict[str, str]:
    rows = page.locator("#headline tbody tr")
    cells = [rows.nth(i) for i in range(rows.count())]
    return {row.get_attribute("data-label"): row.locator("td.a").inner_text() for row in cells}


def _cli_headline(stdout: str) -> dict[str, str]:
    lines = stdout.split("\nOn ", 1)[1].splitlines()[1:]
    return {line[:30].strip(): line[30:].strip() for line in lines}


@pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"{CHROMIUM} is absent (apt-get install -y chromium; .ci/run does)")
def test_page_shows_the_cli_headline(served: str, cli: Callable[..., tuple[Path, str]]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(served)
            page.wait_for_function("document.body.dataset.state === 'ready'", timeout=60_000)
            first = page.evaluate("document.body.dataset.runId")
            page.select_option("#hardware", "h200")
            page.fill("#batch_size", "4")
            page.wait_for_function(
                f"document.body.dataset.state === 'ready' && document.body.dataset.runId !== {first!r}",
                timeout=60_000,
            )
            shown = _page_headline(page)
            run_id = page.evaluate("document.body.dataset.runId")
            stages = page.locator("#stages tbody tr").count()
            files = page.locator("#downloads a").all_inner_texts()
            bars = page.evaluate("Chart.getChart('chart').data.datasets.length")
        finally:
            browser.close()
    _, stdout = cli("--hardware", "h200", "--batch-size", "4", "--max-new-tokens", "1000")
    assert f"(run {run_id})" in stdout
    assert shown == _cli_headline(stdout)
    assert shown["time per page (batch 4)"].endswith(" s")
    assert stages == 6
    assert files == ["summary.json", "report.json", "report.yaml", "report.md", "manifest.json", "time.json"]
    assert bars == 6
