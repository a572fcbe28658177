"""The measured-error table: pooled medians and worst cases per basis, read from report summaries."""

from __future__ import annotations

import json
from pathlib import Path

from llm_perf_opt.contracts.converter import unstructure
from llm_perf_opt.data.error_bands import packaged_error_bands
from llm_perf_opt.validation.error_bands import (
    CALIBRATED_RUNS,
    PORTABLE_SUMMARY,
    VendorErrors,
    bands_json,
    error_bands,
)

REPO = Path(__file__).resolve().parents[2]


def _summaries() -> dict[str, str]:
    h100 = {"profiles": {"hf-sdpa": {"points": [{"kernel_error_pct": -10.0, "wall_error_pct": 2.0}]}}}
    h200 = {
        "profiles": {
            "hf-sdpa": {
                "points": [
                    {"kernel_error_pct": 4.0, "wall_error_pct": -6.0},
                    {"kernel_error_pct": 1.0, "wall_error_pct": 30.0},
                ]
            }
        }
    }
    portable = {
        "leave_one_out": [
            {"target": "a", "reference": "b", "points": [{"kernel_error_pct": 3.0, "wall_error_pct": -20.0}]},
            {"target": "b", "reference": "a", "points": [{"kernel_error_pct": -5.0, "wall_error_pct": 10.0}]},
        ]
    }
    (h100_path, _), (h200_path, _) = CALIBRATED_RUNS
    return {h100_path: json.dumps(h100), h200_path: json.dumps(h200), PORTABLE_SUMMARY: json.dumps(portable)}


def test_bands_pool_every_point_of_both_gpus_and_both_directions() -> None:
    texts = _summaries()
    vendor = VendorErrors(kernel=(-20.0, 10.0), wall=(5.0, -15.0, 25.0), pages=(-18.0, 12.0), measured_on="v")
    bands = error_bands(texts.__getitem__, {"hf-eager": vendor})
    sdpa = bands.calibrated["hf-sdpa"]
    # |-10|, |4|, |1| -> median 4, worst 10; |2|, |-6|, |30| -> median 6, worst 30
    assert (sdpa.kernel_median_pct, sdpa.kernel_worst_pct, sdpa.wall_median_pct, sdpa.wall_worst_pct) == (
        4.0,
        10.0,
        6.0,
        30.0,
    )
    assert (sdpa.points, sdpa.page_median_pct) == (3, None)
    # signed: 2, -6, 30 -> median 2 (the bias, where the absolute median mixes both directions)
    assert (sdpa.wall_signed_median_pct, sdpa.page_signed_median_pct) == (2.0, None)
    eager = bands.calibrated["hf-eager"]  # the vendor's runs, with their pages: |-18|, |12| -> median 15, worst 18
    assert (eager.kernel_median_pct, eager.wall_median_pct, eager.wall_worst_pct) == (15.0, 15.0, 25.0)
    assert (eager.page_median_pct, eager.page_worst_pct, eager.page_points, eager.measured_on) == (15.0, 18.0, 2, "v")
    # signed: walls 5, -15, 25 -> 5; pages -18, 12 -> -3
    assert (eager.wall_signed_median_pct, eager.page_signed_median_pct) == (5.0, -3.0)
    assert "predicted low by a median 3.0 %" in eager.describe()
    portable = bands.portable  # |3|, |-5| -> 4 and 5; |-20|, |10| -> 15 and 20
    assert (portable.kernel_median_pct, portable.kernel_worst_pct, portable.wall_median_pct) == (4.0, 5.0, 15.0)
    assert portable.wall_signed_median_pct == -5.0  # -20 and 10
    assert "a from b and b from a" in portable.measured_on


def test_the_packaged_table_reads_back_as_written() -> None:
    bands = packaged_error_bands()
    text = (REPO / "src/llm_perf_opt/conf/validation/error_bands.json").read_text(encoding="utf-8")
    assert bands_json(bands) == text
    assert json.loads(text) == unstructure(bands)
    assert set(bands.calibrated) == {"hf-eager", "hf-sdpa", "hf-sdpa-graph"}
