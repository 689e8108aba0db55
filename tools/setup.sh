#!/usr/bin/env bash
# Builds the project-local toolchain without Ansible Galaxy (unreachable here):
#   .venv/                                  pinned Python packages (requirements-dev.txt)
#   .collections/ansible_collections/       kubernetes.core from the `ansible` wheel on PyPI, and a
#                                           link to this repo as meshops.sidecar_injection
#   ~/.ansible/test/cache/get_pip_24_2.py   offline stand-in for ansible-test's pip bootstrap
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
ANSIBLE_WHEEL_VERSION=${ANSIBLE_WHEEL_VERSION:-12.3.0}   # bundles kubernetes.core 6.2.0

step() { printf '\n==> %s\n' "$*"; }

if [ ! -x .venv/bin/python ]; then
  step "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
step "installing pinned Python requirements"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -c "import ansible, kubernetes, yaml, cryptography, jsonpatch, aiohttp" \
  || { echo "setup: Python requirements did not install" >&2; exit 1; }

step "extracting kubernetes.core from ansible==${ANSIBLE_WHEEL_VERSION}"
mkdir -p .cache/wheels .collections/ansible_collections/meshops
wheel=.cache/wheels/ansible-${ANSIBLE_WHEEL_VERSION}-py3-none-any.whl
if [ ! -f "$wheel" ]; then
  .venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps \
    "ansible==${ANSIBLE_WHEEL_VERSION}" -d .cache/wheels 2>&1 | grep -v "is ignored" || true
fi
[ -f "$wheel" ] || { echo "setup: could not download $wheel" >&2; exit 1; }
rm -rf .collections/ansible_collections/kubernetes
.venv/bin/python - "$wheel" <<'PY'
import sys, zipfile
prefix = "ansible_collections/kubernetes/core/"
with zipfile.ZipFile(sys.argv[1]) as wheel:
    wheel.extractall(".collections", [n for n in wheel.namelist() if n.startswith(prefix)])
PY
ln -sfn ../../.. .collections/ansible_collections/meshops/sidecar_injection

step "preparing ansible-test's offline pip bootstrap"
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cat > "$cache/get_pip_24_2.py" <<'PY'
"""Offline stand-in for get-pip.py: bootstrap pip from CPython's bundled wheel, then install the pins."""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
os.environ.pop("PIP_CONFIG_FILE", None)  # ensurepip points it at os.devnull; keep the machine's pip config
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
PY
step "setup complete"
