# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every rule the diagnosis runs, in report order. One line per rule: add yours to the list.

Kept as a plain explicit list (no discovery magic) so a reader sees exactly what runs, and so
several authors can each add their lines without touching each other's modules.
"""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import (
    admission,
    dataplane,
    reachability,
    selection,
    webhooks,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import certificates as cert_rules
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import platform as platform_rules
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import selection_injectors as injectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import selection_markers as markers

RULES = [
    # SI1xx selection (rules/selection.py, rules/markers.py, rules/injectors.py)
    selection.namespace_not_enabled,
    selection.namespace_conflicting_labels,
    selection.revision_not_found,
    markers.inject_marker_wrong_type,
    markers.inject_marker_wrong_object,
    markers.inject_marker_invalid_value,
    markers.pod_opted_out,
    selection.namespace_excluded,
    injectors.hostnetwork_not_injected,
    injectors.injector_policy_excludes,
    injectors.multiple_injectors,
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
    # SI3xx reachability (rules/reachability.py; SI305 in rules/platform_rules.py)
    reachability.injector_unavailable,
    reachability.injector_no_endpoints,
    reachability.webhook_call_failed,
    reachability.networkpolicy_blocks_webhook,
    platform_rules.control_plane_firewall,
    reachability.webhook_port_mismatch,
    reachability.injection_denied,
    # SI4xx certificates (rules/cert_rules.py)
    cert_rules.cabundle_missing,
    cert_rules.cabundle_validity,
    cert_rules.cabundle_mismatch,
    cert_rules.serving_certificate,
    cert_rules.mesh_ca_expiring,
    # SI5xx admission policy (rules/admission.py)
    admission.pod_security_blocks_init,
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
    # SI7xx platform and versions (rules/platform_rules.py)
    platform_rules.kubernetes_version_unsupported,
    platform_rules.native_sidecar_unsupported,
    platform_rules.apiserver_proxy_env,
]


def codes():
    """Every code some registered rule may emit."""
    return sorted({code for item in RULES for code in item.codes})
