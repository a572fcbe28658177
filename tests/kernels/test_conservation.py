"""Every FLOP and byte of the analytic model lands in exactly one kernel: per stage and per profile,
the kernels' shares add up to the stage layer's forward metrics, whatever the kernels really move."""

from __future__ import annotations

import pytest

from llm_perf_opt.kernels.inventory import forward_work, kernel_inventory
from llm_perf_opt.kernels.profiles import load_runtime
from llm_perf_opt.kernels.timing import model_for_runtime
from modelmeter.models.deepseek_ocr.layers.core import DeepseekOCRModel
from modelmeter.models.deepseek_ocr.workload import OCRWorkload

WORKLOADS = {
    "gundam-2x2-b2": OCRWorkload(crop_grid=(2, 2), batch_size=2, max_new_tokens=6),
    "tiny": OCRWorkload(base_size=512, image_size=512, crop_mode=False, max_new_tokens=3),
    "large": OCRWorkload(base_size=1280, image_size=1280, crop_mode=False, max_new_tokens=2),
}


@pytest.mark.parametrize("profile_name", ["hf-eager", "fused"])
@pytest.mark.parametrize("workload", list(WORKLOADS), ids=list(WORKLOADS))
def test_kernel_shares_sum_to_each_stage_metrics(profile_name: str, workload: str) -> None:
    profile = load_runtime(profile_name)
    model = model_for_runtime(DeepseekOCRModel(workload=WORKLOADS[workload]), profile)
    assert model.workload.attention == profile.decoder_attention
    for stage, layer in model.stage_layers().items():
        inv = kernel_inventory(layer, profile, path=stage)
        assert inv.totals() == forward_work(layer.metrics()), stage
        assert all(r.io_bytes >= 0 and r.calls >= 0 for r in inv.records)
        assert all(r.path.startswith(stage) for r in inv.records)
        # a kernel that does not run moves nothing
        assert all(r.io_bytes == 0 for r in inv.records if r.calls == 0)


def test_apportioned_split_is_exact_for_odd_totals() -> None:
    from llm_perf_opt.kernels.inventory import _apportion

    assert _apportion(10, [1, 1, 1]) == [4, 3, 3]  # 10 = 3 + 3 + 3 + 1 left over, to the first
    assert _apportion(7, [5, 0, 2]) == [5, 0, 2]
    assert sum(_apportion(1_000_003, [3, 7, 11])) == 1_000_003


def test_fused_moe_dispatch_is_elided_but_booked() -> None:
    from modelmeter.models.deepseek_ocr.config import DeepseekV2TextConfig
    from modelmeter.models.deepseek_ocr.layers.decoder import DeepseekV2MoE

    moe = DeepseekV2MoE(config=DeepseekV2TextConfig(), tokens=4)
    inv = kernel_inventory(moe, load_runtime("fused"))
    (dispatch,) = [r for r in inv.records if r.kernel == "dispatch"]
    # the gather of 4 tokens x 6 experts rows of 1280 bf16 values, read and written: booked, not run
    assert dispatch.work_bytes == 2 * 4 * 6 * 1280 * 2 == 122_880
    assert (dispatch.calls, dispatch.io_bytes) == (0, 0)
