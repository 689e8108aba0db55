#!/usr/bin/python
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: injection_probe
short_description: Prove what a new pod gets, with a server-side dry-run pod create per namespace
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - For each selected namespace, creates a pod with C(dryRun=All) shaped like that namespace's real workload
    (labels, annotations, service account, resources, security contexts), so the API server runs the real
    admission path - webhook selection, TLS against the caBundle, the network, the webhook timeout, the injector,
    LimitRanger, ResourceQuota, Pod Security - and answers what the real pod would get, without creating anything.
  - Reads the answer - the returned pod (proxy and init containers, proxy image, version, revision) or the exact
    error, classified with the classes of C(SI303) and C(SI5xx) - and compares it with the static C(next_pod) of
    the workload it mimics (the diagnosis of the same snapshot, with no further reads).
  - "Default selection: every namespace whose workloads want a sidecar (a namespace label or annotation, or a
    workload template asking for one), except the mesh control-plane and system namespaces; O(namespaces) and
    O(like) add namespaces."
  - Never writes. Before the first pod it proves the server honours dry run (a dry-run ConfigMap create that must
    leave nothing behind), and after each pod it checks the pod was not stored; a server that ignores dry run is
    refused with the reason (the throwaway object it stored is deleted).
  - Findings C(SI308) (the pod came back without a proxy, or was rejected, in a namespace that should be injected),
    C(SI309) (the probe contradicts the static C(next_pod), both sides as evidence) and C(SI801) (HTTP 403 on pods/create; not a failure).
  - Check mode probes as usual (a dry run is already safe); only O(report_path) is not written. Never C(changed).
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
options:
  namespaces:
    description:
      - Probe these namespaces too, in addition to the default selection (exact names).
    type: list
    elements: str
    default: []
  like:
    description:
      - "Per namespace, the workload whose pod template the probe pod copies, as C(KIND/NAME), e.g.
        C({shop: deployment/web}). Kinds: deployment, statefulset, daemonset, replicaset, job, cronjob (and
        kubectl's short names). A namespace named here is probed."
      - Without it the namespace's most common injection decision among its workload templates wins, and within it
        the first workload by kind and name; a namespace without workloads gets a pause pod that meets the
        C(restricted) Pod Security level.
    type: dict
    default: {}
  timeout:
    description:
      - Total seconds for all probe pods. A namespace not answered by then is C(skipped) with class C(timeout).
    type: int
    default: 60
  concurrency:
    description:
      - How many dry-run pod creates are in flight at once.
    type: int
    default: 4
  cluster_name:
    description:
      - Name of the cluster in the result, usually C(inventory_hostname).
    type: str
  limit:
    description:
      - Page size of the LIST requests that read the cluster before probing.
    type: int
    default: 500
  retries:
    description:
      - How many times a read is retried on HTTP 429, 5xx or a reset connection (pod creates are retried on 429 only).
    type: int
    default: 5
  report_path:
    description:
      - Write the result (cluster, summary, results, findings) as JSON to this file. Not written in check mode.
    type: path
  diagnosis_report:
    description:
      - An injection_diagnose report (its O(meshops.sidecar_injection.injection_diagnose#module:report_path)) to feed
        the probe into - the probe's findings join the report's (the earlier probe's are replaced; the summary's
        C(severities), C(at_or_above) and C(codes) are recounted) and its summary and results go under C(probe), so
        the fleet reports and the gate read them. Not written in check mode.
    type: path
requirements:
  - kubernetes >= 24.2.0
notes:
  - "Inventory hosts are clusters; run with C(connection: local)."
  - "RBAC: what injection_diagnose reads, plus C(create) on C(pods) and C(configmaps) and C(get) on them in the
    probed namespaces (a dry run needs the same permissions as the real write)."
seealso:
  - module: meshops.sidecar_injection.injection_diagnose
"""

EXAMPLES = r"""
- name: Probe every namespace that wants a sidecar
  meshops.sidecar_injection.injection_probe:
    context: prod-eu
    cluster_name: "{{ inventory_hostname }}"
  register: probe

- name: Probe shop like its web Deployment, and prove payments is not injected
  meshops.sidecar_injection.injection_probe:
    like:
      shop: deployment/web
    namespaces: [payments]
    timeout: 30
  register: probe
  failed_when: probe.results | selectattr('outcome', 'ne', 'injected') | list | length > 0
"""

RETURN = r"""
cluster:
  description: The cluster probed.
  returned: always
  type: dict
  sample: {"name": "prod-eu", "source": "live", "server": "https://10.0.0.1:443", "context": "prod-eu"}
summary:
  description: Counts of the run.
  returned: always
  type: dict
  contains:
    namespaces:
      description: Namespaces probed (or skipped).
      type: int
    outcomes:
      description: Results per outcome.
      type: dict
      sample: {"injected": 3, "admitted_without_sidecar": 0, "rejected": 1, "skipped": 0}
    disagreements:
      description: Results that contradict the static C(next_pod) (C(SI309)).
      type: int
    dry_run_check:
      description: How the server's dry-run support was verified.
      type: str
    requests:
      description: API requests made (reads included).
      type: int
    duration_seconds:
      description: Wall time of the run.
      type: float
results:
  description: One entry per namespace, sorted by namespace.
  returned: always
  type: list
  elements: dict
  contains:
    namespace:
      description: The namespace.
      type: str
    outcome:
      description: What the API server did with the probe pod - C(injected), C(admitted_without_sidecar), C(rejected) or C(skipped).
      type: str
    reason_class:
      description:
        - For C(rejected), the class of the error (C(timeout), C(x509-unknown-authority), C(x509-expired),
          C(no-endpoints), C(pod-security), C(quota-exceeded), C(webhook-denied), ...); for C(skipped), why
          (C(forbidden), C(timeout), C(not-found), C(connection)). Empty otherwise.
      type: str
    message:
      description: The API server's exact words (empty when a pod came back).
      type: str
    webhook:
      description: The webhook the error names (empty otherwise).
      type: str
    proxy:
      description: The proxy of the returned pod (mesh, container, image, version, revision), or null.
      type: dict
    agrees_with_model:
      description:
        - Whether the answer agrees with the static C(next_pod) of the workload the probe pod mimics (the
          injector decision alone for a plain pod); null when the answer cannot tell.
      type: bool
    model:
      description:
        - The model's side. The injector decision for the probe pod (should_inject, mesh, webhook, revision,
          reasons), and the mimicked workload's answer from the diagnosis of the same snapshot - workload
          (C(Kind namespace/name)), next_pod (outcome, webhook, failure_policy) and blocked_by (code, slug,
          stage of each blocking finding, root cause first); next_pod is null and blocked_by empty for a
          plain pod.
      type: dict
    like:
      description: What the probe pod was shaped like.
      type: str
      sample: Deployment shop/web
    selected_because:
      description: Why the namespace was probed.
      type: str
    status:
      description: The HTTP status of the answer (201 for a returned pod).
      type: int
    containers:
      description: Container names of the returned pod.
      type: list
      elements: str
    init_containers:
      description: Init container names of the returned pod.
      type: list
      elements: str
    seconds:
      description: Seconds from the start of probing until this namespace's answer.
      type: float
  sample:
    - {"namespace": "demo", "outcome": "rejected", "reason_class": "x509-unknown-authority",
       "message": "Internal error occurred: failed calling webhook ...", "webhook": "namespace.sidecar-injector.istio.io",
       "proxy": null, "agrees_with_model": false, "like": "Deployment demo/web"}
findings:
  description: C(SI308), C(SI309) and C(SI801) findings, worst first, in the format of injection_diagnose.
  returned: always
  type: list
  elements: dict
summary_lines:
  description: A short human-readable summary.
  returned: always
  type: list
  elements: str
report_path:
  description: Where the JSON was written.
  returned: when O(report_path) is set and not in check mode
  type: str
diagnosis_report:
  description: The diagnosis report the probe was fed into.
  returned: when O(diagnosis_report) is set and not in check mode
  type: str
diagnosis_summary:
  description:
    - The fed report's summary with the probe's findings counted (what a gate such as
      M(meshops.sidecar_injection.injection_gate) reads from the registered diagnosis).
  returned: when O(diagnosis_report) is set and not in check mode
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.probe import (
    PROBE_ARGUMENT_SPEC,
    ProbeError,
    run,
)


def main():
    module = AnsibleModule(argument_spec=PROBE_ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module.params, warn=module.warn, log=module.log, check_mode=module.check_mode)
    except ProbeError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
