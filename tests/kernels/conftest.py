"""Fixtures of the kernel-inventory and timing tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from llm_perf_opt.data.runtime_profile import Execution, Expr, KernelSpec, LayerKernels, RuntimeProfile


@pytest.fixture
def toy_linear_profile() -> Callable[..., RuntimeProfile]:
    """A runtime profile of one ``Linear`` entry run as eager module code: ``toy_linear_profile(launches=...,
    torch_calls=..., host_ops={class: expression})`` (one GEMM launch and one torch call per call by default)."""

    def make(launches: str = "1", torch_calls: str = "1", host_ops: dict[str, str] | None = None) -> RuntimeProfile:
        return RuntimeProfile(
            name="toy",
            description="d",
            decoder_attention="flash",
            execution=Execution(default="module"),
            layers={
                "Linear": LayerKernels(
                    source="s",
                    kernels=(KernelSpec(name="gemm", launches=Expr(launches), takes={"own": Expr("1")}),),
                    torch_calls=Expr(torch_calls),
                    host_ops={k: Expr(v) for k, v in (host_ops or {}).items()},
                )
            },
        )

    return make
