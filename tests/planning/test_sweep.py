"""Sweep specs: expansion counts, deterministic outputs, equality with direct predictions, bad input."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from llm_perf_opt.contracts.converter import structure
from llm_perf_opt.data.sweep import SweepAxes, SweepPointSpec, SweepResult, SweepSpec
from llm_perf_opt.planning.predict import predict
from llm_perf_opt.planning.sweep import evaluate_sweep, expand_sweep, load_sweep_spec, parse_sweep_spec, run_sweep
from modelmeter.models.deepseek_ocr.config import DeepseekOCRArch
from modelmeter.models.deepseek_ocr.workload import OCRWorkload, candidate_grids

REPO = Path(__file__).resolve().parents[2]
SWEEPS = REPO / "conf" / "sweeps"
# every (w, h) with 2 <= w*h <= 9: 2 tiles 1x2 2x1; 3: 1x3 3x1; 4: 1x4 2x2 4x1; 5: 1x5 5x1;
# 6: 1x6 2x3 3x2 6x1; 7: 1x7 7x1; 8: 1x8 2x4 4x2 8x1; 9: 1x9 3x3 9x1 -> 2+2+3+2+4+2+4+3 = 22
GUNDAM_GRIDS = 22


def _count(spec: SweepSpec) -> int:
    return sum(len(h) for h in expand_sweep(spec).values())


def test_all_gundam_grids() -> None:
    assert len(candidate_grids(2, 9)) == GUNDAM_GRIDS
    spec = SweepSpec(name="g", description="d", cartesian=SweepAxes(crop_grids=("all",)))
    grids = [v.workload.crop_grid for v, _ in expand_sweep(spec)]
    assert len(grids) == GUNDAM_GRIDS
    assert set(grids) == set(candidate_grids(2, 9))
    # 'all' plus a grid it already holds adds nothing
    again = SweepSpec(name="g", description="d", cartesian=SweepAxes(crop_grids=("all", "3x2")))
    assert _count(again) == GUNDAM_GRIDS


def test_ready_made_sweep_sizes() -> None:
    # (tiny, small, base, large: 1 view each) + 22 Gundam + 22 Gundam-M grids = 48 views;
    # x 3 batches x 3 GPUs = 432
    assert _count(load_sweep_spec(SWEEPS / "modes-grids-batches.yaml")) == 48 * 3 * 3 == 432
    assert _count(load_sweep_spec(SWEEPS / "batch-scaling.yaml")) == 9 * 7
    assert _count(load_sweep_spec(SWEEPS / "page-sizes.yaml")) == 6 * 5 * 2 * 2
    assert _count(load_sweep_spec(SWEEPS / "listed-example.yaml")) == 3
    for path in sorted(SWEEPS.glob("*.yaml")):
        assert _count(load_sweep_spec(path)) > 0, path


def test_page_sizes_pick_the_vendor_grid() -> None:
    axes = SweepAxes(resolution_modes=("gundam", "small"), page_sizes=("1654x2339", "640x480"))
    views = [v for v, _ in expand_sweep(SweepSpec(name="p", description="d", cartesian=axes))]
    got = {(v.workload.crop_mode, v.page_size): v.workload.crop_grid for v in views}
    # A4 portrait 1654x2339 (aspect 0.707): closest allowed ratio is 2/3 -> 2 across x 3 down
    assert got[(True, (1654, 2339))] == (2, 3)
    assert got[(True, (640, 480))] == (1, 1)  # no side above 640 px: no crops
    assert got[(False, (1654, 2339))] == (1, 1)  # Small has no crops


def test_sweep_points_equal_direct_predictions() -> None:
    spec = parse_sweep_spec(
        "name: s\ndescription: d\ncartesian:\n  crop_grids: [3x2, 1x2]\n  batch_sizes: [1, 4]\n"
        "  max_new_tokens: [50]\n  hardware: [l4, h100-sxm]\ntarget_pages_per_day: 100000\nplots: false\n"
    )
    points = evaluate_sweep(spec, progress=False)
    assert len(points) == 2 * 2 * 2
    for p in points:
        assert p == predict(DeepseekOCRArch(), p.workload, p.hardware, target_pages_per_day=100000)
    # sorted: GPU, then tiles (1x2 has 2, 3x2 has 6), then batch
    keys = [(p.hardware, p.workload.n_crops, p.workload.batch_size) for p in points]
    assert keys == sorted(keys)
    assert points[0].hardware == "h100-sxm"
    assert points[0].workload.crop_grid == (2, 1)


def test_outputs_are_deterministic_and_round_trip(tmp_path: Path) -> None:
    spec = SweepSpec(
        name="tiny-sweep",
        description="two grids, two batches, two GPUs",
        cartesian=SweepAxes(
            crop_grids=("3x2", "1x1"), batch_sizes=(1, 2), max_new_tokens=(20,), hardware=("l4", "a100-40gb")
        ),
    )
    first = run_sweep(spec, tmp_path / "a", progress=False)
    run_sweep(spec, tmp_path / "b", progress=False)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    names = {p.as_posix() for p in files_a}
    for plot in (
        "flops_vs_image_tokens",
        "io_bytes_vs_image_tokens",
        "time_vs_image_tokens",
        "memory_vs_image_tokens",
        "tensor_vs_cuda_core",
        "kv_cache_vs_context",
        "ttft_tpot_vs_batch",
        "roofline_l4",
        "roofline_a100-40gb",
    ):
        assert {f"plots/{plot}.svg", f"plots/{plot}.png"} <= names
    assert (tmp_path / "a" / "plots" / "roofline_l4.png").read_bytes()[:4] == b"\x89PNG"
    assert b"Date" not in (tmp_path / "a" / "plots" / "roofline_l4.svg").read_bytes()
    # JSON: the same points back
    result = structure(json.loads((tmp_path / "a" / "sweep.json").read_text()), SweepResult)
    assert list(result.points) == first
    assert result.spec == spec
    # CSV: one row per point, in the same order, values as predicted
    rows = list(csv.DictReader(io.StringIO((tmp_path / "a" / "sweep.csv").read_text())))
    assert len(rows) == len(first) == 2 * 2 * 2
    for row, p in zip(rows, first, strict=True):
        assert row["hardware"] == p.hardware
        assert float(row["ttft_seconds"]) == p.ttft_seconds
        assert int(row["decode.forward_io_bytes"]) == p.stage("decode").forward_io_bytes
        assert row["crop_grid"] == ("3x2" if p.workload.crop_grid == (2, 3) else "1x1")  # rows x columns


def test_no_progress_output_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    spec = SweepSpec(
        name="q", description="d", cartesian=SweepAxes(crop_grids=("2x2",), max_new_tokens=(5,)), plots=False
    )
    evaluate_sweep(spec, progress=True)  # stderr is captured, not a terminal
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: a\ndescription: b\ncartesian: {hardware: [h100]}\n",
            "hardware: unknown 'h100'; allowed: a100-40gb, a100-80gb, a10g, b200, h100-pcie, h100-sxm, h200, l4, l40s, "
            "rtx-4090, rtx-5090, rtx-pro-6000-server",
        ),
        (
            "name: a\ndescription: b\ncartesian: {resolution_modes: [huge]}\n",
            "resolution_modes: unknown 'huge'; allowed: tiny, small, base, large, gundam, gundam-m",
        ),
        (
            "name: a\ndescription: b\ncartesian: {crop_grids: [3by2]}\n",
            "crop_grids: bad '3by2'; expected ROWSxCOLUMNS (each >= 1) such as 3x2, or all",
        ),
        (
            "name: a\ndescription: b\ncartesian: {page_sizes: [A4]}\n",
            "page_sizes: bad 'A4'; expected WIDTHxHEIGHT in pixels such as 1654x2339",
        ),
        ("name: a\ndescription: b\ncartesian: {batch_sizes: [0]}\n", "batch_sizes: must be an integer >= 1, got 0"),
        ("name: a\ndescription: b\ncartesian: {batch_size: [2]}\n", "extra fields found (batch_size)"),
        ("name: a\ndescription: b\n", "cartesian/points: give exactly one of them"),
        ("name: a\ndescription: b\npoints: [{attention: sdpa}]\n", "attention: unknown 'sdpa'; allowed: flash, eager"),
        ("name: a\ndescription: b\ncartesian: {}\nmax_crops: 1\n", "max_crops: 1 is below min_crops 2"),
        ("- 1\n", "must hold a mapping of sweep fields, got list"),
        ("name: [\n", "not valid YAML"),
    ],
)
def test_bad_specs(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        parse_sweep_spec(text, "bad.yaml")
    assert str(err.value).startswith("bad.yaml: ")
    assert "\n" not in str(err.value)


def test_extra_key_names_the_key_it_was_probably_meant_to_be() -> None:
    with pytest.raises(
        ValueError, match=r"extra fields found \(batch_size\) @ \$.cartesian \(did you mean batch_sizes"
    ):
        parse_sweep_spec("name: a\ndescription: b\ncartesian: {batch_size: [2]}\n")


def test_grid_on_a_mode_without_crops_is_refused() -> None:
    spec = SweepSpec(name="x", description="y", points=(SweepPointSpec(resolution_mode="small", crop_grid="3x2"),))
    with pytest.raises(ValueError, match=r"crop_grid: mode 'small' has no crops; only 1x1 is allowed, got 3x2"):
        expand_sweep(spec)


def test_missing_file() -> None:
    with pytest.raises(ValueError, match=r"sweep: no such file"):
        load_sweep_spec(SWEEPS / "nope.yaml")


def test_listed_points_build_the_named_workloads() -> None:
    views = expand_sweep(load_sweep_spec(SWEEPS / "listed-example.yaml"))
    got = {
        (v.workload.base_size, v.workload.crop_grid, v.workload.batch_size, v.workload.attention, rt, tuple(h))
        for (v, rt), h in views.items()
    }
    # gundam-m on an A4 landscape page (2339x1654, aspect 1.414): closest allowed ratio 3/2 -> 3 across x 2 down
    assert got == {
        (640, (1, 1), 8, "flash", "roofline", ("l4",)),
        (1024, (2, 3), 16, "flash", "roofline", ("a100-40gb",)),
        (1280, (3, 2), 4, "eager", "roofline", ("h200",)),
    }
    assert OCRWorkload(crop_grid=(3, 2)).n_crops == 6
