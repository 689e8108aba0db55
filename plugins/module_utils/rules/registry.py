# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every rule the diagnosis runs, in report order. One line per rule: add yours to the list.

Kept as a plain explicit list (no discovery magic) so a reader sees exactly what runs, and so
several authors can each add their lines without touching each other's modules.
"""

from __future__ import annotations

from typing import Dict, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import (
    admission,
    certificates,
    coverage,
    dataplane,
    platform,
    podsecuritypolicy,
    probe_outcomes,
    reachability,
    selection,
    selection_injectors,
    selection_markers,
    webhooks,
)

RULES = [
    # SI1xx selection (rules/selection.py, rules/selection_markers.py, rules/selection_injectors.py)
    selection.namespace_not_enabled,
    selection.namespace_conflicting_labels,
    selection.revision_not_found,
    selection_markers.inject_marker_wrong_type,
    selection_markers.inject_marker_wrong_object,
    selection_markers.inject_marker_invalid_value,
    selection_markers.pod_opted_out,
    selection.namespace_excluded,
    selection_injectors.hostnetwork_not_injected,
    selection_injectors.injector_policy_excludes,
    selection_injectors.multiple_injectors,
    # SI2xx webhook configuration (rules/webhooks.py)
    webhooks.webhook_missing,
    webhooks.webhook_service_missing,
    webhooks.webhook_fail_open,
    webhooks.webhook_timeout_low,
    webhooks.webhook_rules_exclude_pods,
    webhooks.webhook_selector_modified,
    webhooks.webhook_ordering_conflict,
    webhooks.admission_plugin_disabled,
    webhooks.injector_bootstrap_deadlock,
    webhooks.webhook_revision_orphaned,
    # SI3xx reachability (rules/reachability.py; SI305 in rules/platform.py)
    reachability.injector_unavailable,
    reachability.injector_no_endpoints,
    reachability.webhook_call_failed,
    reachability.networkpolicy_blocks_webhook,
    platform.control_plane_firewall,
    reachability.webhook_port_mismatch,
    reachability.injection_denied,
    # SI4xx certificates (rules/certificates.py)
    certificates.cabundle_missing,
    certificates.cabundle_validity,
    certificates.cabundle_mismatch,
    certificates.serving_certificate,
    certificates.mesh_ca_expiring,
    # SI5xx admission policy (rules/admission.py)
    admission.pod_security_blocks_init,
    podsecuritypolicy.psp_refuses_init,
    admission.quota_blocks_proxy,
    admission.limitrange_blocks_proxy,
    admission.injector_rbac_missing,
    admission.policy_engine_denies,
    # SI6xx data plane (rules/dataplane.py)
    dataplane.init_container_failing,
    dataplane.cni_validation_failing,
    dataplane.proxy_not_ready,
    dataplane.pod_predates_injection,
    dataplane.proxy_version_skew,
    dataplane.job_sidecar_blocks_completion,
    # SI7xx platform and versions (rules/platform.py)
    platform.kubernetes_version_unsupported,
    platform.native_sidecar_unsupported,
    platform.apiserver_proxy_env,
]

# Rules over the dry-run probe's answers (requires "probe"): run by injection_probe after probing, not
# by every diagnosis (the probe is opt-in, so a diagnosis does not list them as skipped).
PROBE_RULES = [
    probe_outcomes.probe_not_injected,
    probe_outcomes.probe_disagrees_with_model,
    probe_outcomes.probe_forbidden,
]


def codes() -> List[str]:
    """Every code some registered rule may emit."""
    return sorted({code for item in RULES for code in item.codes})


def skipped_without(name: str) -> List[str]:
    """Codes whose checks cannot run without this snapshot kind or capability."""
    return sorted({code for item in RULES if name in item.inputs for code in item.codes})


def narrowed_without(name: str) -> List[str]:
    """Codes whose checks run, narrowed, without it (and are not skipped for it)."""
    skipped = set(skipped_without(name))
    return sorted({code for item in RULES if name in item.uses for code in item.codes} - skipped)


def implementations() -> Dict[str, List[str]]:
    """code -> the functions that emit it, as "rules/selection.py:namespace_not_enabled"."""
    out: Dict[str, List[str]] = {}
    for item in RULES + PROBE_RULES:
        for code in item.codes:
            out.setdefault(code, []).append(item.implemented_by)
    for code, where in coverage.IMPLEMENTED_BY.items():
        out.setdefault(code, []).append(where)
    return out
