# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""select_findings: remediate_select's JMESPath over a diagnosis report."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.meshops.sidecar_injection.plugins.filter.selection import select_findings

# a requirement of the collection (requirements.txt), absent from ansible-test's units environment
pytest.importorskip("jmespath")

REPORT = {
    "summary": {"severities": {"error": 1, "warning": 1}},
    "findings": [
        {"code": "SI102", "severity": "warning", "kind": "Namespace", "namespace": "", "name": "shop"},
        {"code": "SI304", "severity": "error", "kind": "NetworkPolicy", "namespace": "istio-system", "name": "deny"},
    ],
}


def test_expression_selects_findings():
    assert [f["code"] for f in select_findings(REPORT, "findings[?severity=='error']")] == ["SI304"]
    assert [f["code"] for f in select_findings(REPORT, "findings[?name=='shop'] | [0]")] == ["SI102"]
    assert select_findings(REPORT, "findings[?code=='SI999']") == []
    assert [f["code"] for f in select_findings(REPORT, "")] == ["SI102", "SI304"]


def test_bad_expressions_are_named():
    with pytest.raises(
        AnsibleFilterError, match=r"^remediate_select 'findings\[\?' is not a valid JMESPath expression: "
    ):
        select_findings(REPORT, "findings[?")
    with pytest.raises(AnsibleFilterError) as caught:
        select_findings(REPORT, "summary.severities")
    assert str(caught.value) == (
        "remediate_select 'summary.severities' must select findings (dicts with a code), e.g. "
        "findings[?severity=='error']; got [{'error': 1, 'warning': 1}]"
    )
