"""The HTTP API through the framework's test client: every endpoint, the CLI's answers, bad inputs and limits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from litestar.testing import TestClient

from llm_perf_opt.data.hardware import HardwareSpec
from llm_perf_opt.hardware.registry import list_hardware
from llm_perf_opt.kernels.profiles import list_runtimes
from llm_perf_opt.runners import dsocr_analyzer
from llm_perf_opt.utils.packaged_defaults import packaged_workload_ids
from llm_perf_opt.web import engine
from llm_perf_opt.web.app import create_app
from llm_perf_opt.web.engine import MAX_BODY_BYTES, MAX_SWEEP_POINTS, AnalysisStore
from llm_perf_opt.web.models import AnalysisRequest

from .conftest import REPO_ROOT, cli_headline

Cli = Callable[..., tuple[Path, str]]

NEW_GPUS = ("l40s", "a10g", "h100-pcie", "b200", "rtx-pro-6000-server")
BODY = {"hardware": "h100-sxm", "runtime": "hf-eager", "batch_size": 2, "max_new_tokens": 64}
ARGV = ("--hardware", "h100-sxm", "--runtime", "hf-eager", "--batch-size", "2", "--max-new-tokens", "64")


def _post(client: TestClient, body: Any) -> Any:
    return client.post("/v1/analyses", json=body)


def test_lists_name_the_packaged_records(client: TestClient) -> None:
    assert [h["name"] for h in client.get("/v1/hardware").json()] == list_hardware()
    assert [r["name"] for r in client.get("/v1/runtimes").json()] == list_runtimes()
    workloads = client.get("/v1/workloads").json()
    assert workloads["default"] == "dsocr-standard-v1"
    assert [p["name"] for p in workloads["profiles"]] == list(packaged_workload_ids())
    models = client.get("/v1/models").json()
    assert [m["name"] for m in models] == ["deepseek-ocr", "deepseek-ocr-2"]
    assert [m["standard_profile"] for m in models] == ["dsocr-standard-v1", "dsocr2-standard-v1"]
    assert {m["standard_profile"] for m in models} <= {p["name"] for p in workloads["profiles"]}
    gundam = next(m for m in models[0]["resolution_modes"] if m["name"] == "gundam")
    assert (gundam["base_size"], gundam["image_size"], gundam["crop_mode"]) == (1024, 640, True)
    gpus = {h["name"]: h for h in client.get("/v1/hardware").json()}
    assert (gpus["h100-sxm"]["memory_gb"], gpus["h100-sxm"]["calibrated"], gpus["h100-sxm"]["basis"]) == (
        80.0,
        True,
        "calibrated",
    )
    assert {n for n, h in gpus.items() if h["basis"] == "calibrated"} == {"h100-sxm", "h200"}
    for name in NEW_GPUS:  # datasheet-only entries: the portable model
        assert (gpus[name]["calibrated"], gpus[name]["basis"]) == (False, "portable"), name
    assert (gpus["b200"]["architecture"], gpus["b200"]["memory_gb"]) == ("blackwell", 180.0)


def test_analysis_is_the_cli_run(client: TestClient, cli: Cli) -> None:
    response = _post(client, BODY)
    assert response.status_code == 201, response.text
    status = response.json()
    out_dir, stdout = cli(*ARGV)
    assert f"(run {status['id']})" in stdout  # same inputs, same id (the analyzer's hash)
    base = f"/v1/analyses/{status['id']}"
    assert status["links"]["summary"] == f"{base}/summary"
    assert client.get(f"{base}/summary").content == (out_dir / "summary.json").read_bytes()
    assert client.get(f"{base}/report").content == (out_dir / "report.json").read_bytes()
    for name in ("report.yaml", "report.md"):
        got = client.get(status["links"]["files"][name])
        assert got.status_code == 200
        assert got.content == (out_dir / name).read_bytes()
        assert got.headers["content-disposition"] == f'attachment; filename="{status["id"]}-{name}"'
    assert client.get(base).json() == {**status, "cached": True}
    # the status's command line, run by the CLI, gives the same id
    assert status["command_line"][0] == "dsocr-analyzer"
    _, again = cli(*status["command_line"][1:])
    assert f"(run {status['id']})" in again


def test_a_second_model_is_the_cli_run(client: TestClient, cli: Cli) -> None:
    status = _post(client, {"model": "deepseek-ocr-2", "hardware": "h200", "max_new_tokens": 32}).json()
    assert status["command_line"][3] == "--model=deepseek-ocr-2"
    out_dir, stdout = cli("--model", "deepseek-ocr-2", "--hardware", "h200", "--max-new-tokens", "32")
    assert f"(run {status['id']})" in stdout
    summary = client.get(status["links"]["summary"])
    assert summary.content == (out_dir / "summary.json").read_bytes()
    stages = [s["stage"] for s in client.get(f"/v1/analyses/{status['id']}/time").json()["stages"]]
    assert stages == next(m["stages"] for m in client.get("/v1/models").json() if m["name"] == "deepseek-ocr-2")


def test_portable_gpus_are_the_cli_runs(client: TestClient, cli: Cli) -> None:
    """The GPUs without measured curves, through a sweep on DeepSeek-OCR-2: each point's page block (its basis
    ``portable``) is the CLI's for the same inputs."""
    body = {"base": {"model": "deepseek-ocr-2", "max_new_tokens": 24, "batch_size": 2}, "hardware": list(NEW_GPUS)}
    response = client.post("/v1/sweeps", json=body)
    assert response.status_code == 200, response.text
    points = response.json()["points"]
    assert [p["values"] for p in points] == [{"hardware": name} for name in NEW_GPUS]
    for point, name in zip(points, NEW_GPUS, strict=True):
        out_dir, stdout = cli(
            "--model", "deepseek-ocr-2", "--max-new-tokens", "24", "--batch-size", "2", "--hardware", name
        )
        assert f"(run {point['id']})" in stdout
        cli_page = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))["page"]
        assert point["page"] == cli_page
        assert (cli_page["hardware"], cli_page["basis"], cli_page["calibrated"]) == (name, "portable", False)
        rows = client.get(f"/v1/analyses/{point['id']}/headline").json()["rows"]
        assert {r["label"]: r["value"] for r in rows} == cli_headline(stdout)
        assert rows[-3]["label"] == f"basis: GPU {name}"
        assert rows[-3]["value"].startswith("portable estimate")
        assert rows[-1]["label"] == "measured error of this basis"
        assert "leave one GPU out" in rows[-1]["value"]


def test_headline_and_time_are_the_cli_figures(client: TestClient, cli: Cli) -> None:
    run_id = _post(client, BODY).json()["id"]
    headline = client.get(f"/v1/analyses/{run_id}/headline").json()
    _, stdout = cli(*ARGV)
    printed = stdout.split("\nOn h100-sxm under runtime hf-eager:\n", 1)[1].splitlines()
    assert len(printed) == len(headline["rows"]) == 10
    for line, row in zip(printed, headline["rows"], strict=True):
        assert line.split() == [*row["label"].split(), *row["value"].split()]
    summary = client.get(f"/v1/analyses/{run_id}/summary").json()
    assert headline["page"] == summary["page"]
    assert headline["batch_size"] == 2
    time = client.get(f"/v1/analyses/{run_id}/time").json()
    assert (time["hardware"], time["runtime"]) == ("h100-sxm", "hf-eager")
    assert [s["stage"] for s in time["stages"]] == list(summary["stages"])
    for part in time["stages"]:  # the same sums, added in another order: equal to the last bits of a double
        stage = summary["stages"][part["stage"]]
        assert part["wall_s"] == pytest.approx(stage["predicted_wall_s"], rel=1e-12)
        assert part["kernel_s"] == pytest.approx(stage["predicted_kernel_s"], rel=1e-12)
        assert part["parts"]["roofline_s"] == pytest.approx(stage["predicted_time_s"], rel=1e-12)
        assert sum(part["parts"].values()) == pytest.approx(part["wall_s"], rel=1e-12)


def test_same_inputs_are_computed_once(client: TestClient, cache_dir: Path) -> None:
    body = {"max_new_tokens": 7, "format": "json"}
    first = _post(client, body).json()
    summary = cache_dir / "runs" / first["id"] / "summary.json"
    written = summary.stat().st_mtime_ns
    second = _post(client, body).json()
    assert (first["cached"], second["cached"], second["id"]) == (False, True, first["id"])
    assert summary.stat().st_mtime_ns == written


def test_without_hardware_there_is_no_time(client: TestClient) -> None:
    run_id = _post(client, {"max_new_tokens": 7, "format": "json"}).json()["id"]
    assert client.get(f"/v1/analyses/{run_id}/headline").json() == {"batch_size": 1, "page": None, "rows": []}
    time = client.get(f"/v1/analyses/{run_id}/time").json()
    assert (time["hardware"], time["stages"]) == (None, [])
    assert "page" not in client.get(f"/v1/analyses/{run_id}/summary").json()


def test_format_yaml_serves_the_yaml_report(client: TestClient, cli: Cli) -> None:
    status = _post(client, {"max_new_tokens": 5, "format": "yaml"}).json()
    assert list(status["links"]["files"]) == ["summary.json", "report.yaml", "report.md", "manifest.json", "time.json"]
    report = client.get(status["links"]["report"])
    assert report.headers["content-type"].startswith("application/yaml")
    out_dir, _ = cli("--max-new-tokens", "5", "--format", "yaml")
    assert report.content == (out_dir / "report.yaml").read_bytes()
    assert yaml.safe_load(report.text)["workload"]["max_new_tokens"] == 5
    missing = client.get(f"/v1/analyses/{status['id']}/files/report.json")
    assert missing.status_code == 404
    assert missing.json()["field"] == "name"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"batch_size": 0}, "batch_size", "must be an integer >= 1, got 0"),
        ({"batch_size": "2"}, "batch_size", "batch_size"),
        ({"batch_size": 1.5}, "batch_size", "batch_size"),
        ({"batch_sise": 1}, "batch_sise", "unknown field (batch_sise) (did you mean batch_size, base_size?)"),
        ({"crop_mode": 1}, "crop_mode", "expected true or false, got 1"),
        ({"image_size": 7}, "image_size", "must be a positive multiple of 16 pixels, got 7"),
        ({"crop_grid": "1x1025"}, "crop_grid", "at most 1,024 crops, got 1025x1 = 1,025"),
        ({"model": "deepseek-ocr-2", "resolution_mode": "gundam"}, "resolution_mode", "allowed: dynamic, global-1024"),
        ({"dtype": "\x1b[31m"}, "dtype", "invalid choice: '\\x1b[31m'"),
        ({"hardware": "../../etc/passwd"}, "hardware", "allowed: a100-40gb"),
        ({"hardware": "conf/hardware/h100-sxm.yaml"}, "hardware", "unknown"),
        ({"workload_profile_id": "pyproject.toml"}, "workload_profile_id", "allowed: dsocr-standard-v1"),
        ({"model": "/work"}, "model", "allowed: deepseek-ocr, deepseek-ocr-2"),
        ({"model": "deepseek-ocr/config.json"}, "model", "unknown"),
        ({"runtime": "fused"}, "runtime", "runtime: needs hardware"),
        ({"hardware": "l4", "runtime": "vllm"}, "runtime", "allowed: fused"),
        ({"resolution_mode": "huge"}, "resolution_mode", "invalid choice"),
        ({"crop_grid": "3by2"}, "crop_grid", "expected ROWSxCOLUMNS"),
        ({"crop_grid": "-3x2"}, "crop_grid", "crop_grid"),
        ({"base_size": 1000}, "base_size", "multiple of 16"),
        ({"format": "xml"}, "format", "invalid choice"),
        ({"dtype": "int3"}, "dtype", "invalid choice"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: TestClient,
    body: dict[str, Any],
    field: str,
    words: str,
) -> None:
    response = _post(client, body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert (error["status_code"], error["field"]) == (422, field)
    assert error["detail"].startswith(f"{field}: ")
    assert words in error["detail"]
    assert "\n" not in error["detail"]
    assert len(error["detail"]) < 300
    assert "--" not in error["detail"].split(": ", 1)[0]


def test_an_error_quoting_a_long_value_stays_one_short_line(client: TestClient) -> None:
    response = _post(client, {"crop_grid": "9" * 5000 + "x2", "dtype": "é" * 4000})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) <= 300
    assert "\n" not in detail


def test_body_must_be_a_small_json_object(client: TestClient) -> None:
    assert _post(client, [1, 2]).status_code == 422
    bad_json = client.post("/v1/analyses", content=b"{", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400
    padding = " " * MAX_BODY_BYTES
    too_big = client.post("/v1/analyses", content=f'{{"batch_size": 1{padding}}}'.encode())
    assert too_big.status_code == 413
    assert too_big.json() == {"status_code": 413, "field": None, "detail": f"body: at most {MAX_BODY_BYTES:,} bytes"}


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/v1/analyses/-dash", 422, "id"),
        ("/v1/analyses/" + "a" * 129, 422, "id"),
        ("/v1/analyses/.hidden/summary", 422, "id"),
        ("/v1/analyses/dsocr-standard-v1-0000000000", 404, "id"),
        ("/v1/analyses/dsocr-standard-v1-0000000000/report", 404, "id"),
        ("/v1/analyses/x/files/..%2F..%2Fpyproject.toml", 404, None),
    ],
)
def test_bad_or_unknown_ids(client: TestClient, path: str, status: int, field: str | None) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["field"] == field


def test_only_listed_files_are_served(client: TestClient, cache_dir: Path) -> None:
    run_id = _post(client, {"max_new_tokens": 7, "format": "json"}).json()["id"]
    assert (cache_dir / "runs" / run_id / "layers").is_dir()
    for name in ("layers", "manifest.json.bak", "report.json%2F..%2F..%2Fmanifest.json", "%2E%2E"):
        response = client.get(f"/v1/analyses/{run_id}/files/{name}")
        assert response.status_code == 404, name


def test_sweep_points_are_analyses(client: TestClient) -> None:
    body = {"base": {"max_new_tokens": 32}, "hardware": ["h100-sxm", "l4"], "batch_size": [1, 4]}
    response = client.post("/v1/sweeps", json=body)
    assert response.status_code == 200, response.text
    points = response.json()["points"]
    assert [p["values"] for p in points] == [
        {"hardware": "h100-sxm", "batch_size": 1},
        {"hardware": "h100-sxm", "batch_size": 4},
        {"hardware": "l4", "batch_size": 1},
        {"hardware": "l4", "batch_size": 4},
    ]
    for point in points:
        single = _post(client, {"max_new_tokens": 32, **point["values"]}).json()
        assert (single["id"], single["cached"]) == (point["id"], True)
        assert client.get(point["links"]["summary"]).json()["page"] == point["page"]
    assert points[1]["page"]["pages_per_s"] > points[0]["page"]["pages_per_s"]


def test_sweep_limits(client: TestClient, cache_dir: Path) -> None:
    before = sorted(p.name for p in (cache_dir / "runs").iterdir())
    big = {"batch_size": list(range(1, MAX_SWEEP_POINTS + 2))}
    response = client.post("/v1/sweeps", json=big)
    assert response.status_code == 422
    assert f"= {MAX_SWEEP_POINTS + 1} points; at most {MAX_SWEEP_POINTS}" in response.json()["detail"]
    bad = client.post("/v1/sweeps", json={"hardware": ["h100-sxm", "nope"]})
    assert (bad.status_code, bad.json()["field"]) == (422, "hardware")
    typo = client.post("/v1/sweeps", json={"gpus": ["h100-sxm"]})
    assert (typo.status_code, typo.json()["field"]) == (422, "gpus")
    assert typo.json()["detail"].startswith("gpus: unknown field (gpus) (allowed: base, hardware, runtime,")
    nested = client.post("/v1/sweeps", json={"base": {"crop_mode": 1}, "batch_size": [1, 2]}).json()
    assert (nested["field"], nested["detail"]) == ("base", "base.crop_mode: expected true or false, got 1")
    assert sorted(p.name for p in (cache_dir / "runs").iterdir()) == before


def test_writes_only_under_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work, cache = tmp_path / "cwd", tmp_path / "cache"
    work.mkdir()
    monkeypatch.chdir(work)
    with TestClient(create_app(cache)) as c:
        assert _post(c, {"max_new_tokens": 3, "format": "json", "hardware": "l4"}).status_code == 201
        assert _post(c, {"workload_profile_id": "../x.yaml"}).status_code == 422
        assert c.post("/v1/sweeps", json={"batch_size": [1, 2], "base": {"max_new_tokens": 3}}).status_code == 200
    assert list(work.iterdir()) == []
    assert [p.name for p in cache.iterdir()] == ["runs"]
    assert len(list((cache / "runs").iterdir())) == 3


def test_cache_keeps_the_most_recently_used_runs(tmp_path: Path) -> None:
    store = AnalysisStore(tmp_path, max_runs=2)
    first, _ = store.analyze(AnalysisRequest(max_new_tokens=2, format="json"))
    second, _ = store.analyze(AnalysisRequest(max_new_tokens=3, format="json"))
    os.utime(tmp_path / "runs" / first, (1, 1))  # first is the least recently used
    os.utime(tmp_path / "runs" / second, (2, 2))
    assert store.analyze(AnalysisRequest(max_new_tokens=2, format="json")) == (first, True)  # used again: newest
    third, _ = store.analyze(AnalysisRequest(max_new_tokens=4, format="json"))
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == sorted([first, third])


def test_a_repeated_request_reads_the_packaged_files_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    resolve = dsocr_analyzer.resolve_hardware

    def counted(name: str) -> HardwareSpec:
        read.append(name)
        return resolve(name)

    monkeypatch.setattr(dsocr_analyzer, "resolve_hardware", counted)
    monkeypatch.setattr(engine, "MAX_PLANS", 2)
    store = AnalysisStore(tmp_path)
    l4 = AnalysisRequest(hardware="l4", max_new_tokens=2, format="json")
    run_id, _ = store.analyze(l4)
    assert store.analyze(l4) == (run_id, True)
    assert read == ["l4"]
    for _ in range(2):  # a refused request is not kept: asked again, refused again
        with pytest.raises(engine.RequestError, match="batch_size: must be an integer >= 1, got 0"):
            store.analyze(attrs.evolve(l4, batch_size=0))
    store.analyze(attrs.evolve(l4, hardware="h200"))
    store.analyze(attrs.evolve(l4, hardware="l40s"))  # the plans of h200 and l40s kept; l4's dropped
    assert store.analyze(l4) == (run_id, True)
    assert read == ["l4", "h200", "l40s", "l4"]


def test_served_openapi_is_the_committed_document(client: TestClient) -> None:
    served = client.get("/schema/openapi.json").json()
    committed = json.loads((REPO_ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert served == committed
    assert {"/v1/analyses", "/v1/analyses/{run_id}/summary", "/v1/sweeps", "/v1/hardware"} <= set(served["paths"])
    summary_keys = set(served["components"]["schemas"]["AnalyzerSummary"]["properties"])
    assert {"schema_version", "workload", "stages", "page"} <= summary_keys


def test_page_and_vendored_chart_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<script src="vendor/chart.umd.min.js">' in page.text
    for text in (page.text, client.get("/app.js").text, client.get("/style.css").text):
        assert "://" not in text  # nothing loaded from another host: the page works offline
    chart = client.get("/vendor/chart.umd.min.js")
    assert chart.status_code == 200
    assert chart.text.startswith("/*!\n * Chart.js v4.6.1")


def test_the_service_imports_no_torch() -> None:
    code = (
        "import sys, tempfile\n"
        "from litestar.testing import TestClient\n"
        "from llm_perf_opt.web.app import create_app\n"
        "with TestClient(create_app(tempfile.mkdtemp())) as c:\n"
        "    assert c.post('/v1/analyses', json={'hardware': 'h200', 'max_new_tokens': 3}).status_code == 201\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr
