#!/usr/bin/env bash
# Builds a virtualenv with openmined-psi and blindmatch's Python bindings,
# then runs the side-by-side comparison. Arguments go to peer_harness.py
# (e.g. --sizes 12,14,16,18 --reps 5).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${BLINDMATCH_PEER_VENV:-target/peer-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "openmined-psi==2.0.6" maturin==1.16.0
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./bindings-python
exec "$venv/bin/python" benches/peer_harness.py "$@"
