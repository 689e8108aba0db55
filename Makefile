# meshops.sidecar_injection: one entry point for setup, the demo and every quality gate.
# `make demo` and `make test` set everything up on a fresh machine (no Galaxy needed).

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.setup-stamp
COLLECTIONS := $(CURDIR)/.collections
BUILD := $(CURDIR)/build
# ansible-test needs the collection in a real ansible_collections/<ns>/<name> directory (no links).
AT_ROOT := $(BUILD)/ansible_collections
AT_COLL := $(AT_ROOT)/meshops/sidecar_injection
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(BUILD)/meshops-sidecar_injection-$(VERSION).tar.gz
REPORTS := $(CURDIR)/reports

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_HOME := $(CURDIR)/.ansible
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/.ansible/tmp
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

PYTEST := $(PY) -m pytest

.PHONY: help setup demo demo-live demo-fleet demo-min test lint ruff mypy ansible-lint yamllint docs docs-check units units-min integration \
        conformance sanity ansible-units molecule bench dist dist-check ee-check clean

help:
	@echo "make demo     diagnose the bundled broken example cluster and print the report"
	@echo "make test     the whole suite: lint, unit, integration, sanity, ansible-test units, molecule, build"
	@echo "make demo-live [MESH=istio|linkerd] [BREAK=wrong-ca|...]  start a live test cluster, diagnose and probe it, stop it"
	@echo "make demo-fleet  diagnose a fleet of test API servers (healthy, broken, unreachable, 403) into reports/demo-fleet/reports"
	@echo "make setup    create .venv and .collections (pinned, offline-friendly; runs automatically)"
	@echo "make lint | units | units-min | demo-min | integration | sanity | ansible-units | molecule | bench | docs | dist | ee-check | clean"

setup: $(STAMP)

$(STAMP): requirements-dev.txt tools/setup.sh
	tools/setup.sh
	@touch $@

demo: setup
	@rm -rf $(REPORTS)/demo
	$(BIN)/ansible-playbook playbooks/diagnose.yml -i examples/inventory.yml -e report_dir=$(REPORTS)/demo

# A live cluster from tests/kubesim (scenario MESH, optionally broken by BREAK), diagnosed by the real
# playbook through its kubeconfig; the server stops when the target ends, whatever happened.
MESH ?= istio
BREAK ?=
LIVE := $(REPORTS)/demo-live
demo-live: setup
	@rm -rf $(LIVE) && mkdir -p $(LIVE)
	@$(PY) -m tests.kubesim --scenario $(MESH) $(if $(BREAK),--break $(BREAK)) \
	    --write-kubeconfig $(LIVE)/kubeconfig --access-log $(LIVE)/access.log > $(LIVE)/kubesim.out 2> $(LIVE)/kubesim.log & \
	  pid=$$!; trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null' EXIT; \
	  for i in $$(seq 1 120); do [ -s $(LIVE)/kubeconfig ] && break; kill -0 $$pid 2>/dev/null || break; sleep 0.5; done; \
	  [ -s $(LIVE)/kubeconfig ] || { cat $(LIVE)/kubesim.log; exit 1; }; \
	  head -1 $(LIVE)/kubesim.log; \
	  printf 'all:\n  hosts:\n    kubesim-$(MESH)$(if $(BREAK),-$(BREAK)):\n      kubeconfig: %s\n' $(LIVE)/kubeconfig > $(LIVE)/inventory.yml; \
	  $(BIN)/ansible-playbook playbooks/diagnose.yml -i $(LIVE)/inventory.yml -e report_dir=$(LIVE) -e diagnose_probe=true

# A fleet of test API server processes through the kubeconfig inventory plugin and diagnose.yml
# (tests/fleet/fleet.py); exit code 4 is the expected outcome (one cluster is unreachable). The
# screenshot needs Debian's chromium and chromium-driver (installed by apt-get when root).
FLEET := $(REPORTS)/demo-fleet
demo-fleet: setup
	@rm -rf $(FLEET)
	@$(PY) -m tests.fleet --out $(FLEET) --screenshot $(FLEET)/fleet.png; rc=$$?; \
	  [ $$rc -eq 4 ] || { echo "demo-fleet: expected exit code 4 (one cluster unreachable), got $$rc"; exit 1; }

test: setup
	@start=$$(date +%s); \
	for gate in lint units units-min demo-min integration sanity ansible-units molecule dist-check ee-check; do \
	  echo; echo "######## make $$gate"; \
	  $(MAKE) --no-print-directory $$gate || { echo "FAILED: make $$gate"; exit 1; }; \
	done; \
	echo; echo "make test: all gates passed in $$(( $$(date +%s) - start ))s"

# ---- linters ----------------------------------------------------------------------------------
lint: ruff mypy yamllint ansible-lint docs-check

ruff: setup
	$(BIN)/ruff check plugins tests tools examples
	$(BIN)/ruff format --check plugins tests tools examples

mypy: setup
	$(BIN)/mypy plugins/module_utils plugins/inventory plugins/action tools

yamllint: setup
	$(BIN)/yamllint -s .

ansible-lint: setup
	$(BIN)/ansible-lint --offline

docs: setup
	$(PY) tools/gen_findings_doc.py --write

docs-check: setup
	$(PY) tools/gen_findings_doc.py --check

# ---- tests ------------------------------------------------------------------------------------
units: setup
	$(PYTEST) -q tests/unit

integration: setup
	$(PYTEST) -q tests/integration

# The unit tests once more at the lowest versions requirements.txt, meta/runtime.yml and galaxy.yml
# declare (tools/min_env.sh builds .venv-min and .collections-min). --confcutdir keeps the test API
# server's plugin (aiohttp, not a runtime requirement) out of this run.
MIN_STAMP := .venv-min/.stamp
$(MIN_STAMP): requirements.txt tools/min_env.sh meta/runtime.yml galaxy.yml
	tools/min_env.sh
	@touch $@

units-min: $(MIN_STAMP)
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.collections-min .venv-min/bin/python -m pytest -q -p no:cacheprovider \
	  -o pythonpath=".collections-min ." --confcutdir=tests/unit tests/unit

# `make demo` once more in .venv-min (ansible-core 2.16.0, kubernetes.core 5.0.0, the requirements.txt
# floors): the playbook must run there and find exactly what it finds at the pinned versions.
DEMO_MIN := $(BUILD)/demo-min
demo-min: $(MIN_STAMP) setup
	@rm -rf $(DEMO_MIN) && mkdir -p $(DEMO_MIN)
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.collections-min ANSIBLE_HOME=$(DEMO_MIN)/ansible-home \
	  .venv-min/bin/ansible-playbook playbooks/diagnose.yml -i examples/inventory.yml -e report_dir=$(DEMO_MIN)/min > $(DEMO_MIN)/min.log
	$(BIN)/ansible-playbook playbooks/diagnose.yml -i examples/inventory.yml -e report_dir=$(DEMO_MIN)/pinned > $(DEMO_MIN)/pinned.log
	$(PY) tools/same_findings.py $(DEMO_MIN)/pinned $(DEMO_MIN)/min

conformance: setup
	$(PYTEST) -q -m conformance tests

molecule: setup
	$(BIN)/molecule test --all

bench: setup
	$(PY) -m tests.benchmarks

# ---- ansible-test, in a copy of what the collection ships -------------------------------------
$(TARBALL): setup
	@mkdir -p $(BUILD)
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD) . >/dev/null

dist: $(TARBALL)
	@echo "$(TARBALL)"

# The shipped files (galaxy.yml build_ignore decides) plus kubernetes.core next to them.
$(AT_COLL)/.prepared: $(TARBALL)
	rm -rf $(AT_ROOT)
	mkdir -p $(AT_COLL) $(AT_ROOT)/kubernetes
	tar -xzf $(TARBALL) -C $(AT_COLL)
	cp -a $(COLLECTIONS)/ansible_collections/kubernetes/core $(AT_ROOT)/kubernetes/core
	@# ansible-test lists files through git; the copy is its own repository (it sits in ignored build/).
	cd $(AT_COLL) && printf 'tests/output/\n.prepared\n' > .gitignore && git init -q && git add -A && \
	  git -c user.name=build -c user.email=build@localhost commit -qm "shipped files" --no-gpg-sign
	@touch $@

sanity: $(AT_COLL)/.prepared
	cd $(AT_COLL) && ansible-test sanity --venv --python 3.11 --color no

ansible-units: $(AT_COLL)/.prepared
	cd $(AT_COLL) && ansible-test units --venv --python 3.11 --color no

# The tarball installs offline next to kubernetes.core and its plugins are visible to ansible-doc.
dist-check: $(TARBALL)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	mkdir -p $$tmp/ansible_collections/kubernetes && \
	cp -a $(COLLECTIONS)/ansible_collections/kubernetes/core $$tmp/ansible_collections/kubernetes/core && \
	ANSIBLE_COLLECTIONS_PATH=$$tmp $(BIN)/ansible-galaxy collection install --offline -p $$tmp $(TARBALL) >/dev/null && \
	ANSIBLE_COLLECTIONS_PATH=$$tmp $(BIN)/ansible-doc -l meshops.sidecar_injection | tee $$tmp/doc.txt && \
	grep -q '^meshops.sidecar_injection.injection_facts' $$tmp/doc.txt && \
	grep -q '^meshops.sidecar_injection.injection_diagnose' $$tmp/doc.txt && \
	echo "dist-check: $(notdir $(TARBALL)) installs offline; modules listed by ansible-doc"

# ---- execution environment (docs/execution-environment.md) -------------------------------------
EE_CONTEXT := $(BUILD)/ee
EE_STAGED := $(EE_CONTEXT)/_build
EE_SCRIPTS = $(shell $(PY) -c 'import ansible_builder, os; print(os.path.dirname(ansible_builder.__file__))')/_target_scripts

# `ansible-builder create` writes the build context (no container engine needed). Then the image's
# galaxy stage runs here as the Containerfile runs it (offline, from the staged files), and the
# builder stage's introspection lists the Python and system packages the image would install.
ee-check: $(TARBALL)
	rm -rf $(EE_CONTEXT)
	$(BIN)/ansible-builder create -f execution-environment.yml --context $(EE_CONTEXT) --output-filename Containerfile >/dev/null
	@test -f $(EE_CONTEXT)/Containerfile || { echo "ee-check: ansible-builder wrote no Containerfile" >&2; exit 1; }
	@cmp -s $(TARBALL) $(EE_STAGED)/collections/$(notdir $(TARBALL)) || { echo "ee-check: execution-environment.yml" \
	  "does not stage $(notdir $(TARBALL)); keep its tarball name in step with galaxy.yml ($(VERSION))" >&2; exit 1; }
	@test -f $(EE_STAGED)/collections/kubernetes.core/MANIFEST.json || { echo "ee-check: kubernetes.core" \
	  "is not staged (run make setup)" >&2; exit 1; }
	@cmp -s requirements.txt $(EE_STAGED)/requirements.txt || { echo "ee-check: requirements.txt is not staged" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cd $(EE_STAGED) && \
	ANSIBLE_COLLECTIONS_PATH=$$tmp/collections ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 \
	  $(CURDIR)/$(BIN)/ansible-galaxy collection install --offline -r requirements.yml \
	  --collections-path $$tmp/collections >/dev/null && \
	ANSIBLE_COLLECTIONS_PATH=$$tmp/collections $(CURDIR)/$(BIN)/ansible-doc -l meshops.sidecar_injection > $$tmp/modules.txt && \
	grep -q '^meshops.sidecar_injection.injection_diagnose' $$tmp/modules.txt && \
	ANSIBLE_COLLECTIONS_PATH=$$tmp/collections $(CURDIR)/$(BIN)/ansible-doc -t inventory -l meshops.sidecar_injection \
	  | grep -q '^meshops.sidecar_injection.kubeconfig' && \
	$(CURDIR)/$(PY) $(EE_SCRIPTS)/introspect.py introspect $$tmp/collections --user-pip=requirements.txt \
	  --exclude-bindep-reqs=exclude-bindep.txt --write-pip=$$tmp/pip.txt --write-bindep=$$tmp/bindep.txt >/dev/null && \
	grep -q '^kubernetes>=24.2.0' $$tmp/pip.txt && \
	{ test ! -s $$tmp/bindep.txt || { echo "ee-check: unexpected system packages:"; cat $$tmp/bindep.txt; exit 1; }; } && \
	echo "ee-check: $(EE_CONTEXT)/Containerfile; the galaxy stage installs $(notdir $(TARBALL)) and" \
	  "kubernetes.core $$(sed -n 's/.*"version": "\(.*\)".*/\1/p' $$tmp/collections/ansible_collections/kubernetes/core/MANIFEST.json | head -1)" \
	  "offline; pip: $$(grep -v '^#' $$tmp/pip.txt | cut -d' ' -f1 | sort -u | tr '\n' ' ')system: none"

clean:
	rm -rf $(BUILD) $(REPORTS) tests/output .pytest_cache .mypy_cache .ruff_cache .ansible
