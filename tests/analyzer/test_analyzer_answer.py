"""The answer per page: summary.json's ``page`` block, the console's closing headline, report.md's opening
headline, its capacity section, a sweep and the what-if script give the same figures, for every runtime profile,
and they add up."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from llm_perf_opt.contracts.converter import unstructure
from llm_perf_opt.data.analyzer_summary import SUMMARY_SCHEMA_VERSION
from llm_perf_opt.data.error_bands import packaged_error_bands
from llm_perf_opt.kernels.profiles import list_runtimes
from llm_perf_opt.utils.script_module import load_script
from tests.analyzer.conftest import CliResult

WHAT_IF = Path(__file__).resolve().parents[2] / "scripts" / "analytical" / "dsocr_analytic_what_if.py"
PAGE_KEYS = {
    "runtime", "hardware", "calibrated", "basis", "ttft_s", "tpot_s", "page_s", "pages_per_s", "pages_per_day",
    "peak_memory_bytes", "fits", "max_batch", "error_band",
}  # fmt: skip


@pytest.mark.parametrize("runtime", list_runtimes())
def test_every_output_gives_the_same_page(run_cli: Callable[..., CliResult], tmp_path: Path, runtime: str) -> None:
    result = run_cli("--hardware", "h100-sxm", "--runtime", runtime, "--batch-size", "4", "--output-dir", tmp_path)
    assert result.code == 0, result.err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["schema_version"] == SUMMARY_SCHEMA_VERSION == "3"
    page = summary["page"]
    assert set(page) == PAGE_KEYS
    assert (page["runtime"], page["hardware"], page["calibrated"], page["basis"]) == (
        runtime,
        "h100-sxm",
        True,
        "calibrated",
    )
    stages = summary["stages"]
    walls = {name: s["predicted_wall_s"] for name, s in stages.items()}
    # the first token after vision, prefill and the LM head; the page after the 999 decode steps too
    assert page["ttft_s"] == pytest.approx(sum(w for n, w in walls.items() if n != "decode"), rel=1e-12)
    assert page["tpot_s"] == pytest.approx(walls["decode"] / 999, rel=1e-12)
    assert page["page_s"] == pytest.approx(page["ttft_s"] + walls["decode"], rel=1e-12)
    assert page["pages_per_s"] == pytest.approx(4 / page["page_s"], rel=1e-12)
    assert page["pages_per_day"] == pytest.approx(86_400 * page["pages_per_s"], rel=1e-12)
    # the console ends with the headline, report.md opens with it, the capacity section agrees
    per_day = f"{page['pages_per_day']:,.0f}"
    headline = result.out.rstrip().splitlines()[-11:]
    assert headline[0] == f"On h100-sxm under runtime {runtime}:"
    assert headline[5].split() == ["pages", "per", "day", "per", "GPU", per_day]
    assert headline[-2].split()[:3] == ["basis:", "runtime", runtime]
    assert headline[-1].split()[:5] == ["measured", "error", "of", "this", "basis"]
    report = (tmp_path / "report.md").read_text()
    assert report.split("\n## ")[1].startswith(f"The answer: h100-sxm, runtime {runtime}")
    assert f"| pages per day per GPU | {per_day} |" in report.split("\n## ")[1]
    capacity = report[report.index("## Capacity planning") :]
    assert f"| pages per day per GPU | {per_day} |" in capacity
    assert f"| time per page (whole batch: TTFT + decode) | {page['page_s'] * 1e3:,.3f} ms |" in capacity
    gpus = math.ceil(1_000_000 / page["pages_per_day"])
    assert f"| GPUs for 1,000,000 pages/day | {gpus} |" in capacity


@pytest.mark.parametrize("runtime", list_runtimes())
def test_sweep_and_what_if_give_the_same_page(run_cli: Callable[..., CliResult], tmp_path: Path, runtime: str) -> None:
    analyzer = tmp_path / "analyzer"
    assert (
        run_cli("--hardware", "h100-sxm", "--runtime", runtime, "--batch-size", "4", "--output-dir", analyzer).code == 0
    )
    page = json.loads((analyzer / "summary.json").read_text())["page"]
    # the same workload as a one-point sweep: the standard A4 page in Gundam mode, its grid by the vendor's rule
    sweep_file = tmp_path / "one.yaml"
    sweep_file.write_text(
        "name: one\ndescription: the standard page\nplots: false\npoints:\n"
        "  - {resolution_mode: gundam, page_size: 1654x2339, prompt_tokens: 9, max_new_tokens: 1000, batch_size: 4,"
        f" hardware: h100-sxm, attention: flash, runtime: {runtime}}}\n",
        encoding="utf-8",
    )
    assert run_cli("--mode", "sweep", "--sweep", sweep_file, "--output-dir", tmp_path / "sweep").code == 0
    with (tmp_path / "sweep" / "sweep.csv").open(encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["runtime"] == runtime
    assert float(row["seconds_per_batch"]) == page["page_s"]
    assert float(row["pages_per_day"]) == page["pages_per_day"]
    # the what-if script from the analyzer's report.json, on the same GPU under the same runtime
    planning = tmp_path / "planning.json"
    argv = [str(analyzer / "report.json"), "--hardware", "h100-sxm", "--runtime", runtime, "--output", str(planning)]
    assert load_script(WHAT_IF).main(argv) == 0
    point = json.loads(planning.read_text())["planning"]
    assert (point["runtime"], point["seconds_per_batch"], point["pages_per_day"]) == (
        runtime, page["page_s"], page["pages_per_day"],
    )  # fmt: skip


def test_without_hardware_there_is_no_page(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    assert run_cli("--max-new-tokens", "2", "--output-dir", tmp_path).code == 0
    assert "page" not in json.loads((tmp_path / "summary.json").read_text())


def test_a_datasheet_gpu_is_labelled_as_an_estimate(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = run_cli("--hardware", "l4", "--runtime", "fused", "--output-dir", tmp_path)
    assert result.code == 0, result.err
    page = json.loads((tmp_path / "summary.json").read_text())["page"]
    assert page["calibrated"] is False
    assert page["basis"] == "portable"
    assert "basis: GPU l4" in result.out
    assert "portable estimate (not calibrated" in result.out
    assert "not validated against measurements" in result.out  # fused: a serving engine nobody measured here
    # a portable GPU carries the leave-one-GPU-out band whatever the profile, as the packaged table holds it
    band = packaged_error_bands().portable
    assert page["error_band"] == unstructure(band)
    assert f"wall time median {band.wall_median_pct:.1f} %" in result.out
    assert "leave one GPU out" in page["error_band"]["measured_on"]


def test_a_calibrated_gpu_carries_its_runtime_band(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    bands = packaged_error_bands()
    for runtime, expected in (("hf-eager", bands.calibrated["hf-eager"]), ("fused", None)):
        out = tmp_path / runtime
        assert run_cli("--hardware", "h200", "--runtime", runtime, "--output-dir", out).code == 0
        page = json.loads((out / "summary.json").read_text())["page"]
        assert page["error_band"] == (None if expected is None else unstructure(expected))
    # hf-eager describes the vendor's code: its band is the vendor's runs, with their generate() pages
    eager = bands.calibrated["hf-eager"]
    assert eager.measured_on.startswith("the vendor's code")
    assert eager.page_points > 0
