"""The validation report's machinery: point -> layer mapping, error statistics, summary contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_perf_opt.validation.compare import ComparisonRow, error_stats, summary_dict
from llm_perf_opt.validation.points import MeasuredPoint, analytic_layer, load_points
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRDecodeStep

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "reports" / "validation" / "h100"


def test_point_maps_to_the_stage_layer_of_its_mode() -> None:
    sam = analytic_layer(
        MeasuredPoint(
            stage="sam",
            mode="gundam-2x2",
            batch=1,
            kv_len=None,
            profile="fused",
            measured_kernel_s=1.0,
            measured_wall_s=1.0,
        )
    )
    # Gundam 2x2: the crops call (4 tiles at 640) then the global view (1 at 1024)
    assert [c.name for c in sam.children()] == ["sam_model[crops]", "sam_model[global]"]
    step = analytic_layer(
        MeasuredPoint(
            stage="decode",
            mode=None,
            batch=8,
            kv_len=2048,
            profile="hf-eager",
            measured_kernel_s=1.0,
            measured_wall_s=1.0,
        )
    )
    assert isinstance(step, DeepseekOCRDecodeStep)
    assert (step.batch, step.kv_len, step.attention) == (8, 2048, "eager")


def test_unknown_mode_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="mode: unknown 'huge'"):
        analytic_layer(
            MeasuredPoint(
                stage="sam",
                mode="huge",
                batch=1,
                kv_len=None,
                profile="fused",
                measured_kernel_s=1.0,
                measured_wall_s=1.0,
            )
        )


def test_error_statistics_hand_derived() -> None:
    def row(pred: float, meas: float) -> ComparisonRow:
        return ComparisonRow(
            label="x",
            stage="sam",
            mode="base",
            batch=1,
            kv_len=None,
            predicted_s=pred,
            measured_s=meas,
            measured_wall_s=meas,
        )

    rows = [row(1.1, 1.0), row(0.5, 1.0), row(2.0, 2.0)]  # +10 %, -50 %, 0 %
    assert error_stats(rows) == pytest.approx((10.0, 50.0))
    summary = summary_dict("GPU", rows)
    assert set(summary) == {"gpu", "points", "median_abs_error_pct", "max_abs_error_pct"}
    assert set(summary["points"][0]) == {
        "stage",
        "mode",
        "batch",
        "kv_len",
        "predicted_s",
        "measured_kernel_s",
        "measured_wall_s",
    }


def test_committed_summary_matches_its_raw_measurements() -> None:
    points = load_points(RAW / "raw-fused.json")
    summary = json.loads((RAW / "summary.json").read_text())
    assert len(summary["points"]) == len(points) == 29  # 5 modes x (3 vision + prefill + lm_head) + 4 decode
    assert [p["measured_kernel_s"] for p in summary["points"]] == [p.measured_kernel_s for p in points]
