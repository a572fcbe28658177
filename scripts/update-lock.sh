#!/usr/bin/env bash
# Rewrite requirements/lock.txt: every package the "dev" extra installs, at the versions the test suite was
# run with. Run from the repository root, then run the tests in a fresh environment made with the README's
# set-up command before committing the new lock:
#
#   scripts/update-lock.sh                           # today's newest versions the ranges in pyproject.toml allow
#   scripts/update-lock.sh "transformers==5.23.0"    # pin one or more packages on top of the ranges
#
# torch is pinned to 2.13.0 in pyproject.toml; on a CPU machine pip takes its CPU wheel. The lock lists
# versions without local labels (2.13.0, not 2.13.0+cpu), so a GPU machine's CUDA build of the same release
# satisfies it too.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d)/venv
python3 -m venv "$venv"
"$venv/bin/pip" install -q -e ".[dev]" "$@"
{
  echo "# Versions the test suite runs with; written by scripts/update-lock.sh (do not edit by hand)."
  echo "# Used as constraints by the README's set-up command: pip install -c requirements/lock.txt -e \".[dev]\""
  # --all keeps setuptools (torch needs it at run time); pip itself is the machine's, not the project's
  "$venv/bin/pip" freeze --all --exclude-editable | grep -v -i -E '^(llm-perf-opt|pip)==' \
    | sed -E 's/\+[A-Za-z0-9.]+$//' | LC_ALL=C sort -f
} > requirements/lock.txt
rm -rf "$(dirname "$venv")"
echo "wrote requirements/lock.txt ($(grep -vc '^#' requirements/lock.txt) packages)"
