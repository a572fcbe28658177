#!/usr/bin/env bash
# Build the wheel, install it (with the "plots" extra, at the locked versions) into a fresh virtual environment,
# and from a directory outside the checkout: load every packaged GPU entry and runtime profile by name, an edited
# copy of a GPU entry by path, and run the analyzer with a GPU and a runtime, and one packaged sweep; check the web
# page's files are in the wheel and that serve-http without the http extra names the extra.
# Used by .ci/run; run it from the repository root.
set -euo pipefail
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" wheel -q --no-deps -w "$work/dist" .
wheel=$(ls "$work"/dist/llm_perf_opt-*.whl)
"$work/venv/bin/pip" install -q -c "$repo/requirements/lock.txt" "$wheel[plots]"
mkdir "$work/elsewhere"
cd "$work/elsewhere"
py="$work/venv/bin/python"
"$py" - <<'PY'
import pathlib

import yaml

import llm_perf_opt
from llm_perf_opt.hardware.registry import list_hardware, load_hardware, resolve_hardware
from llm_perf_opt.kernels.profiles import list_runtimes, load_runtime
from llm_perf_opt.utils.packaged_defaults import conf_dir, list_sweeps

assert "site-packages" in llm_perf_opt.__file__, llm_perf_opt.__file__
gpus, runtimes, sweeps = list_hardware(), list_runtimes(), list_sweeps()
assert "h100-sxm" in gpus and "hf-eager" in runtimes and "listed-example" in sweeps, (gpus, runtimes, sweeps)
for name in gpus:
    assert load_hardware(name).name == name
for name in runtimes:
    assert load_runtime(name).name == name
data = yaml.safe_load((conf_dir("hardware") / "h100-sxm.yaml").read_text(encoding="utf-8"))
data["name"], data["memory_gb"]["value"] = "my-gpu", 40
pathlib.Path("my-gpu.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
assert resolve_hardware("./my-gpu.yaml").memory_gb.value == 40
print(f"wheel: {len(gpus)} GPU entries, {len(runtimes)} runtime profiles, {len(sweeps)} sweeps load from the package")
PY
"$work/venv/bin/dsocr-analyzer" --hardware h100-sxm --runtime hf-eager --output-dir out-analytic > /dev/null
test -s out-analytic/summary.json
"$work/venv/bin/dsocr-analyzer" --hardware ./my-gpu.yaml --output-dir out-own-gpu > /dev/null
test -s out-own-gpu/report.md
"$work/venv/bin/dsocr-analyzer" --mode sweep --sweep listed-example --output-dir out-sweep
test -s out-sweep/sweep.csv
# the web page ships in the wheel; without the http extra, serve-http says which extra to install (exit 2)
"$py" -c 'import pathlib, llm_perf_opt.web as w; s = pathlib.Path(w.__file__).parent / "static"; assert all((s / n).is_file() for n in ("index.html", "app.js", "style.css", "vendor/chart.umd.min.js")), s'
set +e
"$work/venv/bin/dsocr-analyzer" serve-http --port 8000 2> serve-http.err
code=$?
set -e
test "$code" = 2 && grep -q "needs the http extra" serve-http.err
echo "wheel: analyzer and sweep ran from $(pwd)"
