"""``scripts/gpu/measure_vendor.py --routing uniform``: the hook that replaces each MoE gate's chosen experts by a
fixed uniform draw, on stand-in gates (a module class named as the vendor's, CPU tensors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from llm_perf_opt.utils.script_module import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu" / "measure_vendor.py"


class MoEGate(torch.nn.Module):
    """The vendor's gate's interface: ``(chosen experts, their weights, aux loss)``, always experts 0..top_k-1."""

    def __init__(self, n_routed_experts: int, top_k: int) -> None:
        super().__init__()
        self.n_routed_experts, self.top_k = n_routed_experts, top_k

    def forward(self, x: Any) -> tuple[Any, Any, None]:
        rows = x.shape[0] * x.shape[1]
        chosen = torch.arange(self.top_k).expand(rows, self.top_k).contiguous()
        return chosen, torch.ones(rows, self.top_k), None


def test_every_gate_routes_each_row_to_distinct_uniformly_drawn_experts() -> None:
    script = load_script(SCRIPT)
    model = torch.nn.ModuleList([MoEGate(64, 6), torch.nn.Linear(2, 2), MoEGate(64, 6)])
    assert script.uniform_routing(torch, model, seed=0) == 2
    x = torch.zeros(1, 2000, 4)
    first, weight, aux = model[0](x)
    assert first.shape == (2000, 6)
    assert first.dtype == torch.int64
    assert aux is None
    assert torch.equal(weight, torch.ones(2000, 6))  # the gate's own weights pass through
    # each row: 6 distinct experts of 64; over 12,000 choices every expert is drawn, about 12,000 / 64 times each
    assert all(len(set(row)) == 6 for row in first.tolist())
    counts = torch.bincount(first.flatten(), minlength=64)
    assert int(counts.min()) > 100
    assert int(counts.max()) < 300
    # the draw is fixed per layer and row count (the same experts on every call), and differs between layers
    assert torch.equal(model[0](x)[0], first)
    assert not torch.equal(model[2](x)[0], first)
    assert model[0](torch.zeros(1, 3, 4))[0].shape == (3, 6)
