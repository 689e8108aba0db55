# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for working with findings (the dicts injection_diagnose returns) in playbooks."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import SEVERITIES, severity_rank


def _check(finding, name):
    if not isinstance(finding, dict) or "code" not in finding:
        raise AnsibleFilterError("%s expects a finding (a dict with a 'code'), got %r" % (name, finding))
    return finding


def finding_key(finding):
    """`CODE Kind namespace/name`: one finding's identity, for comparing runs and reports."""
    finding = _check(finding, "finding_key")
    namespace, name = finding.get("namespace"), finding.get("name")
    where = "%s/%s" % (namespace, name) if namespace else name
    return "%s %s %s" % (finding["code"], finding.get("kind") or "-", where or "-")


def findings_at_least(findings, severity):
    """The findings of `severity` or worse (info, warning, error)."""
    if severity not in SEVERITIES:
        raise AnsibleFilterError("findings_at_least: unknown severity %r, expected one of %s" % (severity, SEVERITIES))
    floor = severity_rank(severity)
    return [f for f in findings if severity_rank(_check(f, "findings_at_least").get("severity", "info")) >= floor]


def findings_by_action(findings, action):
    """The findings whose remediation action is `action` (e.g. label_namespace, restart_workload)."""
    return [f for f in findings if (_check(f, "findings_by_action").get("remediation") or {}).get("action") == action]


class FilterModule:
    def filters(self):
        return {
            "finding_key": finding_key,
            "findings_at_least": findings_at_least,
            "findings_by_action": findings_by_action,
        }
