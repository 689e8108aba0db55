#!/usr/bin/env bash
# Builds .venv-min/ and .collections-min/ at the lowest versions the collection declares:
#   requirements.txt floors (each `>=X` installed as `==X`), the oldest ansible-core that
#   meta/runtime.yml allows, and the oldest kubernetes.core galaxy.yml allows (taken, without Galaxy,
#   from the `ansible` wheel that bundles it). `make units-min` then runs the unit tests there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
ANSIBLE_CORE_MIN=${ANSIBLE_CORE_MIN:-2.16.0}    # meta/runtime.yml requires_ansible: ">=2.16.0"
ANSIBLE_WHEEL_MIN=${ANSIBLE_WHEEL_MIN:-11.0.0}  # bundles kubernetes.core 5.0.0 (galaxy.yml: ">=5.0.0,<7.0.0")

grep -q "requires_ansible: \">=${ANSIBLE_CORE_MIN}\"" meta/runtime.yml \
  || { echo "min_env: meta/runtime.yml no longer says >=${ANSIBLE_CORE_MIN}; update ANSIBLE_CORE_MIN" >&2; exit 1; }
[ -x .venv-min/bin/python ] || "$PYTHON" -m venv .venv-min
pins=$(sed -n 's/^\([A-Za-z0-9_.-]*\)>=\([0-9][0-9A-Za-z.]*\).*/\1==\2/p' requirements.txt)
echo "min_env: installing $(echo $pins) ansible-core==${ANSIBLE_CORE_MIN}"
# shellcheck disable=SC2086
.venv-min/bin/python -m pip install --quiet --disable-pip-version-check $pins "ansible-core==${ANSIBLE_CORE_MIN}" \
  pytest==9.2.0 pytest-xdist==3.8.0 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
.venv-min/bin/python -m pip check >/dev/null || { .venv-min/bin/python -m pip check; exit 1; }

wheel=.cache/wheels/ansible-${ANSIBLE_WHEEL_MIN}-py3-none-any.whl
mkdir -p .cache/wheels .collections-min/ansible_collections/meshops
if [ ! -f "$wheel" ]; then
  .venv-min/bin/python -m pip download --quiet --disable-pip-version-check --no-deps \
    "ansible==${ANSIBLE_WHEEL_MIN}" -d .cache/wheels 2>&1 | grep -v "is ignored" || true
fi
rm -rf .collections-min/ansible_collections/kubernetes
.venv-min/bin/python - "$wheel" <<'PY'
import sys, zipfile
prefix = "ansible_collections/kubernetes/core/"
with zipfile.ZipFile(sys.argv[1]) as wheel:
    wheel.extractall(".collections-min", [n for n in wheel.namelist() if n.startswith(prefix)])
PY
ln -sfn ../../.. .collections-min/ansible_collections/meshops/sidecar_injection
.venv-min/bin/python - <<'PY'
import json
with open(".collections-min/ansible_collections/kubernetes/core/MANIFEST.json") as handle:
    version = json.load(handle)["collection_info"]["version"]
import ansible, cryptography, kubernetes, yaml
print("min_env: ansible-core %s, kubernetes.core %s, kubernetes %s, PyYAML %s, cryptography %s"
      % (ansible.__version__ if hasattr(ansible, "__version__") else "?", version, kubernetes.__version__,
         yaml.__version__, cryptography.__version__))
PY
