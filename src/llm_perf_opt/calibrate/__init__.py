"""Calibrate a GPU: the microbenchmarks behind every measured constant of a hardware entry, and the one
command that runs them all and writes the entry (``python -m llm_perf_opt.calibrate --name NAME --output
FILE.yaml``; ``docs/calibration.md``).

Modules: :mod:`~llm_perf_opt.calibrate.fits` (the arithmetic: statistics, rates, the graph fit; no torch),
:mod:`~llm_perf_opt.calibrate.peaks` (matmul and copy rates, launch, tiny kernel in a graph, sync),
:mod:`~llm_perf_opt.calibrate.curves` (kernel time against size), :mod:`~llm_perf_opt.calibrate.graphs`
(CUDA-graph launch and gap), :mod:`~llm_perf_opt.calibrate.host` (host cost of eager module code, eager
start), :mod:`~llm_perf_opt.calibrate.gpus` (datasheet figures of known GPUs),
:mod:`~llm_perf_opt.calibrate.entry` (the YAML entry) and :mod:`~llm_perf_opt.calibrate.cli` (the command).
Importing any of them imports no torch: the measuring functions take the ``torch`` module as an argument
(the command imports it when it starts measuring).

Example
-------
>>> from llm_perf_opt.calibrate.fits import copy_tbps
>>> round(copy_tbps(2**31, 1.0e-3), 3)  # 2 * 2 GiB / 1 ms, counting bytes read and written
4.295
"""
