"""The findings filters: identities, severity floors and action selection, and their errors."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.meshops.sidecar_injection.plugins.filter.findings import (
    finding_key,
    findings_at_least,
    findings_by_action,
)

NS = {
    "code": "SI101",
    "kind": "Namespace",
    "namespace": "",
    "name": "shop",
    "severity": "warning",
    "remediation": {"action": "label_namespace", "steps": []},
}
POD = {
    "code": "SI604",
    "kind": "Deployment",
    "namespace": "shop",
    "name": "web",
    "severity": "warning",
    "remediation": {"action": "restart_workload", "steps": []},
}
ERR = {
    "code": "SI303",
    "kind": "ReplicaSet",
    "namespace": "shop",
    "name": "web-1",
    "severity": "error",
    "remediation": {"action": "manual", "steps": []},
}
INFO = {
    "code": "SI109",
    "kind": "Pod",
    "namespace": "mon",
    "name": "node-exporter-x",
    "severity": "info",
    "remediation": {"action": "manual", "steps": []},
}


def test_finding_key_names_code_kind_and_object():
    assert finding_key(NS) == "SI101 Namespace shop"
    assert finding_key(POD) == "SI604 Deployment shop/web"
    assert finding_key({"code": "SI802"}) == "SI802 - -"


def test_findings_at_least_keeps_the_floor_and_worse_in_order():
    findings = [INFO, NS, ERR, POD]
    assert findings_at_least(findings, "warning") == [NS, ERR, POD]
    assert findings_at_least(findings, "error") == [ERR]
    assert findings_at_least(findings, "info") == findings


def test_findings_by_action_selects_the_remediation():
    assert findings_by_action([NS, POD, ERR], "restart_workload") == [POD]


def test_bad_input_is_named_in_the_error():
    with pytest.raises(AnsibleFilterError, match="unknown severity 'fatal'"):
        findings_at_least([NS], "fatal")
    with pytest.raises(AnsibleFilterError, match="finding_key expects a finding"):
        finding_key("SI101")
