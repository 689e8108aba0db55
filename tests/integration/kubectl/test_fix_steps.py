# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubectl steps findings print fix what they say (issue 15): each case builds a broken state in
kubesim, diagnoses it with the production runner, runs the finding's steps with the oldest and the
newest real kubectl build, re-diagnoses, and asserts the finding is gone with nothing new at warning+.

Steps are the finding's `remediation.steps` up to its first alternative (`# or: ...`); comment
lines are skipped; each remaining line runs in bash (heredocs and `... | kubectl` pipelines as
printed) with `kubectl` on PATH resolving to the build under test."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import severity_rank
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import run as diagnose_run
from tests.integration.remediation.helpers import auth, namespace
from tests.kubesim import KubeSim
from tests.kubesim.scenarios import Scenario, start

from .conftest import BUILDS

# the oldest and newest builds beside kubectl on PATH (1.27 and 1.33 in the image)
EDGE_BUILDS = sorted({BUILDS[0], BUILDS[-1]}, key=lambda p: p.name) if BUILDS else []


@dataclass
class Case:
    id: str
    code: str
    kind: str
    namespace: str
    name: str
    mesh: str = "istio"
    breaks: tuple[str, ...] = ()
    seed: list[dict] = field(default_factory=list)
    setup: Callable[[KubeSim], None] | None = None


def _deployment(name: str, ns: str, template_meta: dict | None = None) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, **(template_meta or {})},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            },
        },
    }


CASES = [
    Case("SI101-not-enabled", "SI101", "Namespace", "", "default"),
    Case(
        "SI102-both-labels",
        "SI102",
        "Namespace",
        "",
        "both",
        seed=[namespace("both", {"istio-injection": "enabled", "istio.io/rev": "default"})],
    ),
    Case(
        "SI103-unknown-revision", "SI103", "Namespace", "", "gone", seed=[namespace("gone", {"istio.io/rev": "1-19"})]
    ),
    Case(
        "SI104-linkerd-label", "SI104", "Namespace", "", "lk", seed=[namespace("lk", {"linkerd.io/inject": "enabled"})]
    ),
    Case(
        "SI112-ambient-and-sidecar",
        "SI112",
        "Namespace",
        "",
        "amb",
        seed=[namespace("amb", {"istio-injection": "enabled", "istio.io/dataplane-mode": "ambient"})],
    ),
    Case("SI204-timeout", "SI204", "MutatingWebhookConfiguration", "", "istio-sidecar-injector", breaks=("timeout",)),
    Case("SI301-injector-scaled-to-zero", "SI301", "Deployment", "istio-system", "istiod", breaks=("injector-down",)),
    Case(
        "SI304-networkpolicy",
        "SI304",
        "NetworkPolicy",
        "istio-system",
        "default-deny-ingress",
        breaks=("networkpolicy",),
    ),
]


def diagnose(sim: KubeSim) -> list[dict[str, Any]]:
    params = dict(auth(sim), src=None, manifests=[], namespaces=[], exclude_namespaces=[], control_plane_namespaces=[],
                  limit=500, retries=0, min_severity="info", desired_namespaces=[])  # fmt: skip
    return diagnose_run(params)["findings"]


def key(finding: dict[str, Any]) -> tuple[str, str, str, str]:
    return (finding["code"], finding["kind"], finding["namespace"] or "", finding["name"])


def primary_commands(steps: list[str]) -> list[str]:
    """The lines a person runs for the plan itself: up to its first alternative, comments left out."""
    out = []
    for line in steps:
        if line.startswith("# or:"):
            break
        if not line.lstrip().startswith("#"):
            out.append(line)
    return out


def run_step(line: str, build: Path, kubeconfig: str, home: Path) -> subprocess.CompletedProcess[str]:
    bindir = home / "bin"
    if not bindir.exists():
        bindir.mkdir(parents=True)
        (bindir / "kubectl").symlink_to(build)
    env = {
        "PATH": "%s:%s" % (bindir, os.environ.get("PATH", "/usr/bin:/bin")),
        "HOME": str(home),
        "KUBECONFIG": kubeconfig,
        "KUBECACHEDIR": str(home / "cache"),
    }
    return subprocess.run(["bash", "-euo", "pipefail", "-c", line], capture_output=True, text=True, env=env,
                          cwd=home, timeout=120)  # fmt: skip


RAN: list[tuple[str, str]] = []


@pytest.mark.parametrize("build", EDGE_BUILDS or [None], ids=[p.name for p in EDGE_BUILDS] or ["no-kubectl"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_steps_fix_the_finding(case: Case, build: Path | None, kubesim_factory, tmp_path: Path) -> None:
    if build is None:
        pytest.skip("no kubectl.1.NN builds beside kubectl on PATH (set KUBECTL_BUILDS_DIR)")
    sim = kubesim_factory()
    start(sim, Scenario(case.mesh, case.breaks))
    if case.seed:
        sim.seed(case.seed)
    if case.setup is not None:
        case.setup(sim)
    before = diagnose(sim)
    target = (case.code, case.kind, case.namespace, case.name)
    found = [f for f in before if key(f) == target]
    assert len(found) == 1, sorted(key(f) for f in before)
    commands = primary_commands(found[0]["remediation"]["steps"])
    assert commands and all("kubectl " in c for c in commands), found[0]["remediation"]["steps"]
    for line in commands:
        proc = run_step(line, build, sim.kubeconfig_path, tmp_path)
        assert proc.returncode == 0, "%s\nexited %d: %s" % (line, proc.returncode, proc.stderr)
    after = diagnose(sim)
    assert target not in {key(f) for f in after}
    floor = severity_rank("warning")
    had = {key(f) for f in before}
    new = sorted(key(f) for f in after if severity_rank(f["severity"]) >= floor and key(f) not in had)
    assert new == []
    RAN.append((case.id, build.name))


def test_every_case_ran_with_both_builds() -> None:
    if not EDGE_BUILDS:
        pytest.skip("no kubectl builds")
    assert len(CASES) == 8
    assert sorted(RAN) == sorted((c.id, b.name) for c in CASES for b in EDGE_BUILDS)
