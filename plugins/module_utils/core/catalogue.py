# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The finding catalogue: the one source of truth for every code the collection emits.

Codes are a public contract (reports, docs, remediation roles and tests use them): never renumber,
never reuse, add new ones at the end of their group. docs/findings.md is generated from this table
(`make docs`), and a test keeps the two in step. `when` says what the code means, `detect` how the
collection finds it, `fix` what resolves it; `action` names the remediation that consumes it
("manual" = guidance only). Entries marked `"origin": "project"` are codes this collection added
beyond the shared contract (../shared/spec/findings.yaml), at the end of their group.
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
        "detect": (
            "For each namespace: is it meant to be meshed (listed in desired_namespaces, or running "
            "injected pods that a pod created now would not match) and does a plain pod created there "
            "now get a proxy? Unmarked namespaces with no known intent are reported at info level, as "
            "istioctl's IST0102 (IST0148 when enableNamespacesByDefault is set); system, control-plane "
            "and ambient-only namespaces are skipped."
        ),
        "fix": (
            "Label the namespace for Istio (`kubectl label namespace <ns> istio-injection=enabled "
            "--overwrite`, or `istio.io/rev=<revision or tag>`) or annotate it for Linkerd (`kubectl "
            "annotate namespace <ns> linkerd.io/inject=enabled --overwrite`), then `kubectl rollout "
            "restart deployment,statefulset,daemonset -n <ns>`. To mark a namespace as deliberately not "
            "meshed, label it `istio-injection=disabled` / annotate `linkerd.io/inject=disabled`."
        ),
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
        "detect": (
            "Namespace labels compared as istioctl's IST0123 does: istio-injection (any value) plus "
            "istio.io/rev counts as a conflict when istio-injection is absent or enabled."
        ),
        "fix": (
            "Keep one label: remove `istio.io/rev` to keep today's behaviour (istio-injection=enabled "
            "wins), or remove `istio-injection` to move the namespace to the revision; then restart its "
            "workloads."
        ),
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
        "detect": (
            "The istio.io/rev value of a namespace (without istio-injection) or of a pod template (in "
            "an unlabelled namespace) is compared with the istio.io/rev values that active Istio "
            "injector webhooks select (revisions and tags), as `istioctl x injector list` does "
            "(MISSING/<rev>). A namespace labelled `istio-injection=enabled` on an install with no default "
            "revision or default tag (a revision-only Helm install) is reported too: no active webhook's "
            "namespaceSelector selects that label."
        ),
        "fix": (
            "Relabel with a revision or tag that exists (`kubectl label namespace <ns> "
            "istio.io/rev=<rev> --overwrite`; `istioctl tag list` shows the tags), or re-create the tag "
            "(`istioctl tag set <tag> --revision <rev>`), then restart the workloads."
        ),
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
        "detect": (
            "Namespace labels and annotations and pod-template metadata are checked for "
            "linkerd.io/inject or config.linkerd.io/* given as labels, "
            "config.linkerd.io/admission-webhooks given as a namespace annotation, and "
            "sidecar.istio.io/inject=true given only as an annotation on a pod no Istio webhook "
            "selects."
        ),
        "fix": (
            "Move the marker to the right metadata type: `kubectl annotate namespace <ns> "
            "linkerd.io/inject=enabled` (and remove the label), `kubectl label namespace <ns> "
            'config.linkerd.io/admission-webhooks=disabled`, or set `sidecar.istio.io/inject: "true"` '
            "as a pod-template label. Patching a Deployment's template rolls its pods."
        ),
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
        "detect": (
            "Controller metadata (Deployment, StatefulSet, DaemonSet, Job, CronJob, ReplicaSet) is "
            "checked for sidecar.istio.io/inject, istio.io/rev and linkerd.io/inject that the pod "
            "template does not carry; Namespaces for sidecar.istio.io/inject (istioctl IST0107); pod "
            "templates for the namespace-only labels istio-injection and "
            "config.linkerd.io/admission-webhooks."
        ),
        "fix": (
            "Put the marker on the pod template (`spec.template.metadata`, for CronJobs "
            "`spec.jobTemplate.spec.template.metadata`) or, for namespace-wide intent, use the "
            "namespace marker (`istio-injection`, `linkerd.io/inject`); the step lists the exact "
            "`kubectl patch`."
        ),
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
        "detect": (
            "Values are checked against the accepted sets: sidecar.istio.io/inject (label over "
            "annotation) exactly true or false, istio-injection enabled or disabled, linkerd.io/inject "
            "enabled, disabled or ingress on namespaces and pod templates. The finding states the "
            'effect the verdict computed (e.g. "False" is still injected).'
        ),
        "fix": (
            "Set an accepted value (`true`/`false`, `enabled`/`disabled`, "
            "`enabled`/`disabled`/`ingress`, case-sensitive) and restart or roll the workload."
        ),
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
        "detect": (
            "A workload's verdict is not-injected because its template says "
            "sidecar.istio.io/inject=false or linkerd.io/inject=disabled while a plain pod created in "
            "the same namespace would be injected."
        ),
        "fix": (
            "Nothing if the opt-out is intended; otherwise remove the opt-out from the pod template "
            "(the step gives the `kubectl patch`)."
        ),
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
        "detect": (
            "For namespaces with intent (desired, labelled/annotated for injection, or workloads that "
            "opt in): Istio's ignored namespaces (kube-system, kube-public, kube-node-lease, "
            "local-path-storage) and istio-injection=disabled; for Linkerd, the active proxy-injector "
            "webhook's namespaceSelector evaluated on the namespace labels (kube-system, cert-manager, "
            "config.linkerd.io/admission-webhooks=disabled, custom selectors)."
        ),
        "fix": (
            "Run the workloads in a namespace that can be injected, remove the excluding label "
            "(`kubectl label namespace <ns> config.linkerd.io/admission-webhooks-`, "
            "`istio-injection=enabled --overwrite`), or change the injector's namespaceSelector in the "
            "mesh install values."
        ),
    },
    "SI109": {
        "slug": "hostnetwork-not-injected",
        "severity": "info",
        "mesh": "any",
        "action": "manual",
        "group": "selection",
        "when": ("pod uses hostNetwork: true; both injectors skip it by design"),
        "detect": (
            "Workloads with hostNetwork: true for which an injector webhook is called and skips them "
            "(istiod injectRequired, Linkerd host_network_enabled)."
        ),
        "fix": (
            'Expected. For Istio, label the pod template `sidecar.istio.io/inject: "false"` so the '
            "webhook is not even called and an unavailable istiod cannot block these pods."
        ),
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
        "detect": (
            "The injector ConfigMap istio-sidecar-injector[-<rev>] `config.policy` is read per "
            "revision: any value but enabled/disabled disables all injection (error); disabled is "
            "reported when selected workloads are skipped by it; workloads whose labels match "
            "neverInjectSelector are reported individually."
        ),
        "fix": (
            "Set `values.global.proxy.autoInject=enabled` (istioctl install / Helm) and restart istiod; "
            "remove or narrow the neverInjectSelector entry "
            "(`values.sidecarInjectorWebhook.neverInjectSelector`), or set `sidecar.istio.io/inject: "
            '"true"` on the pod template (an explicit value wins over the selectors).'
        ),
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
        "detect": (
            "Istio webhook configurations are checked pairwise over the label combinations istioctl's "
            "IST0139 enumerates (namespace istio-injection / istio.io/rev x pod sidecar.istio.io/inject "
            "/ istio.io/rev); workloads are checked for admission calling injector webhooks of more "
            "than one configuration (two revisions, or Istio and Linkerd)."
        ),
        "fix": (
            "Keep one injector per pod: `istioctl tag set default --revision <rev> --overwrite` "
            "deactivates the old istio-sidecar-injector webhooks, delete stale configurations, or "
            "remove one mesh's marker from the namespace; then restart the workloads."
        ),
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
        "detect": (
            "Namespace labels istio.io/dataplane-mode=ambient together with istio-injection (absent or "
            "enabled) or istio.io/rev, as istioctl's IST0123 reports them."
        ),
        "fix": (
            "Choose one data plane: remove `istio-injection`/`istio.io/rev` for ambient, or "
            "`istio.io/dataplane-mode` for sidecars, then restart the workloads."
        ),
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
        "detect": (
            "For each mesh with a running control plane (istiod Deployment with ready replicas, or the "
            "Linkerd proxy-injector Deployment), looks for an injector webhook in the "
            "MutatingWebhookConfigurations that is not deactivated with istioctl's never-match selectors "
            "(`istio.io/deactivated=never-match`). Also a running istiod revision that no active webhook "
            "forwards to (warning). Skipped when the webhook configurations were not read."
        ),
        "fix": (
            "Istio: `istioctl tag set default --revision <rev> --overwrite` (re-creates "
            "`istio-revision-tag-default`), or re-render the chart (`helm upgrade istiod ...`, `istioctl "
            "install`). Linkerd: `linkerd upgrade | kubectl apply -f -` or `helm upgrade "
            "linkerd-control-plane ... --reuse-values`, then `linkerd check`."
        ),
    },
    "SI202": {
        "slug": "webhook-service-missing",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "webhook-configuration",
        "when": ("clientConfig.service names a Service, namespace or port that does not exist"),
        "detect": (
            "For each injector webhook (not deactivated) with `clientConfig.service`: the namespace must "
            "exist, the Service must exist in it (istioctl's IST0139 service check) and have the referenced "
            "port (default 443). One finding per configuration and Service, with the "
            "`webhooks[i].clientConfig.service` of each webhook as evidence."
        ),
        "fix": (
            "Re-create the Service by re-installing the control plane (or point the webhook at the right port "
            "with the `kubectl patch ... --type json` command given); delete a configuration whose control "
            "plane was removed on purpose (e.g. the old revision of a canary upgrade)."
        ),
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
        "detect": (
            "Reads `failurePolicy` of every active injector webhook; `Ignore` is reported once per "
            "configuration. Linkerd's default install uses Ignore (its HA values use Fail), so a default "
            "Linkerd install always shows this warning."
        ),
        "fix": (
            "Exclude the injector's own namespace and kube-system first (SI209), then set `failurePolicy: "
            "Fail` (the JSON patch given, or `helm upgrade ... --set webhookFailurePolicy=Fail` for Linkerd "
            "so an upgrade keeps it), or `playbooks/harden.yml` / role `harden_webhook` with `harden_webhooks: "
            "[{configuration: ..., webhook: ..., failure_policy: Fail}]`."
        ),
    },
    "SI204": {
        "slug": "webhook-timeout-low",
        "severity": "warning",
        "mesh": "any",
        "action": "set_webhook",
        "group": "webhook-configuration",
        "when": ("timeoutSeconds below the configured floor, or webhook calls observed timing out"),
        "detect": (
            "Compares `timeoutSeconds` (default 10) of each active injector webhook with the "
            "`webhook_timeout_floor` option (default 5), and reads FailedCreate events whose message is a "
            "call to that webhook ending in a timeout (`context deadline exceeded`, `i/o timeout`, "
            "`Client.Timeout exceeded`): observed timeouts count only below Kubernetes' default of 10 s, since "
            "calls that time out at the default or above mean an unreachable or stuck injector (SI30x)."
        ),
        "fix": (
            "Raise `timeoutSeconds` (maximum 30; the JSON patch, or role `harden_webhook` with "
            "`harden_webhooks: [{configuration: ..., webhook: ..., timeout_seconds: 10}]`). When calls time "
            "out at a sane timeout the injector is unreachable or overloaded: follow SI301, SI302, SI304 and "
            "SI305 for the same webhook."
        ),
    },
    "SI205": {
        "slug": "webhook-rules-exclude-pods",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "webhook-configuration",
        "when": ("webhook rules do not match CREATE of v1 pods"),
        "detect": (
            "Evaluates the `rules` of every injector webhook that is not deactivated: one rule must list "
            'CREATE (or `*`), API group `""`, version `v1` and resource `pods` (or `*`, `*/*`) with a scope '
            "that includes namespaced objects."
        ),
        "fix": (
            'Restore the rule `{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}` '
            "(JSON patch given) or re-render the webhook from the mesh's chart."
        ),
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
        "detect": (
            "Compares each active injector webhook's namespaceSelector with the one the mesh renders for that "
            "webhook (Istio's per-webhook selectors for its revision or tag; Linkerd's chart default). "
            "Requirements the mesh does not render are evaluated against every namespace that asks for "
            "injection (Istio label, Linkerd annotation) and that the mesh's own selector would pick; the "
            "namespaces they exclude are the evidence. The AKS admissions enforcer's `control-plane "
            "DoesNotExist` is named as such."
        ),
        "fix": (
            "On AKS annotate the configuration `admissions.enforcer/disabled=true` so the enforcer stops "
            "re-adding the requirement, then restore the mesh's selector (JSON patch given, or re-render the "
            "chart); or remove the label that trips the extra requirement from the namespace if it is not "
            "needed."
        ),
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
        "detect": (
            "Lists mutating webhooks that are not mesh injectors, intercept pod CREATE and select at least "
            "one meshed namespace (namespaceSelector on its labels, objectSelector on its pods). Reported "
            "when such a webhook is called after a mesh injector whose reinvocationPolicy is Never (the API "
            "server calls configurations in name order), or when it has failurePolicy Fail and none of the "
            "pods behind its Service is Ready."
        ),
        "fix": (
            "Set the injector's `reinvocationPolicy: IfNeeded` (Istio: "
            "`sidecarInjectorWebhook.reinvocationPolicy=IfNeeded`; Linkerd has no value for it, so the patch "
            "is undone by upgrades), or order the other webhook before the injector; repair or fail-open the "
            "other webhook when its backend is down."
        ),
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
        "detect": (
            "Reads the kube-apiserver static pod when it is visible (self-managed clusters): "
            "`--disable-admission-plugins` containing MutatingAdmissionWebhook, or the deprecated "
            "`--admission-control` list without it (error). Without a visible API server it infers (warning): "
            "with failurePolicy Fail, pods that would be injected were created after the webhook "
            "configuration without a sidecar and without a webhook error, and no pod created since carries "
            "one."
        ),
        "fix": (
            "Remove MutatingAdmissionWebhook from `--disable-admission-plugins` (or add it to "
            "`--admission-control`) in `/etc/kubernetes/manifests/kube-apiserver.yaml` on every control-plane "
            "node; on a managed platform, ask the provider. Verify with a server-side dry-run pod create in "
            "an enabled namespace."
        ),
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
        "detect": (
            "For every active injector webhook with failurePolicy Fail: evaluates its namespaceSelector on "
            "the injector's own namespace (labels plus `kubernetes.io/metadata.name`) and its objectSelector "
            "on the injector's pods (or its Deployment template when no pod exists); the same for kube-system "
            "and its pods or workload templates (coredns, CNI: the injector needs them to come back). Judged "
            "whether or not the injector is down now."
        ),
        "fix": (
            "Exclude the control-plane namespace (Linkerd: label it "
            "`config.linkerd.io/admission-webhooks=disabled`; Istio: the namespace must not ask for injection "
            "and istiod pods keep `sidecar.istio.io/inject=false`) or exclude the injector pods with an "
            "objectSelector; exclude kube-system the same way (or by `kubernetes.io/metadata.name NotIn "
            "(kube-system)` in the namespaceSelector)."
        ),
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
        "detect": (
            "For each active Istio injector configuration (service-referenced, not `url`), compares its "
            "`istio.io/rev` label with the revisions of running istiod Deployments/pods; istiod's webhook "
            "patcher only refreshes the caBundle of configurations labelled with its own revision. A revision "
            "whose istiod Deployment exists but is down is SI301's, and Istio <= 1.5 configurations (no "
            "istio.io/rev, a separate istio-sidecar-injector that patches its own caBundle) are not judged."
        ),
        "fix": (
            "Point a tag at a running revision (`istioctl tag set <tag> --revision <rev> --overwrite`), "
            "relabel the configuration with a running revision, or delete it if no namespace should use it; "
            "role `remediate_certs` (action resync_ca) re-syncs the caBundle."
        ),
    },
    "SI301": {
        "slug": "injector-unavailable",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "when": ("injector Deployment has no available replicas or its pods are not Ready"),
        "detect": (
            "Follows each active injector webhook's Service to the Deployments whose pod template its "
            "selector matches: reported when their `status.availableReplicas` is 0 or none of their pods is "
            "Ready, with `spec.replicas`, the pods' phase and waiting/terminated reasons and failing "
            "Deployment conditions as evidence. Webhooks sharing a Service are judged once."
        ),
        "fix": (
            "Scale the Deployment back up (`kubectl scale ... --replicas=1`) or fix what keeps its pods from "
            "becoming Ready (describe, logs and Warning events commands are given). With failurePolicy Fail "
            "and SI209, the injector may first need its own namespace excluded."
        ),
    },
    "SI302": {
        "slug": "injector-no-endpoints",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "when": ("webhook Service has no ready endpoints (selector mismatch, pods down)"),
        "detect": (
            "Counts the ready addresses of the webhook Service from its EndpointSlices, else its Endpoints "
            "object, else (no endpoint object) the readiness of the pods its selector matches. When none is "
            "ready it says why: the selector matches no pod (with the Deployment template labels for "
            "comparison) or the matching pods are not Ready."
        ),
        "fix": (
            "Make the Service selector and the injector's pod labels agree (re-render the chart), or get the "
            "selected pods Ready (SI301)."
        ),
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
        "detect": (
            "Reads Warning events (ReplicaSet/Job/StatefulSet/DaemonSet `FailedCreate`) whose message is the "
            'API server\'s `failed calling webhook "<name>": failed to call webhook: Post "<url>": <error>`, '
            "groups them per webhook and failure class, and attaches the exact messages (newest first, with "
            "counts). The class comes from the Go error: timeout, connection-refused, no-endpoints, "
            "x509-unknown-authority, x509-expired, x509-wrong-name, address-not-allowed, service-unavailable, "
            "eof, other."
        ),
        "fix": (
            "Depends on the class (the finding's first step says which other check explains it): caBundle and "
            "certificates (SI404-SI406), endpoints and pods (SI301, SI302, SI306), NetworkPolicy (SI304), "
            "platform firewall (SI305), API-server proxy (SI703). The in-cluster curl step tests the TLS path "
            "from a pod; the API server's own path can still differ."
        ),
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
        "detect": (
            "Evaluates the NetworkPolicies of the injector's namespace for the API server reaching the "
            "webhook target port (the pod's port after resolving the Service targetPort): podSelector, "
            "effective policyTypes (a policy without policyTypes always covers Ingress), ingress rules, "
            "`from` peers and ports (numbered, named against the pod's containerPorts, endPort ranges, "
            "protocol). namespaceSelector/podSelector peers never admit the API server, which is not a pod; "
            "an ipBlock admits it only when it covers 0.0.0.0/0 (the API server's address is unknown), "
            "otherwise the result is uncertain (warning)."
        ),
        "fix": (
            "Add a NetworkPolicy that admits TCP on the webhook port to the injector pods from any source "
            "(manifest given) or from the control plane's CIDR as an ipBlock; role `harden_webhook` executes "
            "the plan (`playbooks/remediate.yml -e remediate_webhooks=true`)."
        ),
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
        "detect": (
            "Detects the platform from nodes, version strings and DaemonSets. EKS with an overlay CNI "
            "(Calico, Cilium, Weave, Flannel without `aws-node`) is reported as certain; EKS or GKE with "
            "webhook calls that time out or fail with `Address is not allowed` as error; a GKE private "
            "cluster (no node with an ExternalIP) as warning when no pod carries the mesh's proxy yet, info "
            "otherwise. Security groups and firewall rules are not visible from Kubernetes."
        ),
        "fix": (
            "GKE: open TCP 15017 (Istio: `gcloud compute firewall-rules update <gke-...-master rule> --allow "
            "tcp:10250,tcp:443,tcp:15017`) or 8443/9443/8089 (Linkerd: `gcloud compute firewall-rules create "
            "gke-to-linkerd-control-plane ...`) from the master CIDR. EKS: `aws ec2 "
            "authorize-security-group-ingress` from the cluster security group to the node security group on "
            "the webhook ports; with an overlay CNI keep the AWS VPC CNI for pod addressing or run the "
            "webhook server with hostNetwork (commands given)."
        ),
    },
    "SI306": {
        "slug": "webhook-port-mismatch",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "when": ("webhook Service targetPort does not match a containerPort of the injector pods"),
        "detect": (
            "Resolves the targetPort of the Service port the webhook calls on each injector pod (or its "
            "template): a named targetPort that no container declares is an error (the endpoints controller "
            "leaves the pod out); a number no container declares is an error when the injector declares its "
            "real webhook port (Istio 15017, Linkerd 8443) elsewhere, a warning otherwise (an undeclared port "
            "may still be served)."
        ),
        "fix": ("Make the Service targetPort and the container port agree (patch given, or re-render the chart)."),
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
        "detect": (
            'Reads events whose message is `admission webhook "<injector>" denied the request: ...` for an '
            "Istio or Linkerd injector webhook, grouped per webhook, with the exact messages."
        ),
        "fix": (
            "Istio: fix the annotation named after `Injection failed due to invalid annotations`, or "
            "re-install the revision whose istiod and injector ConfigMap disagree (template errors). Linkerd: "
            "read the proxy-injector log and make `linkerd-config` parse (the injector denies on handler "
            "errors even with failurePolicy Ignore)."
        ),
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
        "detect": (
            "injection_probe (or the diagnose role with `diagnose_probe: true`) creates a pod shaped like the "
            "namespace's workload with `dryRun=All` in every namespace whose workloads want a sidecar, after "
            "proving the server honours dry run. A pod returned without a proxy, or an error, is reported with "
            "the server's exact message, the webhook named and the class (the SI303/SI5xx classes)."
        ),
        "fix": (
            "Follow the class: a failed webhook call (timeout, x509-*, no-endpoints) is fixed as SI301-SI304/SI4xx "
            "say, Pod Security as SI501, quota and LimitRange as SI502/SI503; re-run the probe to verify."
        ),
    },
    "SI309": {
        "slug": "probe-disagrees-with-model",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "reachability",
        "origin": "project",
        "when": (
            "the dry-run probe's answer contradicts the static next_pod of the workload the probe pod mimics "
            "(e.g. next_pod says injected and the pod came back untouched)"
        ),
        "detect": (
            "Compares each probe result's outcome class with the mimicked workload's next_pod (the per-workload "
            "answer of the diagnosis of the same snapshot; the injector decision alone for a plain pod): "
            "injected although next_pod is not, admitted without a sidecar although next_pod is injected "
            "through a fail-closed webhook or rejected, rejected at another stage than next_pod's root cause, "
            "or rejected by a webhook or a policy naming the mesh's containers where next_pod is not rejected. "
            "A fail-open webhook (failurePolicy Ignore) hides whether it was called, so that case is never a "
            "disagreement."
        ),
        "fix": (
            "Something the snapshot does not show decides: the MutatingAdmissionWebhook plugin disabled, "
            "selectors rewritten by the platform (managed clusters add exclusions), another mutating webhook, "
            "a failure the snapshot cannot show (istiod's in-memory serving certificate, an injector slower "
            "than the webhook timeout), or an injector decision the model does not know. Compare both sides "
            "of the evidence; report a model gap with the probe's answer."
        ),
    },
    "SI401": {
        "slug": "cabundle-missing",
        "severity": "error",
        "mesh": "any",
        "action": "resync_ca",
        "group": "certificates",
        "when": ("webhook caBundle is empty or not valid PEM"),
        "detect": (
            "Decodes the caBundle of each active, service-referenced injector configuration (base64, then PEM "
            "CERTIFICATE blocks): empty, not base64, no PEM block, no certificate block or an unparsable "
            "certificate. In an offline snapshot an empty caBundle that istiod (revision-labelled "
            "configurations) or cert-manager's cainjector fills after apply is reported at info."
        ),
        "fix": (
            "Istio: restart istiod of the configuration's revision so it re-patches the caBundle. Linkerd: "
            "delete `linkerd-proxy-injector-k8s-tls` and re-render (`linkerd upgrade`/`helm upgrade`), or "
            "check cert-manager's Certificate and cainjector. Role `remediate_certs` (action resync_ca)."
        ),
    },
    "SI402": {
        "slug": "cabundle-expired",
        "severity": "error",
        "mesh": "any",
        "action": "resync_ca",
        "group": "certificates",
        "when": ("a caBundle certificate is expired or not yet valid"),
        "detect": (
            "Checks the validity window of every caBundle certificate against the current time (or the `now` "
            "option); an expired or not-yet-valid certificate is refused by Go as a root. Evidence: subject, "
            "issuer, serial, notBefore/notAfter and SHA-256 fingerprint."
        ),
        "fix": (
            "Replace the bundle with the current CA (same commands as SI401; for Linkerd regenerate the "
            "webhook certificate, which also renews the bundle)."
        ),
    },
    "SI403": {
        "slug": "cabundle-expiring",
        "severity": "warning",
        "mesh": "any",
        "action": "resync_ca",
        "group": "certificates",
        "when": ("a caBundle certificate expires within the warning window (default 60 days)"),
        "detect": (
            "As SI402, for certificates still valid whose notAfter falls within `cert_warning_days` (default "
            "60, `linkerd check`'s threshold)."
        ),
        "fix": (
            "Rotate before expiry: re-render the webhook certificate and bundle (Linkerd), or rotate the mesh "
            "root and let istiod re-patch (Istio); role `remediate_certs`."
        ),
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
        "detect": (
            "Linkerd: verifies the serving certificate from Secret `linkerd-proxy-injector-k8s-tls` "
            "(`tls.crt`, fallback `linkerd-proxy-injector-tls`) against the caBundle with Go's chain rules, "
            "leaving time and name to SI405/SI406 (a self-signed leaf that is in the bundle verifies). Istio: "
            "the caBundle must be, or chain to, the mesh root istiod signs its webhook certificate with "
            "(ConfigMap `istio-ca-root-cert`, else Secret `cacerts`/`istio-ca-secret`); istiod's own serving "
            "certificate is only in memory."
        ),
        "fix": (
            "Istio: `kubectl rollout restart deployment/istiod[-<rev>]` so istiod re-patches the caBundle "
            "(check the configuration's `istio.io/rev` label, SI210). Linkerd: delete "
            "`linkerd-proxy-injector-k8s-tls` and `linkerd upgrade | kubectl apply -f -` (or `helm upgrade`), "
            "then restart the proxy-injector. Role `remediate_certs` (action resync_ca)."
        ),
    },
    "SI405": {
        "slug": "serving-cert-expiring",
        "severity": "error",
        "mesh": "any",
        "action": "rotate_cert",
        "group": "certificates",
        "when": ("injector serving certificate expired (error) or expires within the warning window (warning)"),
        "detect": (
            "Validity of the Linkerd proxy-injector serving certificate and the rest of its chain in the "
            "Secret: expired or not yet valid (error), or notAfter within `cert_warning_days` (warning)."
        ),
        "fix": (
            "Delete `linkerd-proxy-injector-k8s-tls` and re-render (`linkerd upgrade | kubectl apply -f -` or "
            "`helm upgrade`): Helm/CLI generate a new 365-day certificate and a matching caBundle. Role "
            "`remediate_certs` (action rotate_cert)."
        ),
    },
    "SI406": {
        "slug": "serving-cert-wrong-name",
        "severity": "error",
        "mesh": "any",
        "action": "rotate_cert",
        "group": "certificates",
        "when": ("serving certificate SANs do not cover <service>.<namespace>.svc"),
        "detect": (
            "Checks that the Linkerd serving certificate's SANs cover `<service>.<namespace>.svc`, the TLS "
            "server name the API server uses, with Go's rules (no Common Name fallback, one-label wildcards); "
            "the message is Go's exact HostnameError."
        ),
        "fix": (
            "Regenerate the certificate for the namespace the control plane runs in (delete the Secret and "
            "re-render), or issue it with the right DNS name when it comes from cert-manager."
        ),
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
        "detect": (
            "Validity of the mesh CA certificates found in the snapshot: Istio `istio-ca-secret` "
            "(`ca-cert.pem`), `cacerts` (`root-cert.pem`, `ca-cert.pem`) and ConfigMap `istio-ca-root-cert`; "
            "Linkerd trust anchors (`linkerd-identity-trust-roots`, `linkerd-trust-anchor`, "
            "`identityTrustAnchorsPEM`) and issuer (`linkerd-identity-issuer`). Expired or not yet valid is "
            "an error, inside `cert_warning_days` a warning; each certificate is reported once."
        ),
        "fix": (
            "Plan a rotation before expiry: Istio root/intermediate rotation per istio.io's certificate "
            "management tasks; Linkerd issuer `linkerd upgrade --identity-issuer-certificate-file ...` (or "
            "cert-manager), trust anchor per the manual rotation task, then restart meshed workloads."
        ),
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
        "detect": (
            "For each meshed namespace (injection marker or a workload that would be injected) whose "
            "`pod-security.kubernetes.io/enforce` is baseline or restricted, when the mesh does not use its "
            "CNI (Istio injector values `pilot.cni.enabled`, Linkerd `cniEnabled`): the init container "
            "(istio-init, linkerd-init) adds NET_ADMIN and NET_RAW, which both levels forbid. Also events "
            "where Pod Security, PodSecurityPolicy, an OpenShift SCC or a policy engine's webhook rejected a "
            "pod because of the mesh containers or those capabilities, with the exact message (PSP and SCC "
            "name the init container by index, `spec.initContainers[0]`: recognised in meshed namespaces by "
            "NET_ADMIN/NET_RAW or UID 0). On clusters serving PodSecurityPolicy (Kubernetes <= 1.24, "
            "policy/v1beta1; a 404 means none): when no policy admits the init container (NET_ADMIN, NET_RAW, "
            "UID 0), every meshed namespace without the mesh CNI."
        ),
        "fix": (
            "Use the mesh CNI (Istio CNI / linkerd2-cni), which replaces the privileged init container; or, "
            "weaker, set the namespace's enforce level to privileged; for a policy engine, exempt the mesh's "
            "init container. Then restart the workloads."
        ),
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
        "detect": (
            "For meshed namespaces with (unscoped) ResourceQuotas: computes the containers the injector adds "
            "with their resources (Istio injector values `global.proxy.resources` or chart defaults, "
            "`sidecar.istio.io/proxyCPU|Memory[Limit]`; Linkerd `proxy.resources`, `proxyInit.resources`, "
            "`config.linkerd.io/proxy-*` on the template or namespace; requests default to limits). A quota "
            "tracking `limits.*` that an added container does not set rejects every injected pod (`must "
            "specify`), LimitRange defaults do not reach webhook-added containers; headroom (`hard - used`) "
            "below what the sidecar alone adds rejects the next pod. Also `exceeded quota` / `must specify` "
            "events in meshed namespaces."
        ),
        "fix": (
            "Give the proxy explicit requests/limits (the annotation or mesh-wide value given), or raise the "
            "quota by at least the sidecar's share per pod."
        ),
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
        "detect": (
            "For meshed namespaces with LimitRanges: checks each Container item's max, min and "
            "maxLimitRequestRatio against the containers the injector adds (same resource model as SI502), "
            "reporting LimitRanger's own messages (`maximum cpu usage per Container is 1, but limit is 2`, "
            "`... No limit is specified`); the LimitRange's defaults were applied before the injector ran, so "
            "they do not help. Also LimitRanger rejections from events."
        ),
        "fix": (
            "Set the proxy's requests/limits inside the LimitRange bounds (annotations or mesh-wide values), "
            "or widen the LimitRange."
        ),
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
        "detect": (
            "Evaluates ClusterRoleBindings and ClusterRoles for the injector's ServiceAccount (from its "
            "Deployment template) like a SubjectAccessReview would (wildcards, groups "
            "`system:serviceaccounts[:<ns>]`, `system:authenticated`; name-restricted rules not counted): "
            "istiod needs get/list/watch and update or patch on mutatingwebhookconfigurations and read access "
            "to namespaces; the Linkerd proxy-injector needs namespaces, pods, replicasets, deployments and "
            "to create events. Skipped when the snapshot has no ClusterRole at all."
        ),
        "fix": (
            "Re-apply the mesh's RBAC (`helm upgrade ... --reuse-values` or `linkerd upgrade | kubectl apply "
            "-f -`); check with the `kubectl auth can-i ... --as=system:serviceaccount:<ns>:<sa>` commands "
            "given."
        ),
    },
    "SI505": {
        "slug": "policy-engine-denies",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "admission-policy",
        "when": ("a validating webhook (Gatekeeper, Kyverno, ...) denies injected pods"),
        "detect": (
            'Reads events `admission webhook "<name>" denied the request: ...` from webhooks that are not '
            "mesh injectors (validating webhooks of Gatekeeper, Kyverno and others) for pods in meshed "
            "namespaces or naming mesh containers; denials about the NET_ADMIN/NET_RAW init container are "
            "SI501."
        ),
        "fix": (
            "Exempt the mesh containers (istio-proxy, istio-init, linkerd-proxy, linkerd-init) or the "
            "namespace in the policy that denied, or make the policy accept the injected fields (e.g. image "
            "digests for the proxy image)."
        ),
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
        "detect": (
            "Pod status of istio-init / linkerd-init init containers: waiting "
            "CrashLoopBackOff/Error/image errors or terminated with a non-zero exit code; the "
            "termination message and matching Warning events are the evidence. Grouped per owning "
            "workload."
        ),
        "fix": (
            "Read `kubectl logs <pod> -c <init container> --previous`. iptables errors: use the mesh "
            "CNI plugin (Istio CNI, linkerd-cni) or set Linkerd's proxyInit.iptablesMode to the nodes' "
            "backend; Pod Security baseline/restricted rejects NET_ADMIN/NET_RAW without CNI."
        ),
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
        "detect": (
            "Pod status of istio-validation / linkerd-network-validator init containers (failing as "
            "above), with the readiness of the mesh CNI pod on the same node."
        ),
        "fix": (
            "Make sure the CNI DaemonSet (istio-cni-node, linkerd-cni) is ready on every node and "
            "chained in the node's CNI configuration, then delete the failing pods so they are "
            "re-created."
        ),
    },
    "SI603": {
        "slug": "proxy-not-ready",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "data-plane",
        "when": ("the proxy container is crash-looping or not Ready"),
        "detect": (
            "Pod status of istio-proxy / linkerd-proxy (containers or native-sidecar init containers): "
            "crash-looping, failing, or running but not Ready in a Running pod. Grouped per owning "
            "workload."
        ),
        "fix": (
            "Check the proxy logs and the control plane it needs (`istioctl proxy-status`, `linkerd "
            "check --proxy`); xDS/identity reachability (istiod :15012, linkerd-identity/destination) "
            "is the usual cause."
        ),
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
        "detect": (
            "Running pods whose verdict is should_inject (a pod created now would be injected: webhook "
            "selected and injector decision inject) but that carry no proxy (istioctl IST0103, judged "
            "with the full two-stage decision). Grouped per owning workload."
        ),
        "fix": (
            "Re-create the pods so admission runs again: `kubectl rollout restart <kind>/<name> -n "
            "<ns>` (Deployments, StatefulSets, DaemonSets), delete pods of bare ReplicaSets/Jobs, "
            "re-create bare pods; action restart_workload does it safely."
        ),
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
        "detect": (
            "Injected pods whose proxy does not match what their namespace's injector now injects: the "
            "Istio proxy image against the revision's ConfigMap values (IST0158 logic; "
            "-distroless/-debug variants of the same build are accepted), the istio.io/rev annotation "
            "against the revision selected now (injector list NEEDS RESTART), and "
            "linkerd.io/proxy-version against the proxy version the injector injects (a "
            "config.linkerd.io/proxy-version pin on the pod or namespace, else linkerd-config's "
            "proxy.image.version, else linkerdVersion). One finding per namespace."
        ),
        "fix": (
            "Restart the listed workloads (`kubectl rollout restart deployment/<name> -n <ns>`) so they "
            "get the current proxy; action restart_workload does it."
        ),
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
        "detect": (
            "Pods owned by a Job or CronJob that are still Running with a classic (non-native) proxy "
            "container after every other container terminated."
        ),
        "fix": (
            'Use native sidecars (Istio annotation `sidecar.istio.io/nativeSidecar: "true"` or '
            'ENABLE_NATIVE_SIDECARS; Linkerd `config.linkerd.io/proxy-enable-native-sidecar: "true"`, '
            "beta/alpha keys on 2.19/2.15-2.18; Kubernetes 1.29+), or stop the proxy when the job ends "
            "(POST localhost:15020/quitquitquit, linkerd-await --shutdown)."
        ),
    },
    "SI701": {
        "slug": "kubernetes-version-unsupported",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "platform",
        "when": ("the mesh version does not support this Kubernetes version (Istio and Linkerd support matrices)"),
        "detect": (
            "Compares each Istio revision's version (istiod image tag) and the Linkerd version "
            "(`linkerd-config`) with the server's Kubernetes version using the support tables in versions.py "
            "(istio.io Supported Releases and istioctl precheck minimum; linkerd.io k8s-versions and "
            "linkerd2's minAPIVersion, edge releases mapped to their major). Below the enforced minimum is an "
            "error, outside the supported range a warning; versions outside the tables give no finding."
        ),
        "fix": (
            "Upgrade the mesh to a release that supports this Kubernetes version, or bring the cluster into "
            "the supported range; `istioctl x precheck` / `linkerd check --pre` confirm."
        ),
    },
    "SI702": {
        "slug": "native-sidecar-unsupported",
        "severity": "error",
        "mesh": "any",
        "action": "manual",
        "group": "platform",
        "when": ("native sidecars requested while the Kubernetes version or node kubelets are older than required"),
        "detect": (
            "Native sidecars requested (Linkerd `proxy.nativeSidecar` or "
            '`config[.alpha|.beta].linkerd.io/proxy-enable-native-sidecar: "true"` on an injected template; '
            'Istio `ENABLE_NATIVE_SIDECARS=true` on istiod or `sidecar.istio.io/nativeSidecar: "true"`) while '
            "the API server or a node's kubelet is older than 1.29 (error). Istio 1.27+ in `auto` mode with "
            "some kubelets older than 1.33 (info: native sidecars are silently off cluster-wide)."
        ),
        "fix": (
            "Upgrade the control plane and every node to 1.29 or later (1.33 for Istio's auto mode), or turn "
            "native sidecars off explicitly."
        ),
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
        "detect": (
            "Reads the kube-apiserver static pod's env when visible: HTTPS_PROXY (or https_proxy) set and "
            "NO_PROXY not covering the webhook hosts `<service>.<namespace>.svc` with Go's matching (`svc`, "
            "`.svc`, `*`; CIDR entries do not match host names). Proxy credentials are redacted from the "
            "evidence."
        ),
        "fix": (
            "Add `.svc` (and the service CIDR, for IP-addressed webhooks) to NO_PROXY and no_proxy in the "
            "kube-apiserver manifest on every control-plane node."
        ),
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
        "detect": (
            "A 403 answer to a LIST (or to the GET of a named certificate Secret, or of /version) while "
            "gathering live. The skipped and narrowed checks are derived from what each check declares it "
            "needs (rules/registry.py), so this list, the module warning and the report's skipped list agree. "
            "A 403 in one control-plane namespace or on one certificate Secret is reported for that part only "
            "(the rest of the kind is read, and the checks that read it are named); a forbidden cluster-wide "
            "LIST of a namespaced kind is retried in each control-plane namespace."
        ),
        "fix": (
            "Grant the diagnosing identity get/list on the kind (the finding prints the `kubectl auth can-i` "
            "command that shows the gap), or accept the narrower diagnosis."
        ),
    },
    "SI802": {
        "slug": "mesh-not-detected",
        "severity": "info",
        "mesh": "any",
        "action": "manual",
        "group": "coverage",
        "when": ("no Istio or Linkerd control plane found in the cluster or snapshot"),
        "detect": (
            "No istiod or linkerd-proxy-injector Deployment and no mesh injector MutatingWebhookConfiguration "
            "in the snapshot."
        ),
        "fix": "Install a mesh, or point the diagnosis at the cluster (or snapshot) that runs one.",
    },
    "SI803": {
        "slug": "snapshot-incomplete",
        "severity": "info",
        "mesh": "any",
        "action": "manual",
        "group": "coverage",
        "when": ("an offline snapshot lacks resource types that some checks need; names them"),
        "detect": "A kind the checks read has no file and no objects in the offline snapshot or bundle.",
        "fix": "Add `kubectl get <kinds> -A -o yaml` output for the named kinds to the snapshot directory.",
    },
    "SI804": {
        "slug": "check-skipped-capability",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "coverage",
        "origin": "project",
        "when": (
            "a capability some checks require is missing on the host that runs the diagnosis (the Python "
            "library cryptography for every certificate check), so those checks were skipped; names them"
        ),
        "detect": (
            "The checks declare the capabilities they require (rules/engine.py CAPABILITIES); a missing "
            "library is found when the collection's modules import it."
        ),
        "fix": (
            "Install the library on the host that runs the modules (the Ansible controller for inventory "
            "hosts with connection local): `pip install -r requirements.txt` of this collection, or the "
            "execution environment."
        ),
    },
    "SI805": {
        "slug": "check-skipped-read-failed",
        "severity": "warning",
        "mesh": "any",
        "action": "manual",
        "group": "coverage",
        "origin": "project",
        "when": (
            "a resource type could not be read from a live cluster (HTTP 5xx or 429 after the retries, a reset "
            "connection, a timeout, or the per-cluster deadline ran out), so the checks that need it were "
            "skipped; names them"
        ),
        "detect": (
            "The live read of a kind failed after the client's retry policy (k8s/retry.py) gave up, or was not "
            "attempted because the `deadline` option ran out. The skipped and narrowed checks come from what "
            "each check declares (rules/registry.py). A live run with such a gap only partly diagnosed the "
            "cluster: `fail_on: warning` gates count it."
        ),
        "fix": (
            "Check the API server's health (`kubectl get --raw '/readyz?verbose'`) and rerun; for a slow server "
            "raise `request_timeout`, `retries` or `deadline`."
        ),
    },
}


# ---------------------------------------------------------------------------------------------
# Where each code sits on the path a pod created now walks (rules/answers.py, docs/workloads.md):
# selection → call (the API server calls the injector webhook) → injector (its own policy) →
# admission (of the mutated pod) → runtime. `blocks` says what a finding of the code does to that
# pod: "not_selected" (no injector decides it), "failure_policy" (the call fails: the webhook's
# failurePolicy decides, Fail → rejected, Ignore → admitted without a sidecar), "without_sidecar"
# (the injector declines), "rejected" (the pod is refused), "degraded" (the sidecar is added but does
# not work), or "" (a risk or a fact on that stage, not a blocker today). Codes whose lower severity
# means "not yet" (a certificate only expiring, SI101 with no known intent) block only from the
# severity in BLOCKS_FROM; an info finding never blocks (it reports no problem: SI305 when injected
# pods show the firewall rule exists); any other finding of a blocking code does (an inferred
# firewall at warning still stops the call).
# Listed in path order: the first blocking code of a workload is its root cause. Codes missing here
# (platform facts, coverage, the restart advice SI604/SI605 itself) are on no stage.
PATH = (
    ("SI208", "selection", "not_selected"),
    ("SI201", "selection", "not_selected"),
    ("SI205", "selection", "not_selected"),
    ("SI101", "selection", "not_selected"),
    ("SI103", "selection", "not_selected"),
    ("SI104", "selection", "not_selected"),
    ("SI105", "selection", "not_selected"),
    ("SI106", "selection", "not_selected"),
    ("SI108", "selection", "not_selected"),
    ("SI206", "selection", "not_selected"),
    ("SI112", "selection", "not_selected"),
    ("SI107", "selection", "not_selected"),
    ("SI109", "selection", "not_selected"),
    ("SI102", "selection", ""),
    ("SI111", "selection", ""),
    # a deadlock blocks only the pods of the namespace it names, and only while the injector is unavailable
    # (rules/answers.py DEADLOCK_CODES): then it comes first, since the injector cannot return until it is fixed
    ("SI209", "call", "failure_policy"),
    ("SI202", "call", "failure_policy"),
    ("SI301", "call", "failure_policy"),
    ("SI302", "call", "failure_policy"),
    ("SI306", "call", "failure_policy"),
    ("SI304", "call", "failure_policy"),
    ("SI305", "call", "failure_policy"),
    ("SI703", "call", "failure_policy"),
    ("SI401", "call", "failure_policy"),
    ("SI402", "call", "failure_policy"),
    ("SI404", "call", "failure_policy"),
    ("SI406", "call", "failure_policy"),
    ("SI405", "call", "failure_policy"),
    ("SI303", "call", "failure_policy"),
    ("SI403", "call", ""),
    ("SI204", "call", ""),
    ("SI203", "call", ""),
    ("SI207", "call", ""),
    ("SI210", "call", ""),
    ("SI110", "injector", "without_sidecar"),
    ("SI307", "injector", "rejected"),
    ("SI504", "injector", ""),
    ("SI501", "admission", "rejected"),
    ("SI502", "admission", "rejected"),
    ("SI503", "admission", "rejected"),
    ("SI505", "admission", "rejected"),
    ("SI601", "runtime", "degraded"),
    ("SI602", "runtime", "degraded"),
    ("SI702", "runtime", "degraded"),
    ("SI407", "runtime", "degraded"),
    ("SI603", "runtime", "degraded"),
    ("SI606", "runtime", "degraded"),
)
BLOCKS_FROM = {"SI101": "warning", "SI405": "error", "SI407": "error"}
STAGES = ("selection", "call", "injector", "admission", "runtime")
BLOCKS = ("not_selected", "failure_policy", "without_sidecar", "rejected", "degraded", "")
PATH_RANK = {code: rank for rank, (code, _stage, _blocks) in enumerate(PATH)}
for _code, _stage, _blocks in PATH:
    CATALOGUE[_code]["stage"] = _stage
    CATALOGUE[_code]["blocks"] = _blocks
for _spec in CATALOGUE.values():
    _spec.setdefault("stage", "")
    _spec.setdefault("blocks", "")


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
