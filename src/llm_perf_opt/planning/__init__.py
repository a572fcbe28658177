"""Capacity planning: per-workload predictions on a GPU, sweeps over workloads and GPUs, plots.

``predict(arch, workload, hardware)`` gives one :class:`~llm_perf_opt.data.planning.PlanningPoint`;
``run_sweep(spec_or_path, output_dir)`` evaluates a sweep file and writes its CSV, JSON and plots.
No torch anywhere; matplotlib is imported only when plots are drawn.
"""
