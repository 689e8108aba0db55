#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: webhook_ca
short_description: Re-sync injector webhook caBundles and rotate the Linkerd proxy-injector certificate, safely
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - Executes the C(resync_ca) and C(rotate_cert) plans of the given O(findings).
  - C(resync_ca) (SI401-SI404, SI210) - every webhook's C(caBundle) is set from the plan's source, the mesh root
    (ConfigMap C(istio-ca-root-cert), Secret C(cacerts) or C(istio-ca-secret)) or the injector's serving Secret,
    together with the plan's other field edits (SI210 relabels an orphaned revision configuration so istiod keeps
    it current).
  - C(rotate_cert) (SI405, SI406) - a new CA and a serving certificate for the plan's hosts
    (C(linkerd-proxy-injector.linkerd.svc)) are made with C(cryptography) and written in an order under which the
    bundle always trusts the certificate served - caBundle set to the old bundle plus the new CA, then the Secret,
    then the injector Deployment restarted and rolled out, then the caBundle pruned to the new CA. Needs
    O(allow_rotation). A certificate already valid beyond O(renew_days), for the hosts, trusted by the bundle is
    left alone.
  - With O(restart_istiod), Istio webhooks that fail with x509 errors (SI303) are handed back to istiod by a
    rollout restart instead.
  - A configuration annotated C(cert-manager.io/inject-ca-from) has its bundle written by cert-manager's
    cainjector; its plans are not executed and RV(owned) names the Certificate to fix instead.
  - Key material is never returned or logged - certificates are reported by SHA-256 fingerprint (RV(certificates)),
    and the diff of the Secret shows fingerprints only. The backup of the Secret holds its old key (mode C(0600)),
    so that M(meshops.sidecar_injection.rollback) can restore it.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - meshops.sidecar_injection.remediation
options:
  allow_rotation:
    description: Allow C(rotate_cert) plans (a new serving certificate and an injector restart).
    type: bool
    default: false
  cert_days:
    description: Validity of a new serving certificate, in days.
    type: int
    default: 365
  renew_days:
    description: A serving certificate valid for fewer days than this is rotated.
    type: int
    default: 30
  restart_istiod:
    description:
      - Have istiod re-patch its webhooks - for each given SI303 finding with an x509 failure
        (unknown authority, expired, wrong name) calling an Istio webhook, rollout-restart the istiod of the
        configuration's C(istio.io/rev) revision (Deployment C(istiod) or C(istiod-<rev>) in the webhook Service's
        namespace) and wait for it. A new istiod serves a fresh certificate from its CA and writes that CA into the
        caBundle of the revision's configurations.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for the restarted injector to roll out.
    type: int
    default: 300
requirements:
  - kubernetes >= 24.2.0
  - cryptography
  - PyYAML (backups)
seealso:
  - module: meshops.sidecar_injection.injection_diagnose
  - module: meshops.sidecar_injection.rollback
"""

EXAMPLES = r"""
- name: Rotate Linkerd's expired proxy-injector certificate and re-sync wrong bundles
  meshops.sidecar_injection.webhook_ca:
    findings: "{{ diagnosis.findings | selectattr('code', 'in', ['SI402', 'SI404', 'SI405', 'SI406']) }}"
    allow_rotation: true
    backup_dir: "backups/{{ inventory_hostname }}"
  register: certs

- name: The new certificate
  ansible.builtin.debug:
    msg: "{{ item.secret.name }}: sha256 {{ item.fingerprint_sha256 }} until {{ item.not_after }}"
  loop: "{{ certs.certificates }}"
"""

RETURN = r"""
changed:
  description: Whether an object was changed (in check mode, would be).
  returned: always
  type: bool
plan:
  description: One entry per object or rotation with C(object), C(status) (unchanged, would_change, applied,
    failed), C(edits) for re-synced bundles, C(order) (the rotation's steps), C(hosts), C(injectors).
  returned: always
  type: list
  elements: dict
backups:
  description: C(dir), the backup C(files) written by this run and the C(manifest) name.
  returned: always
  type: dict
changed_objects:
  description: The objects changed (in check mode, that would be).
  returned: always
  type: list
  elements: dict
verification:
  description: After a change - C(objects) re-read (the injector rolled out, the pruned bundle), C(findings)
    re-diagnosed (C(code), C(object), C(gone)), C(ok).
  returned: always
  type: dict
certificates:
  description: Each new certificate - C(secret), C(hosts), C(not_after), C(fingerprint_sha256),
    C(ca_fingerprint_sha256). Never the key.
  returned: always
  type: list
  elements: dict
owned:
  description: Bundles cert-manager's cainjector writes - C(object), C(owner), C(source) (the annotation),
    C(fix) (the Certificate to repair), C(certificate_ready).
  returned: always
  type: list
  elements: dict
not_executed:
  description: Findings or operations this module does not execute, with why.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import certs
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import webhook_ca
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import execute


def main():
    module = AnsibleModule(argument_spec=webhook_ca.ARGUMENT_SPEC, supports_check_mode=True)
    execute(module, webhook_ca.run, libraries=[(certs.HAS_CRYPTOGRAPHY, "cryptography")])


if __name__ == "__main__":
    main()
