# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""select_findings: a JMESPath expression over a diagnosis report choosing the findings to act on
(`remediate_select` of playbooks/remediate.yml), with the jmespath library json_query uses."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

try:
    import jmespath

    HAS_JMESPATH = True
except ImportError:
    HAS_JMESPATH = False


def select_findings(report, expression):
    """The findings `expression` selects from `report` (an injection_diagnose result or report JSON)."""
    if not HAS_JMESPATH:
        raise AnsibleFilterError("select_findings needs the jmespath Python library (pip install jmespath)")
    if not expression:
        return list((report or {}).get("findings") or [])
    try:
        found = jmespath.search(expression, report)
    except jmespath.exceptions.JMESPathError as exc:
        message = "remediate_select %r is not a valid JMESPath expression: %s" % (expression, exc)
        raise AnsibleFilterError(message) from None
    if found is None:
        return []
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list) or not all(isinstance(f, dict) and "code" in f for f in found):
        raise AnsibleFilterError(
            "remediate_select %r must select findings (dicts with a code), e.g. findings[?severity=='error']; got %r"
            % (expression, found if not isinstance(found, list) else found[:1])
        )
    return found


class FilterModule:
    def filters(self):
        return {"select_findings": select_findings}
