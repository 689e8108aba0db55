# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The finding catalogue: the one source of truth for every code the collection emits.

Codes are a public contract (reports, docs, remediation roles and tests use them): never renumber,
never reuse, add new ones at the end of their group. docs/findings.md is generated from this table
(`make docs`), and a test keeps the two in step. `when` says what the code means, `detect` how the
collection finds it, `fix` what resolves it; `action` names the remediation that consumes it
("manual" = guidance only).
"""

from __future__ import annotations

SEVERITIES = ("info", "warning", "error")

GROUPS = {
    "selection": "SI1xx: what the namespace or pod asked for",
    "webhook-configuration": "SI2xx: the injector's MutatingWebhookConfiguration",
    "reachability": "SI3xx: whether the API server can call the injector",
    "certificates": "SI4xx: webhook and mesh certificates",
    "admission-policy": "SI5xx: admission policy rejecting the injected pod",
    "data-plane": "SI6xx: the injected pod at runtime",
    "platform": "SI7xx: platform and versions",
    "coverage": "SI8xx: what the diagnosis could see",
}

ACTIONS = (
    "label_namespace",
    "set_webhook",
    "resync_ca",
    "rotate_cert",
    "allow_webhook_ingress",
    "restart_workload",
    "manual",
)

CATALOGUE = {
    "SI101": {
        "slug": "namespace-not-enabled",
        "severity": "warning",
        "mesh": "any",
        "action": "label_namespace",
        "group": "selection",
        "when": (
            "namespace is meant to be meshed (declared desired state, or it already runs some "
            "injected pods) but carries no injection label/annotation for the installed mesh"
        ),
        "detect": "",
        "fix": "",
    },
    "SI102": {
        "slug": "namespace-conflicting-labels",
        "severity": "warning",
        "mesh": "istio",
        "action": "label_namespace",
        "group": "selection",
        "when": (
            "namespace carries more than one of istio-injection, istio.io/rev, "
            "istio.io/dataplane-mode=ambient (istio-injection=enabled wins over istio.io/rev)"
        ),
        "detect": "",
        "fix": "",
    },
    "SI103": {
        "slug": "revision-not-found",
        "severity": "error",
        "mesh": "istio",
        "action": "label_namespace",
        "group": "selection",
        "when": (
            "istio.io/rev on a namespace or pod template names a revision or tag that no injector "
            "webhook serves (classic after removing the old revision of a canary upgrade)"
        ),
        "detect": "",
        "fix": "",
    },
    "SI104": {
        "slug": "inject-marker-wrong-type",
        "severity": "error",
        "mesh": "any",
        "action": "label_namespace",
        "group": "selection",
        "when": (
            "marker given as the wrong metadata type: linkerd.io/inject as a label; "
            "config.linkerd.io/admission-webhooks as an annotation; sidecar.istio.io/inject=true only "
            "as an annotation in an unselected namespace"
        ),
        "detect": "",
        "fix": "",
    },
    "SI105": {
        "slug": "inject-marker-wrong-object",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "selection",
        "when": (
            "injection label/annotation placed on the controller's metadata (Deployment, StatefulSet, "
            "DaemonSet, Job, CronJob) instead of its pod template, or on a Namespace where only pods "
            "read it"
        ),
        "detect": "",
        "fix": "",
    },
    "SI106": {
        "slug": "inject-marker-invalid-value",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "selection",
        "when": (
            "value outside the accepted set: sidecar.istio.io/inject other than exactly true/false "
            '("False" still injects); linkerd.io/inject other than enabled/disabled/ingress (an '
            "invalid namespace value blocks even pod opt-ins)"
        ),
        "detect": "",
        "fix": "",
    },
    "SI107": {
        "slug": "pod-opted-out",
        "severity": "info",
        "mesh": "any",
        "action": "manual",
        "group": "selection",
        "when": (
            "pod template opts out (sidecar.istio.io/inject=false, linkerd.io/inject=disabled) inside "
            "a namespace that is enabled"
        ),
        "detect": "",
        "fix": "",
    },
    "SI108": {
        "slug": "namespace-excluded",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "selection",
        "when": (
            "namespace can never be injected: excluded by the webhook namespaceSelector or the "
            "injector's fixed list (kube-system, kube-public, kube-node-lease, local-path-storage, "
            "cert-manager for Linkerd, config.linkerd.io/admission-webhooks=disabled, "
            "istio-injection=disabled)"
        ),
        "detect": "",
        "fix": "",
    },
    "SI109": {
        "slug": "hostnetwork-not-injected",
        "severity": "info",
        "mesh": "any",
        "action": "manual",
        "group": "selection",
        "when": ("pod uses hostNetwork: true; both injectors skip it by design"),
        "detect": "",
        "fix": "",
    },
    "SI110": {
        "slug": "injector-policy-excludes",
        "severity": "warning",
        "mesh": "istio",
        "action": "manual",
        "group": "selection",
        "when": (
            "istio-sidecar-injector ConfigMap policy is disabled or invalid (any value but "
            "enabled/disabled disables all injection), or neverInjectSelector matches the pod"
        ),
        "detect": "",
        "fix": "",
    },
    "SI111": {
        "slug": "multiple-injectors",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "selection",
        "when": (
            "more than one injector webhook selects the same pod (two Istio revisions/tags, default "
            "tag plus istio-sidecar-injector, Istio and Linkerd both)"
        ),
        "detect": "",
        "fix": "",
    },
    "SI112": {
        "slug": "ambient-and-sidecar",
        "severity": "warning",
        "mesh": "istio",
        "action": "label_namespace",
        "group": "selection",
        "when": (
            "namespace is labelled for ambient (istio.io/dataplane-mode=ambient) and for sidecar injection at once"
        ),
        "detect": "",
        "fix": "",
    },
    "SI201": {
        "slug": "webhook-missing",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "webhook-configuration",
        "when": (
            "a mesh control plane is running but no active injector MutatingWebhookConfiguration "
            "exists (missing, or every webhook deactivated with never-match selectors)"
        ),
        "detect": "",
        "fix": "",
    },
    "SI202": {
        "slug": "webhook-service-missing",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "webhook-configuration",
        "when": ("clientConfig.service names a Service, namespace or port that does not exist"),
        "detect": "",
        "fix": "",
    },
    "SI203": {
        "slug": "webhook-fail-open",
        "severity": "warning",
        "mesh": "any",
        "action": "set_webhook",
        "group": "webhook-configuration",
        "when": (
            "failurePolicy Ignore: every webhook error lets pods start without a sidecar, visible "
            "only in API-server logs"
        ),
        "detect": "",
        "fix": "",
    },
    "SI204": {
        "slug": "webhook-timeout-low",
        "severity": "warning",
        "mesh": "any",
        "action": "set_webhook",
        "group": "webhook-configuration",
        "when": ("timeoutSeconds below the configured floor, or webhook calls observed timing out"),
        "detect": "",
        "fix": "",
    },
    "SI205": {
        "slug": "webhook-rules-exclude-pods",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "webhook-configuration",
        "when": ("webhook rules do not match CREATE of v1 pods"),
        "detect": "",
        "fix": "",
    },
    "SI206": {
        "slug": "webhook-selector-modified",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "webhook-configuration",
        "when": (
            "injector webhook selectors differ from the mesh's own (e.g. AKS admissions enforcer adds "
            "control-plane DoesNotExist) and exclude namespaces that ask for injection"
        ),
        "detect": "",
        "fix": "",
    },
    "SI207": {
        "slug": "webhook-ordering-conflict",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "webhook-configuration",
        "when": (
            "another mutating webhook also mutates pods in meshed namespaces (Vault agent, other "
            "injectors) with reinvocationPolicy Never, or with failurePolicy Fail and no healthy "
            "backend"
        ),
        "detect": "",
        "fix": "",
    },
    "SI208": {
        "slug": "admission-plugin-disabled",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "webhook-configuration",
        "when": (
            "kube-apiserver runs without the MutatingAdmissionWebhook admission plugin (readable "
            "static-pod manifest on self-managed clusters, or pods in selected namespaces created "
            "after the webhook with no sidecar and no webhook error)"
        ),
        "detect": "",
        "fix": "",
    },
    "SI209": {
        "slug": "injector-bootstrap-deadlock",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "webhook-configuration",
        "when": (
            "a failurePolicy Fail webhook selects the injector's own namespace or pods, so the "
            "injector cannot be recreated while it is down"
        ),
        "detect": "",
        "fix": "",
    },
    "SI210": {
        "slug": "webhook-revision-orphaned",
        "severity": "error",
        "mesh": "istio",
        "action": "resync_ca",
        "group": "webhook-configuration",
        "when": (
            "an Istio injector webhook's istio.io/rev label matches no running istiod revision, so "
            "nobody keeps its caBundle current"
        ),
        "detect": "",
        "fix": "",
    },
    "SI301": {
        "slug": "injector-unavailable",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "when": ("injector Deployment has no available replicas or its pods are not Ready"),
        "detect": "",
        "fix": "",
    },
    "SI302": {
        "slug": "injector-no-endpoints",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "when": ("webhook Service has no ready endpoints (selector mismatch, pods down)"),
        "detect": "",
        "fix": "",
    },
    "SI303": {
        "slug": "webhook-call-failed",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "when": (
            "events show the API server failing to call the webhook; the finding names the class: "
            "timeout, connection-refused, no-endpoints, x509-unknown-authority, x509-expired, "
            "address-not-allowed, service-unavailable, eof, other"
        ),
        "detect": "",
        "fix": "",
    },
    "SI304": {
        "slug": "networkpolicy-blocks-webhook",
        "severity": "error",
        "mesh": "any",
        "action": "allow_webhook_ingress",
        "group": "reachability",
        "when": (
            "a NetworkPolicy in the control-plane namespace selects the injector pods and does not "
            "admit ingress on the webhook target port"
        ),
        "detect": "",
        "fix": "",
    },
    "SI305": {
        "slug": "control-plane-firewall",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "when": (
            "platform needs an extra rule for the API server to reach the webhook port (GKE private "
            "cluster master firewall, EKS security groups, EKS with an overlay CNI that the control "
            "plane cannot route to); guidance names the exact command"
        ),
        "detect": "",
        "fix": "",
    },
    "SI306": {
        "slug": "webhook-port-mismatch",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "when": ("webhook Service targetPort does not match a containerPort of the injector pods"),
        "detect": "",
        "fix": "",
    },
    "SI307": {
        "slug": "injection-denied",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "when": (
            "the injector was reached and denied the pod (bad injection template or values, invalid "
            "annotations): 'admission webhook ... denied the request'"
        ),
        "detect": "",
        "fix": "",
    },
    "SI308": {
        "slug": "probe-not-injected",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "when": (
            "a server-side dry-run probe pod in an enabled namespace came back without a proxy, or "
            "was rejected; carries the API server's exact answer"
        ),
        "detect": "",
        "fix": "",
    },
    "SI401": {
        "slug": "cabundle-missing",
        "severity": "error",
        "mesh": "any",
        "action": "resync_ca",
        "group": "certificates",
        "when": ("webhook caBundle is empty or not valid PEM"),
        "detect": "",
        "fix": "",
    },
    "SI402": {
        "slug": "cabundle-expired",
        "severity": "error",
        "mesh": "any",
        "action": "resync_ca",
        "group": "certificates",
        "when": ("a caBundle certificate is expired or not yet valid"),
        "detect": "",
        "fix": "",
    },
    "SI403": {
        "slug": "cabundle-expiring",
        "severity": "warning",
        "mesh": "any",
        "action": "resync_ca",
        "group": "certificates",
        "when": ("a caBundle certificate expires within the warning window (default 60 days)"),
        "detect": "",
        "fix": "",
    },
    "SI404": {
        "slug": "cabundle-mismatch",
        "severity": "error",
        "mesh": "any",
        "action": "resync_ca",
        "group": "certificates",
        "when": (
            "caBundle does not verify the injector's serving certificate (Linkerd secret "
            "linkerd-proxy-injector-k8s-tls) or differs from the mesh root (Istio istio-ca-root-cert)"
        ),
        "detect": "",
        "fix": "",
    },
    "SI405": {
        "slug": "serving-cert-expiring",
        "severity": "error",
        "mesh": "any",
        "action": "rotate_cert",
        "group": "certificates",
        "when": ("injector serving certificate expired (error) or expires within the warning window (warning)"),
        "detect": "",
        "fix": "",
    },
    "SI406": {
        "slug": "serving-cert-wrong-name",
        "severity": "error",
        "mesh": "any",
        "action": "rotate_cert",
        "group": "certificates",
        "when": ("serving certificate SANs do not cover <service>.<namespace>.svc"),
        "detect": "",
        "fix": "",
    },
    "SI407": {
        "slug": "mesh-ca-expiring",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "certificates",
        "when": (
            "Istio root CA (istio-ca-secret / cacerts) or Linkerd trust anchor / issuer expired or "
            "inside the warning window"
        ),
        "detect": "",
        "fix": "",
    },
    "SI501": {
        "slug": "pod-security-blocks-init",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "admission-policy",
        "when": (
            "Pod Security admission (enforce baseline/restricted), PSP, SCC or a policy engine "
            "rejects the NET_ADMIN/NET_RAW init container (istio-init, linkerd-init) where no CNI "
            "plugin is used"
        ),
        "detect": "",
        "fix": "",
    },
    "SI502": {
        "slug": "quota-blocks-proxy",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "admission-policy",
        "when": (
            "a ResourceQuota has too little headroom for the sidecar's requests/limits, or events "
            "show 'exceeded quota' / 'must specify limits'"
        ),
        "detect": "",
        "fix": "",
    },
    "SI503": {
        "slug": "limitrange-blocks-proxy",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "admission-policy",
        "when": (
            "a LimitRange min/max/ratio rejects the injected containers (LimitRanger defaulting runs "
            "before the mutating webhook)"
        ),
        "detect": "",
        "fix": "",
    },
    "SI504": {
        "slug": "injector-rbac-missing",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "admission-policy",
        "when": (
            "the injector's ServiceAccount lacks a permission it needs (SubjectAccessReview), e.g. "
            "istiod patching mutatingwebhookconfigurations"
        ),
        "detect": "",
        "fix": "",
    },
    "SI505": {
        "slug": "policy-engine-denies",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "admission-policy",
        "when": ("a validating webhook (Gatekeeper, Kyverno, ...) denies injected pods"),
        "detect": "",
        "fix": "",
    },
    "SI601": {
        "slug": "init-container-failing",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "data-plane",
        "when": (
            "istio-init or linkerd-init is failing or crash-looping (iptables, capabilities, "
            "SELinux); carries its termination message"
        ),
        "detect": "",
        "fix": "",
    },
    "SI602": {
        "slug": "cni-validation-failing",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "data-plane",
        "when": (
            "istio-validation / linkerd-network-validator failing, or the mesh CNI DaemonSet is not "
            "ready on the pod's node"
        ),
        "detect": "",
        "fix": "",
    },
    "SI603": {
        "slug": "proxy-not-ready",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "data-plane",
        "when": ("the proxy container is crash-looping or not Ready"),
        "detect": "",
        "fix": "",
    },
    "SI604": {
        "slug": "pod-predates-injection",
        "severity": "warning",
        "mesh": "any",
        "action": "restart_workload",
        "group": "data-plane",
        "when": (
            "a running pod has no proxy although a pod created now would be injected (created before "
            "the namespace was enabled or while the injector was down): restart its workload"
        ),
        "detect": "",
        "fix": "",
    },
    "SI605": {
        "slug": "proxy-version-skew",
        "severity": "warning",
        "mesh": "any",
        "action": "restart_workload",
        "group": "data-plane",
        "when": (
            "pod's proxy comes from another version or revision than the one its namespace now "
            "selects (after an upgrade or canary switch)"
        ),
        "detect": "",
        "fix": "",
    },
    "SI606": {
        "slug": "job-sidecar-blocks-completion",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "data-plane",
        "when": (
            "Job/CronJob pods keep a classic (non-native) sidecar and stay Running after the main container exits"
        ),
        "detect": "",
        "fix": "",
    },
    "SI701": {
        "slug": "kubernetes-version-unsupported",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "platform",
        "when": ("the mesh version does not support this Kubernetes version (Istio and Linkerd support matrices)"),
        "detect": "",
        "fix": "",
    },
    "SI702": {
        "slug": "native-sidecar-unsupported",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "platform",
        "when": ("native sidecars requested while the Kubernetes version or node kubelets are older than required"),
        "detect": "",
        "fix": "",
    },
    "SI703": {
        "slug": "apiserver-proxy-env",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "platform",
        "when": (
            "kube-apiserver (readable static-pod manifest) has HTTP(S)_PROXY without .svc or the "
            "service CIDR in NO_PROXY"
        ),
        "detect": "",
        "fix": "",
    },
    "SI801": {
        "slug": "check-skipped-permission",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "coverage",
        "when": (
            "the identity running the diagnosis may not read a resource type (403), so the checks "
            "that need it were skipped; names the checks and the missing permission"
        ),
        "detect": "",
        "fix": "",
    },
    "SI802": {
        "slug": "mesh-not-detected",
        "severity": "info",
        "mesh": "any",
        "action": "manual",
        "group": "coverage",
        "when": ("no Istio or Linkerd control plane found in the cluster or snapshot"),
        "detect": "",
        "fix": "",
    },
    "SI803": {
        "slug": "snapshot-incomplete",
        "severity": "info",
        "mesh": "any",
        "action": "manual",
        "group": "coverage",
        "when": ("an offline snapshot lacks resource types that some checks need; names them"),
        "detect": "",
        "fix": "",
    },
}


def entry(code):
    """The catalogue entry for `code`; a KeyError names the unknown code."""
    try:
        return CATALOGUE[code]
    except KeyError:
        raise KeyError("unknown finding code %r: add it to the catalogue first" % code) from None


def severity_rank(severity):
    """0 for info, 1 for warning, 2 for error; a ValueError names an unknown severity."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ValueError("unknown severity %r, expected one of %s" % (severity, ", ".join(SEVERITIES))) from None
