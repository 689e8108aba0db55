# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI501 from PodSecurityPolicy objects (Kubernetes <= 1.24).

The traffic-redirect init container the injector adds when the mesh CNI is not used (istio-init,
linkerd-init) adds the capabilities NET_ADMIN and NET_RAW and runs as UID 0. With the
PodSecurityPolicy admission plugin on, a pod is admitted only if some policy its ServiceAccount (or
its creator) may `use` admits all of its containers. Which policies a ServiceAccount may use is
decided by RoleBindings in the application namespace too, which the snapshot does not read, so
this check concludes only what holds whatever the bindings: when no PodSecurityPolicy in the
cluster admits the init container, every injected pod in a meshed namespace is rejected
(`unable to validate against any pod security policy`). Events of such rejections are judged by
admission.pod_security_blocks_init.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding, evidence
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import Plan, external, note
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.controlplane import (
    MESH_TITLE,
    meshed_namespaces,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import (
    RECREATE_NOTE,
    meshed_scope,
)

INIT_NEEDS = ("NET_ADMIN", "NET_RAW")
INIT_CONTAINER = {"istio": "istio-init", "linkerd": "linkerd-init"}


def refusal(psp: Dict[str, Any]) -> str:
    """Why this policy refuses the mesh init container ("" when it admits it)."""
    spec = psp.get("spec") or {}
    allowed = {str(c).upper() for c in spec.get("allowedCapabilities") or []}
    defaults = {str(c).upper() for c in spec.get("defaultAddCapabilities") or []}
    dropped = {str(c).upper() for c in spec.get("requiredDropCapabilities") or []}
    missing = [c for c in INIT_NEEDS if "*" not in allowed and c not in allowed | defaults]
    if missing:
        return "allowedCapabilities lacks %s" % ", ".join(missing)
    forced = [c for c in INIT_NEEDS if c in dropped]
    if forced:
        return "requiredDropCapabilities drops %s" % ", ".join(forced)
    run_as = spec.get("runAsUser") or {}
    strategy = run_as.get("rule") or ""
    if strategy == "MustRunAsNonRoot":
        return "runAsUser MustRunAsNonRoot (the init container runs as UID 0)"
    if strategy == "MustRunAs":
        ranges = run_as.get("ranges") or []
        if not any(int(r.get("min", 1)) <= 0 <= int(r.get("max", 0)) for r in ranges if isinstance(r, dict)):
            return "runAsUser MustRunAs %s excludes UID 0" % (
                ", ".join("%s-%s" % (r.get("min"), r.get("max")) for r in ranges if isinstance(r, dict)) or "[]"
            )
    return ""


def _cni(ctx: RuleContext, mesh: str) -> bool:
    if mesh == "linkerd":
        return bool(ctx.model.linkerd and ctx.model.linkerd.cni_enabled)
    istio = ctx.model.istio
    if istio is None:
        return False
    return any(c.cni_enabled for c in istio.injectors.values()) or bool(istio.ambient.cni)


@rule(codes=["SI501"], needs=["podsecuritypolicies", "namespaces"], uses=["configmaps", "daemonsets"])
def psp_refuses_init(ctx: RuleContext) -> Iterator[Finding]:
    """No PodSecurityPolicy in the cluster admits the mesh init container (NET_ADMIN, NET_RAW, UID 0):
    every injected pod of a meshed namespace without the mesh CNI is rejected."""
    policies = ctx.view.items("podsecuritypolicies")
    if not policies:
        return  # none (or the API is not served: Kubernetes 1.25+)
    reasons = [(name_of(p), refusal(p)) for p in policies]
    if any(not why for _name, why in reasons):
        return  # some policy admits it: whether the pods may use it is decided by bindings
    meshed = meshed_namespaces(ctx)
    for ns_name in sorted(meshed):
        for mesh in meshed[ns_name]:
            if mesh not in INIT_CONTAINER or _cni(ctx, mesh):
                continue
            init = INIT_CONTAINER[mesh]
            yield Finding(
                code="SI501",
                kind="Namespace",
                name=ns_name,
                mesh=mesh,
                message="no PodSecurityPolicy in the cluster admits the %s init container the %s injector adds "
                "(capabilities NET_ADMIN, NET_RAW, UID 0): injected pods in %s are rejected with unable to validate "
                "against any pod security policy" % (init, MESH_TITLE[mesh], ns_name),
                evidence=[evidence("PodSecurityPolicy %s" % name, "spec", why) for name, why in reasons[:5]],
                plan=_plan(mesh, ns_name),
                affects=meshed_scope(ctx, ns_name, mesh),
            )


def _plan(mesh: str, namespace: str) -> Plan:
    target = namespace_ref(namespace)
    if mesh == "linkerd":
        cni = external("linkerd install-cni", why="then install with --linkerd-cni-enabled: no linkerd-init")
    else:
        cni = external("istioctl install --set components.cni.enabled=true", why="no istio-init container")
    grant = note(
        "or create a PodSecurityPolicy allowing NET_ADMIN and NET_RAW with runAsUser RunAsAny, and a RoleBinding "
        "granting `use` on it to the ServiceAccounts of %s (the meshes' charts ship one: linkerd "
        "--set enablePSP=true, istio global.podSecurityPolicy)" % namespace
    )
    return Plan("manual", target, [cni, grant, note(RECREATE_NOTE)], reason="let injected pods past PodSecurityPolicy")
