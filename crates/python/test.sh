#!/usr/bin/env bash
# The Python package's tests, the second half of the README's test command
# (`cargo test --workspace && crates/python/test.sh`, which .ci/run runs as it is): a fresh
# virtual environment under target/, with maturin and pytest from the registry, the wheel built
# and installed into it, and pytest on crates/python/tests, which compares with the CLI that
# `cargo test --workspace` built (target/debug/stimpack).
# STIMPACK_TEST_RAY=1 also installs Ray Data (large) to run the Ray example's test; without
# it that one test is skipped. Without python3 (>= 3.9, with venv) it is skipped with a note.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v python3 >/dev/null || ! python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
  echo "note: no python3 >= 3.9 with venv: the Python package's tests were NOT run" >&2
  exit 0
fi
venv=target/python-test-venv
wheels=target/python-wheels
rm -rf "$venv" "$wheels"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check maturin pytest
if [ "${STIMPACK_TEST_RAY:-0}" = 1 ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "ray[data]"
fi
"$venv/bin/maturin" build --quiet --release -m crates/python/Cargo.toml -i "$venv/bin/python" -o "$wheels"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheels"/pystimpack-*.whl
STIMPACK_BIN="$PWD/target/debug/stimpack" "$venv/bin/python" -m pytest -q -rs crates/python/tests
