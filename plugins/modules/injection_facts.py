#!/usr/bin/python
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: injection_facts
short_description: Gather the sidecar-injection state of a Kubernetes cluster, live or from files
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - Reads what Istio and Linkerd sidecar injection depends on into one snapshot - namespaces, pods and
    the workloads that own them, Warning and C(InjectionSkipped) events, admission webhook
    configurations, nodes (metadata and C(nodeInfo)), quotas and limit ranges, cluster RBAC, the server
    version, and in the mesh control-plane namespaces the services, endpoints, endpoint slices, mesh
    ConfigMaps, NetworkPolicies, RBAC and the certificate Secrets the certificate checks need.
  - Live mode uses the same authentication options, environment variables and precedence as the
    C(kubernetes.core) modules. It makes a fixed set of paginated LIST requests plus one page per
    O(limit) objects, never one request per pod or per namespace.
  - Offline mode (O(src)) reads the same state from YAML or JSON files, or from a bundle written with
    O(dest), and produces the same snapshot for the same cluster state.
  - Secrets are reduced to their public certificates as soon as they are read; private keys are never
    returned, logged or written.
  - A kind the identity may not read (HTTP 403), one whose read still fails after O(retries), or one
    not read when O(deadline) ran out becomes a coverage gap naming the checks it disables, and
    gathering goes on; a 403 on one control-plane namespace or one certificate Secret is a gap for
    that part only. An unreachable API server, bad credentials, a TLS failure, or no kind readable at
    all fail the task with one message naming the server.
  - Returns a summary (and with O(return_snapshot) the snapshot); it sets no facts.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - meshops.sidecar_injection.live_read
  - meshops.sidecar_injection.input_limits
options:
  manifests:
    description:
      - Rendered manifests (files or directories of YAML or JSON, e.g. C(helm template) or C(kustomize build)
        output) laid over the cluster or the O(src) snapshot, as C(istioctl analyze) merges local files with the
        live cluster. Each object replaces the one of the same kind, namespace and name, or is added; a namespaced
        object without a namespace goes to C(default).
      - The snapshot then holds the cluster as it would be once they are applied.
    type: list
    elements: path
    default: []
  src:
    description:
      - Read an offline snapshot instead of a live cluster. A file or a directory (read recursively, in
        sorted order, hidden entries skipped) of C(.yaml), C(.yml) or C(.json) files holding single or
        multi-document YAML, C(kind=List) or C(<Kind>List) documents (C(kubectl get -o yaml|json)
        output), C(kubectl version -o json|yaml) output for the server version, or a bundle written
        with O(dest).
      - Objects of unknown kinds are ignored. Kinds that do not appear at all are reported as coverage
        gaps with reason C(absent); an empty C(<Kind>List), or a file named after the kind (for example
        C(cronjobs.yaml) holding an empty C(items) list), marks the kind as read and empty.
      - When set, the authentication options are not used.
    type: path
  dest:
    description:
      - Write the snapshot to this file as a bundle (gzip-compressed JSON with a format header) that
        O(src) reads back identically. The file is written atomically with mode C(0600).
      - The task reports C(changed) only when the cluster state in the bundle differs from the file
        already there; the time of gathering and the request count alone do not count as a change.
      - In check mode nothing is written; RV(bundle) says what would happen.
    type: path
  limit:
    description:
      - Page size of the paginated LIST requests (objects per request).
    type: int
    default: 500
  namespaces:
    description:
      - Only keep namespaced objects, and namespaces, whose namespace matches one of these names or
        shell-style patterns (V(team-*)). Empty means every namespace.
      - The mesh control-plane namespaces are always kept.
    type: list
    elements: str
    default: []
  exclude_namespaces:
    description:
      - Leave out namespaced objects, and namespaces, whose namespace matches one of these names or
        shell-style patterns. Applied after O(namespaces); the mesh control-plane namespaces are always
        kept.
    type: list
    elements: str
    default: []
  control_plane_namespaces:
    description:
      - Extra namespaces to read as mesh control-plane namespaces, in addition to those found
        automatically (the namespaces of the services that pod-mutating webhooks call, and of C(istiod*)
        and C(linkerd-*) Deployments). Services, endpoints, ConfigMaps, NetworkPolicies, RBAC and the
        certificate Secrets of both meshes are read there.
    type: list
    elements: str
    default: []
  return_snapshot:
    description:
      - Also return the snapshot itself as RV(snapshot). It can be large on big clusters; prefer O(dest).
    type: bool
    default: false
requirements:
  - kubernetes >= 24.2.0 (live mode)
  - PyYAML (offline mode)
notes:
  - "Inventory hosts are usually clusters; run with C(connection: local)."
  - Check mode is supported; gathering only reads, and O(dest) is not written in check mode.
  - See C(docs/modules/injection_facts.md) for the request plan and the fields kept per kind.
seealso:
  - module: meshops.sidecar_injection.injection_diagnose
  - module: kubernetes.core.k8s_info
"""

EXAMPLES = r"""
- name: Summarise the cluster of a kubeconfig context
  meshops.sidecar_injection.injection_facts:
    kubeconfig: ~/.kube/config
    context: prod-eu
  register: facts

- name: Save a bundle a support engineer can diagnose offline
  meshops.sidecar_injection.injection_facts:
    context: prod-eu
    dest: "bundles/{{ inventory_hostname }}.json.gz"
    exclude_namespaces: ["sandbox-*"]

- name: Read a kubectl dump and return the snapshot
  meshops.sidecar_injection.injection_facts:
    src: dumps/prod-eu/
    return_snapshot: true
  register: offline

- name: Gather with a token, smaller pages and more retries
  meshops.sidecar_injection.injection_facts:
    host: https://api.cluster.example:6443
    api_key: "{{ cluster_token }}"
    ca_cert: files/cluster-ca.pem
    limit: 250
    retries: 8
"""

RETURN = r"""
summary:
  description: What was read.
  returned: always
  type: dict
  contains:
    cluster:
      description: Where the snapshot came from (C(name), C(source) live or offline, C(server), C(context), C(path)).
      type: dict
      sample: {"name": "prod-eu", "source": "live", "server": "https://10.0.0.1:443", "context": "prod-eu", "path": null}
    kubernetes_version:
      description: The API server's C(gitVersion), when known.
      type: str
      sample: v1.31.4
    platform:
      description: The detected platform (EKS, GKE, AKS, OpenShift, self-managed) with its evidence.
      type: dict
      sample: {"name": "eks"}
    meshes:
      description: Meshes found, with version, control-plane namespace, revisions, tags and injector webhooks.
      type: list
      elements: dict
      sample: [{"mesh": "istio", "version": "1.22.3", "namespace": "istio-system", "revisions": [], "tags": {"default": "1-22"}}]
    counts:
      description: Objects kept per kind (kinds that could not be read are absent).
      type: dict
      sample: {"namespaces": 42, "pods": 1380, "events": 17}
    gaps:
      description: Kinds that could not be read, why (C(forbidden), C(error), C(absent)) and the finding codes whose checks they disable.
      type: list
      elements: dict
      sample: [{"resource": "secrets", "reason": "forbidden", "checks": ["SI404", "SI405", "SI406", "SI407"],
                "message": "secrets \"cacerts\" is forbidden: User \"ci\" cannot get resource \"secrets\" in the namespace \"istio-system\""}]
    control_plane_namespaces:
      description: The mesh control-plane namespaces that were read.
      type: list
      elements: str
      sample: ["istio-system"]
    requests:
      description: API requests made, retries included (0 offline).
      type: int
      sample: 31
    gathered_at:
      description: When live gathering started (UTC), or when the bundle read was gathered; null for file dumps.
      type: str
      sample: "2026-11-26T03:41:43Z"
    duration_seconds:
      description: Wall time of this task's gathering or loading.
      type: float
      sample: 1.84
    files:
      description: Files read (offline mode).
      type: int
      sample: 12
    unknown_kinds:
      description: Objects of kinds the snapshot does not use, per kind (offline mode).
      type: dict
      sample: {"ServiceAccount": 4}
bundle:
  description: What happened to O(dest).
  returned: when O(dest) is set
  type: dict
  contains:
    path:
      description: The bundle file.
      type: str
    changed:
      description: Whether the content differs from the file that was there.
      type: bool
    written:
      description: Whether the file was written (false in check mode and when unchanged).
      type: bool
    content_sha256:
      description: SHA-256 of the bundle's canonical content.
      type: str
    size:
      description: Size in bytes of the compressed bundle (written, or that would be written).
      type: int
snapshot:
  description: The snapshot (schema 1; see C(plugins/module_utils/core/schema.py) and C(projection.py)).
  returned: when O(return_snapshot=true)
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import facts
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import offline as offline_loader


def main():
    module = AnsibleModule(argument_spec=facts.FACTS_ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    if params.get("src"):
        if not offline_loader.HAS_YAML:
            module.fail_json(msg=missing_required_lib("PyYAML"))
    elif not kube_client.HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=kube_client.KUBERNETES_IMPORT_ERROR)
    try:
        result = facts.run(params, check_mode=module.check_mode, warn=module.warn, debug=module.debug)
    except facts.FactsError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
