#!/usr/bin/python
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: injection_diagnose
short_description: Diagnose Istio and Linkerd sidecar injection on a cluster or an offline snapshot
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - Reads the cluster's injection-relevant state (live, with the same auth options as C(kubernetes.core)
    modules, or from an offline snapshot), decides for every pod and workload template whether the API
    server would call an injector and what the injector would decide, compares that with what the pods
    carry, and runs the finding rules (codes C(SI101) to C(SI803), see C(docs/findings.md)).
  - Returns the findings, the verdicts that explain them and a short human summary, and writes the full
    JSON report to O(report_path) when given.
  - Read-only. The cluster is never changed, so the module never reports C(changed); writing the report
    file is an output of the run, not a change. In check mode the diagnosis runs and returns everything
    as usual, and no file is written.
  - A resource kind the identity may not read (HTTP 403) narrows the diagnosis and is reported as C(SI801)
    naming the skipped checks (narrowed to the namespace or certificate Secret refused, when only that
    was); a kind whose live read kept failing (5xx, 429, reset, timeout) or that the O(deadline) left
    unread is C(SI805), a warning; then C(summary.coverage.complete) is false and the summary says the
    cluster was only partly diagnosed. Kinds missing from an offline snapshot are reported as C(SI803).
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - meshops.sidecar_injection.live_read
  - meshops.sidecar_injection.input_limits
options:
  src:
    description:
      - "Offline snapshot to diagnose instead of a live cluster. A directory (read recursively) or a file of
        YAML or JSON (multi-document files, C(kind: List), C(kubectl get -o yaml|json) output,
        C(kubectl version -o json) output), or a bundle written by M(meshops.sidecar_injection.injection_facts)."
      - When set, the auth options are ignored.
    type: path
  manifests:
    description:
      - Rendered manifests (files or directories of YAML or JSON, e.g. C(helm template) or C(kustomize build)
        output) laid over the cluster or the O(src) snapshot, as C(istioctl analyze) merges local files with the
        live cluster. Each object replaces the one of the same kind, namespace and name, or is added; a namespaced
        object without a namespace goes to C(default).
      - The diagnosis then speaks for the workloads these manifests would create, before they are applied; where
        each object came from is returned in RV(summary.manifests) (and used by the SARIF report).
    type: list
    elements: path
    default: []
  cluster_name:
    description:
      - Name of the cluster in the report, usually C(inventory_hostname).
    type: str
  min_severity:
    description:
      - Leave out findings below this severity.
    type: str
    choices: [info, warning, error]
    default: info
  desired_namespaces:
    description:
      - Namespaces that are meant to be meshed. An unlabelled namespace listed here is reported as
        C(SI101) at warning level; unlabelled namespaces nobody declared are reported at info level, as
        C(istioctl analyze) does.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Namespace name.
        type: str
        required: true
      mesh:
        description: The mesh that should inject there.
        type: str
        choices: [istio, linkerd]
        default: istio
      revision:
        description: Istio revision or tag the namespace should use (C(istio.io/rev)); empty for the default.
        type: str
  namespaces:
    description:
      - Only diagnose these namespaces (shell-style patterns allowed). Empty means all. The mesh
        control-plane namespaces are always read.
    type: list
    elements: str
    default: []
  exclude_namespaces:
    description:
      - Leave these namespaces out (shell-style patterns allowed).
    type: list
    elements: str
    default: []
  control_plane_namespaces:
    description:
      - Extra namespaces to treat as mesh control-plane namespaces (where injector services, certificates
        and configuration are read), in addition to the ones found from the webhooks and deployments.
    type: list
    elements: str
    default: []
  cert_warning_days:
    description:
      - Certificates expiring within this many days are reported (C(SI403), C(SI405), C(SI407)).
    type: int
    default: 60
  webhook_timeout_floor:
    description:
      - Injector webhooks with a C(timeoutSeconds) below this are reported (C(SI204)).
    type: int
    default: 5
  limit:
    description:
      - Page size of the LIST requests made against a live cluster.
    type: int
    default: 500
  report_path:
    description:
      - Write the full JSON report (cluster, summary, findings, verdicts) to this file. The folder is
        created when missing; the file is replaced atomically. Not written in check mode.
      - "Its format is versioned and published as a JSON Schema: C(docs/schemas/report.schema.json),
        described in C(docs/reports.md)."
    type: path
  return_verdicts:
    description:
      - Which verdicts to return in the result. V(problems) returns the verdicts of pods and workloads that
        should carry a sidecar and don't, or carry one they shouldn't; V(all) returns every verdict (large
        on big clusters; the report file always has all of them).
    type: str
    choices: [all, problems, none]
    default: problems
  return_findings:
    description:
      - Whether to return the findings in RV(findings). V(false) returns an empty list (the summary still
        counts them, and the report file at O(report_path) has all of them); the diagnose role uses it so
        that a large result does not travel through Ansible's result handling.
    type: bool
    default: true
  summary_limit:
    description:
      - How many findings the human summary in RV(summary_lines) lists.
    type: int
    default: 20
  return_workloads:
    description:
      - Return the per-workload answer (RV(workloads)) in the result. Set to V(false) on large clusters to keep
        the result small; the report file always has it.
    type: bool
    default: true
  suppress:
    description:
      - Findings to suppress, as C(istioctl analyze --suppress) does. Each entry is V(CODE),
        V(CODE=Kind name) (a cluster-scoped object, or that name in any namespace) or
        V(CODE=Kind namespace/name); the code, namespace and name may be shell globs (V(SI10*),
        V(SI604=Deployment shop/*)), the kind is matched without regard to case.
      - An object can also carry the annotation C(sidecar-injection.meshops.io/suppress) with
        comma-separated codes or globs (for example V(SI604,SI10*)), which suppresses those findings
        about that object.
      - Suppressed findings are never dropped silently. They leave RV(findings) (and so count toward
        neither the severities nor C(fail_on)), are listed in RV(suppressed) with what suppressed
        them, and counted in RV(summary.suppressed).
      - A malformed entry fails the task with a message naming C(suppress[index]) and the entry.
    type: list
    elements: str
    default: []
requirements:
  - kubernetes >= 24.2.0 (live mode)
  - PyYAML
  - cryptography (certificate checks)
notes:
  - "Inventory hosts are clusters; run with C(connection: local)."
  - The number of API requests is a fixed set plus pagination; it does not grow with the number of pods.
  - Only the certificate secrets the checks need are read, and only their public certificates are kept.
seealso:
  - module: meshops.sidecar_injection.injection_facts
  - module: kubernetes.core.k8s_info
"""

EXAMPLES = r"""
- name: Diagnose the cluster of the current kubeconfig context
  meshops.sidecar_injection.injection_diagnose:
    context: prod-eu
    cluster_name: "{{ inventory_hostname }}"
    report_path: "reports/{{ inventory_hostname }}.json"
  register: diagnosis

- name: Fail the pipeline on error findings of a manifest dump
  meshops.sidecar_injection.injection_diagnose:
    src: build/rendered-manifests/
    min_severity: error
  register: diagnosis
  failed_when: diagnosis.findings | length > 0

- name: Declare which namespaces must be meshed
  meshops.sidecar_injection.injection_diagnose:
    kubeconfig: ~/.kube/config
    desired_namespaces:
      - name: shop
        mesh: istio
        revision: 1-22
      - name: payments
        mesh: linkerd
"""

RETURN = r"""
provenance:
  description:
    - When and from what the report was made - C(generated_at) (this run, UTC), C(gathered_at) (live
      gathering, or the bundle's; null for file dumps), C(source) (live or offline), C(from) (the
      snapshot path or the API server), C(collection) and C(collection_version). Also in the report file.
  returned: on success
  type: dict
  sample: {"generated_at": "2026-12-03T13:40:00Z", "gathered_at": null, "source": "offline",
           "from": "/srv/dumps/prod-eu", "collection": "meshops.sidecar_injection", "collection_version": "0.1.0"}
stale_report_removed:
  description: When the cluster could not be read, the previous report at O(report_path) that was removed
    so that it cannot be mistaken for this run's.
  returned: on failure, when an earlier report was there
  type: str
cluster:
  description: Where the state came from.
  returned: always
  type: dict
  sample: {"name": "prod-eu", "source": "live", "server": "https://10.0.0.1:443", "context": "prod-eu"}
summary:
  description: Counts and context of the run.
  returned: always
  type: dict
  contains:
    kubernetes_version:
      description: The API server's version, when known.
      type: str
      sample: v1.31.4
    platform:
      description: Detected platform (eks, gke, aks, openshift, self-managed or unknown).
      type: str
    meshes:
      description: Meshes found, with versions, control-plane namespaces and revisions.
      type: list
      elements: dict
    pods:
      description: Pod counts (total, should_inject, injected, missing).
      type: dict
    severities:
      description: Number of findings per severity (after O(min_severity)).
      type: dict
      sample: {"error": 2, "warning": 3, "info": 1}
    at_or_above:
      description: Number of findings at each severity or worse, for failure thresholds.
      type: dict
      sample: {"info": 6, "warning": 5, "error": 2}
    codes:
      description: Number of findings per code.
      type: dict
    suppressed:
      description: Number of findings suppressed (listed in RV(suppressed)).
      type: int
    gaps:
      description:
        - Resource kinds that could not be read, and why (C(forbidden), C(error), C(deadline), C(absent)), with the
          checks each one skipped; a 403 on one control-plane namespace or one certificate Secret carries
          C(namespace) (and C(name)).
      type: list
      elements: dict
    coverage:
      description:
        - C(complete) is false when a live read failed (403, errors after the retries, the deadline); then the
          counts cover only what was read and C(message) names what was not.
      type: dict
      sample: {"complete": false, "message": "only partly diagnosed: could not read pods (error)"}
    requests:
      description: API requests made (live mode).
      type: int
    certificates:
      description:
        - Every certificate on the injection path (webhook caBundle roots, the Linkerd injector's serving chain,
          the mesh CAs), soonest expiry first, with C(seconds_left) at diagnosis time.
      type: list
      elements: dict
      sample: [{"mesh": "istio", "role": "webhook caBundle", "object": "MutatingWebhookConfiguration istio-sidecar-injector",
                "field": "webhooks[].clientConfig.caBundle[0]", "subject": "CN=Root CA,O=cluster.local",
                "not_after": "2035-01-01T00:00:00Z", "seconds_left": 255000000, "sha256": "F0:06:..."}]
    manifests:
      description: Where each object of O(manifests) came from (file, line of its document, kind, namespace, name).
      type: list
      elements: dict
      returned: when O(manifests) is set
    workloads:
      description:
        - Per mesh, workloads and pods that want a sidecar, have one and lack one (C(want) = C(have) + C(lack)),
          workloads whose proxy comes from their own manifest (mesh control planes) apart, and the lacking
          workloads grouped by root cause with its fix steps, most workloads first. See docs/workloads.md.
      type: dict
      sample: {"meshes": {"istio": {"want": 3, "have": 1, "lack": 2, "pods_want": 6, "pods_have": 2, "pods_lack": 4}},
               "own_manifest": {"workloads": 1, "pods": 1, "with_proxy": 0},
               "lacking_by_cause": [{"code": "SI404", "slug": "cabundle-mismatch", "workloads": 2, "pods": 4,
                                     "fix": ["..."], "fix_text": "...", "examples": ["Deployment shop/web"]}]}
findings:
  description: The findings, worst first (empty with O(return_findings=false)).
  returned: always
  type: list
  elements: dict
  sample:
    - code: SI103
      slug: revision-not-found
      severity: error
      mesh: istio
      kind: Namespace
      namespace: ""
      name: payments
      message: "istio.io/rev=1-21 names a revision no injector webhook serves"
      evidence: [{"object": "Namespace payments", "field": "metadata.labels", "value": {"istio.io/rev": "1-21"}}]
      remediation: {"action": "label_namespace", "steps": ["kubectl label namespace payments istio.io/rev=1-23 --overwrite"]}
suppressed:
  description:
    - The findings a suppression removed from RV(findings), each with C(suppressed_by) naming the source
      (V(option) with the entry, or V(annotation) with the code glob and the annotated object).
  returned: always
  type: list
  elements: dict
  sample:
    - code: SI604
      severity: warning
      kind: Deployment
      namespace: shop
      name: cart
      message: "2 pods predate injection"
      suppressed_by: {"source": "option", "rule": "SI604=Deployment shop/cart"}
verdicts:
  description: Per pod and per workload template, what the API server and the injector would do and what is there.
  returned: always
  type: list
  elements: dict
  sample:
    - {"kind": "Pod", "namespace": "shop", "name": "web-7d9f-abcde", "mesh": "istio",
       "webhook": "istio-revision-tag-default/namespace.sidecar-injector.istio.io", "revision": "default",
       "should_inject": true, "injected": false,
       "reasons": ["namespace label istio-injection=enabled matches ...", "created before the namespace was enabled"]}
workloads:
  description:
    - One answer per workload (Deployment, StatefulSet, DaemonSet, CronJob, Job and ReplicaSet without an owner,
      bare Pod) - C(intent) (does anything ask for a sidecar, which mesh and revision, from where), C(current)
      (pods with and without a proxy, proxy versions), C(next_pod) (what a pod created now gets - C(outcome)
      V(injected), V(admitted_without_sidecar), V(rejected) or V(not_selected) - and the path it walks),
      C(blocked_by) (finding codes in path order), C(root_cause) (the first of them) and C(restart) (whether a
      restart helps, and what it would do now). See docs/workloads.md.
  returned: when O(return_workloads) is true
  type: list
  elements: dict
  sample:
    - {"ref": {"kind": "Deployment", "namespace": "apps", "name": "web"}, "control_plane": false,
       "intent": {"wants": true, "mesh": "istio", "revision": "", "sources": ["namespace label istio-injection=enabled"]},
       "current": {"pods": 2, "with_proxy": 0, "without_proxy": 2, "proxy_versions": []},
       "next_pod": {"outcome": "rejected", "webhook": "istio-sidecar-injector/sidecar-injector.istio.io",
                    "failure_policy": "Fail", "path": [{"stage": "call", "status": "blocked", "codes": ["SI404"],
                    "detail": "..."}]},
       "blocked_by": ["SI404", "SI303"], "root_cause": "SI404",
       "restart": {"helps": false, "effect": "a restart would fail: new pods are rejected ..."}}
summary_lines:
  description: A short human-readable summary, headed by the workloads lacking a sidecar and their top causes.
  returned: always
  type: list
  elements: str
report_path:
  description: Where the JSON report was written.
  returned: when O(report_path) is set and not in check mode
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import (
    DIAGNOSE_ARGUMENT_SPEC,
    DiagnoseError,
    run,
)


def main():
    module = AnsibleModule(argument_spec=DIAGNOSE_ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module.params, warn=module.warn, check_mode=module.check_mode)
    except DiagnoseError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
