"""Kernel-level time: runtime profiles (which kernels a runtime launches for each analytic layer),
the kernel inventory of a layer tree, kernel and wall time, and the "where the time goes" report.

Modules (import them directly; this package imports nothing on its own):

* :mod:`llm_perf_opt.kernels.profiles`: load ``conf/runtimes/<name>.yaml``;
* :mod:`llm_perf_opt.kernels.inventory`: layer tree + profile -> kernels;
* :mod:`llm_perf_opt.kernels.timing`: kernel time, wall time, the shares of the gap;
* :mod:`llm_perf_opt.kernels.report`: the Markdown section.
"""
