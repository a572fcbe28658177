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

from .conftest import cli_headline

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


def _wait_for_new_run(page: Any, previous: str) -> str:
    page.wait_for_function(
        f"document.body.dataset.state === 'ready' && document.body.dataset.runId !== {previous!r}",
        timeout=60_000,
    )
    run_id: str = page.evaluate("document.body.dataset.runId")
    return run_id


@pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"{CHROMIUM} is absent (apt-get install -y chromium; .ci/run does)")
def test_page_shows_thecli_headline(served: str, cli: Callable[..., tuple[Path, str]]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(served)
            page.wait_for_function("document.body.dataset.state === 'ready'", timeout=60_000)
            first = page.evaluate("document.body.dataset.runId")
            gpus = page.eval_on_selector_all(
                "#hardware option", "options => options.map(o => [o.value, o.parentElement.label])"
            )
            page.select_option("#hardware", "h200")
            page.fill("#batch_size", "4")
            run_id = _wait_for_new_run(page, first)
            shown = _page_headline(page)
            stages = page.locator("#stages tbody tr").count()
            files = page.locator("#downloads a").all_inner_texts()
            bars = page.evaluate("Chart.getChart('chart').data.datasets.length")
            # DeepSeek-OCR-2 on a GPU without measured curves (the portable model)
            page.select_option("#model", "deepseek-ocr-2")
            page.select_option("#hardware", "b200")
            page.fill("#batch_size", "8")
            page.fill("#max_new_tokens", "300")
            run_id_2 = _wait_for_new_run(page, run_id)
            shown_2 = _page_headline(page)
            title_2 = page.inner_text("#headline-a")
        finally:
            browser.close()
    _, stdout = cli("--hardware", "h200", "--batch-size", "4", "--max-new-tokens", "1000")
    assert f"(run {run_id})" in stdout
    assert shown == cli_headline(stdout)
    assert shown["time per page (batch 4)"].endswith(" s")
    assert stages == 6
    assert files == ["summary.json", "report.json", "report.yaml", "report.md", "manifest.json", "time.json"]
    assert bars == 6
    _, stdout_2 = cli("--model", "deepseek-ocr-2", "--hardware", "b200", "--batch-size", "8", "--max-new-tokens", "300")
    assert f"(run {run_id_2})" in stdout_2
    assert shown_2 == cli_headline(stdout_2)
    assert shown_2["basis: GPU b200"].startswith("portable estimate")
    assert title_2 == "b200, fused (portable)"
    names = [name for name, _ in gpus]
    assert set(names) >= {"l40s", "a10g", "h100-pcie", "b200", "rtx-pro-6000-server", "h200"}
    groups = dict(gpus)  # each GPU under the basis of its times
    assert {name for name, group in gpus if group.startswith("calibrated")} == {"h100-sxm", "h200"}
    assert groups["l40s"] == groups["rtx-pro-6000-server"] == "portable estimates (datasheet)"
