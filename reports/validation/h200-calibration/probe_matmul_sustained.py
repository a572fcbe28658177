"""Probe (evidence, not calibration): does a bf16 8192^3 matmul slow down when run back to back?

The calibration's ``matmul_tflops`` is the median of 50 products timed back to back after >= 300 ms of
warm-up; the kernel-time curve's 8192^3 point is 20 profiled products after 5. This prints the rate of each
of 600 back-to-back products (CUDA events around each) at a few positions, after an idle second, and the SM
clock and power that nvidia-smi reads after them. Run: ``python3 probe_matmul_sustained.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import torch

N = 8192
FLOPS = 2 * N**3
a = torch.randn(N, N, device="cuda", dtype=torch.bfloat16)
b = torch.randn(N, N, device="cuda", dtype=torch.bfloat16)
c = torch.empty_like(a)
torch.matmul(a, b, out=c)
torch.cuda.synchronize()
time.sleep(1.0)
events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(600)]
for start, end in events:
    start.record()
    torch.matmul(a, b, out=c)
    end.record()
torch.cuda.synchronize()
smi = subprocess.run(
    [
        "nvidia-smi",
        "--query-gpu=clocks.sm,power.draw,temperature.gpu,clocks_event_reasons.active",
        "--format=csv,noheader",
    ],
    capture_output=True,
    text=True,
    check=False,
).stdout.strip()
ms = [s.elapsed_time(e) for s, e in events]
at = {i: round(FLOPS / (ms[i] * 1e-3) / 1e12, 1) for i in (0, 1, 2, 5, 10, 20, 50, 100, 200, 300, 400, 599)}
out = {"tflops_at_product": at, "nvidia_smi_after": smi, "gpu": torch.cuda.get_device_name(0)}
json.dump(out, sys.stdout)
print()
