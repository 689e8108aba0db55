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
INJECT = "sidecar.istio.io/inject"
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
    skipped: tuple[tuple[str, str], ...] = ()  # (tool, subcommand) of the other tools' lines skipped


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


def _namespace_labels(name: str, **labels: str | None) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _meshed_late(sim: KubeSim) -> None:
    """Pods created before their namespace asked for injection (SI604)."""
    sim.apply(namespace("late"), _deployment("old", "late"))
    sim.apply(_namespace_labels("late", **{"istio-injection": "enabled"}))


def _small_limitrange(sim: KubeSim) -> None:
    """A LimitRange whose cpu maximum the app's container (200m) meets and the proxy's default
    limit (2) exceeds (SI503)."""
    sim.apply(
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "small", "namespace": "demo"},
            "spec": {"limits": [{"type": "Container", "max": {"cpu": "500m"}}]},
        }
    )


LINKERD_MWC = "linkerd-proxy-injector-webhook-config"


def _linkerd_selects_kube_system(sim: KubeSim) -> None:
    """Linkerd <= 2.12's webhook (failurePolicy Fail, kube-system not excluded by name) and a
    kube-system with a DNS pod (SI209, linkerd/linkerd2#10817)."""
    sim.apply(namespace("kube-system"), _deployment("coredns", "kube-system"))
    hooks = sim.get("admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", None, LINKERD_MWC)["webhooks"]
    selector = {
        "matchExpressions": [
            {"key": "config.linkerd.io/admission-webhooks", "operator": "NotIn", "values": ["disabled"]}
        ]
    }
    patch = [dict(h, failurePolicy="Fail", namespaceSelector=selector) for h in hooks]
    sim.apply(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": LINKERD_MWC},
            "webhooks": patch,
        }
    )


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
    Case(
        "SI105-controller-metadata",
        "SI105",
        "Deployment",
        "m1",
        "d1",
        seed=[
            namespace("m1", {"istio-injection": "enabled"}),
            dict(_deployment("d1", "m1"), metadata={"name": "d1", "namespace": "m1", "labels": {INJECT: "false"}}),
        ],
    ),
    Case(
        "SI105-pod-marker-on-namespace",
        "SI105",
        "Namespace",
        "",
        "m2",
        seed=[namespace("m2", {"istio-injection": "enabled", INJECT: "false"})],
    ),
    Case("SI106-namespace-value", "SI106", "Namespace", "", "m3", seed=[namespace("m3", {"istio-injection": "yes"})]),
    Case(
        "SI106-template-value",
        "SI106",
        "Deployment",
        "m4",
        "d4",
        seed=[
            namespace("m4", {"istio-injection": "enabled"}),
            _deployment("d4", "m4", {"labels": {"app": "d4", INJECT: "False"}}),
        ],
    ),
    Case(
        "SI203-fail-open",
        "SI203",
        "MutatingWebhookConfiguration",
        "",
        LINKERD_MWC,
        mesh="linkerd",
        skipped=(("helm", "upgrade"),),
    ),
    Case(
        "SI209-kube-system",
        "SI209",
        "MutatingWebhookConfiguration",
        "",
        LINKERD_MWC,
        mesh="linkerd",
        setup=_linkerd_selects_kube_system,
    ),
    Case(
        "SI404-wrong-ca", "SI404", "MutatingWebhookConfiguration", "", LINKERD_MWC, mesh="linkerd", breaks=("wrong-ca",)
    ),
    Case(
        "SI405-expired-serving-cert",
        "SI405",
        "Secret",
        "linkerd",
        "linkerd-proxy-injector-k8s-tls",
        mesh="linkerd",
        breaks=("expired-cert",),
        skipped=(("linkerd", "check"),),
    ),
    Case("SI503-limitrange", "SI503", "LimitRange", "demo", "small", setup=_small_limitrange),
    Case("SI604-pods-predate-injection", "SI604", "Deployment", "late", "old", setup=_meshed_late),
]


def diagnose(sim: KubeSim) -> list[dict[str, Any]]:
    params = dict(auth(sim), src=None, manifests=[], namespaces=[], exclude_namespaces=[], control_plane_namespaces=[],
                  limit=500, retries=0, min_severity="info", desired_namespaces=[])  # fmt: skip
    return diagnose_run(params)["findings"]


def key(finding: dict[str, Any]) -> tuple[str, str, str, str]:
    return (finding["code"], finding["kind"], finding["namespace"] or "", finding["name"])


# Commands of other tools that plans name for the lasting fix (the chart or installer keeps the change);
# they need a real control plane, so the test skips them and asserts which were skipped.
OTHER_TOOLS = ("helm", "istioctl", "linkerd")


def primary_commands(steps: list[str]) -> tuple[list[str], list[str]]:
    """The lines a person runs for the plan itself (up to its first alternative, comments left out),
    and the other tools' lines among them."""
    run: list[str] = []
    skipped: list[str] = []
    for line in steps:
        if line.startswith("# or:"):
            break
        if line.lstrip().startswith("#"):
            continue
        (skipped if line.split(" ", 1)[0] in OTHER_TOOLS else run).append(line)
    return run, skipped


def run_script(lines: list[str], build: Path, kubeconfig: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The lines as one bash script (shell variables such as $CA_BUNDLE carry from line to line), with
    `kubectl` resolving to `build`; the first failing line stops it."""
    bindir = home / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    (bindir / "kubectl").symlink_to(build)
    env = {
        "PATH": "%s:%s" % (bindir, os.environ.get("PATH", "/usr/bin:/bin")),
        "HOME": str(home),
        "KUBECONFIG": kubeconfig,
        "KUBECACHEDIR": str(home / "cache"),
    }
    script = "set -euo pipefail\n" + "\n".join(lines) + "\n"
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, cwd=home, timeout=120)


# the certificate rotation's local steps: no kubectl in them
SHELL_PLUMBING = ("(umask 077 && openssl ", "printf ", "rm -f ", "CA_BUNDLE=$(base64 ")

HEALTHY: dict[str, set[tuple[str, str, str, str]]] = {}


def healthy(mesh: str, kubesim_factory) -> set[tuple[str, str, str, str]]:
    """The findings of the unbroken scenario, once per mesh."""
    if mesh not in HEALTHY:
        sim = kubesim_factory()
        registry = start(sim, Scenario(mesh))
        HEALTHY[mesh] = {key(f) for f in diagnose(sim)}
        del registry
    return HEALTHY[mesh]


RAN: list[tuple[str, str]] = []


@pytest.mark.parametrize("build", EDGE_BUILDS or [None], ids=[p.name for p in EDGE_BUILDS] or ["no-kubectl"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_steps_fix_the_finding(case: Case, build: Path | None, kubesim_factory, tmp_path: Path) -> None:
    if build is None:
        pytest.skip("no kubectl.1.NN builds beside kubectl on PATH (set KUBECTL_BUILDS_DIR)")
    sim = kubesim_factory()
    registry = start(sim, Scenario(case.mesh, case.breaks))  # held: the test injectors live as long as it
    if case.seed:
        sim.seed(case.seed)
    if case.setup is not None:
        case.setup(sim)
    before = diagnose(sim)
    target = (case.code, case.kind, case.namespace, case.name)
    found = [f for f in before if key(f) == target]
    assert len(found) == 1, sorted(key(f) for f in before)
    commands, skipped = primary_commands(found[0]["remediation"]["steps"])
    assert commands and all("kubectl " in c for c in commands if not c.startswith(SHELL_PLUMBING)), commands
    assert [line.split(" ", 2)[:2] for line in skipped] == [list(s) for s in case.skipped]
    proc = run_script(commands, build, sim.kubeconfig_path, tmp_path)
    assert proc.returncode == 0, "%s\nexited %d: %s" % ("\n".join(commands), proc.returncode, proc.stderr)
    sim.settle()
    after = diagnose(sim)
    assert target not in {key(f) for f in after}
    floor = severity_rank("warning")
    # a finding of the scenario itself that the break masked may show again
    had = {key(f) for f in before} | healthy(case.mesh, kubesim_factory)
    new = sorted(key(f) for f in after if severity_rank(f["severity"]) >= floor and key(f) not in had)
    assert new == []
    RAN.append((case.id, build.name))
    del registry


def test_every_case_ran_with_both_builds() -> None:
    if not EDGE_BUILDS:
        pytest.skip("no kubectl builds")
    assert len(CASES) == 18
    assert sorted(RAN) == sorted((c.id, b.name) for c in CASES for b in EDGE_BUILDS)


@pytest.mark.parametrize(
    "mesh, expected",
    [
        ("istio", []),
        # upstream's default failurePolicy Ignore, the scenario's one intended warning
        ("linkerd", [("SI203", "MutatingWebhookConfiguration", "", "linkerd-proxy-injector-webhook-config")]),
    ],
)
def test_the_unbroken_scenarios_warn_only_as_intended(mesh: str, expected: list, kubesim_factory) -> None:
    # the baseline the cases above subtract: anything more in it could hide a finding a fix brings back
    sim = kubesim_factory()
    registry = start(sim, Scenario(mesh))
    floor = severity_rank("warning")
    assert sorted(key(f) for f in diagnose(sim) if severity_rank(f["severity"]) >= floor) == expected
    del registry
