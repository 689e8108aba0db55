"""What `linkerd inject` prints for a stream of manifests, built on the collection's Linkerd decision.

Test-only: it exists so the conformance suites can compare with upstream's own output; nothing
shipped needs it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.linkerd import (
    REASONS,
    automount_blocks,
    has_existing_sidecar,
    has_udp_ports,
    injectable,
    reason_texts,
    uninject,
)


def cli_errors(spec: Mapping[str, Any], token_projection: bool = True) -> List[str]:
    """`linkerd inject` hard errors (ThrowInjectError order), raised only when not injectable."""
    spec = uninject(spec)
    errors = []
    if automount_blocks(spec, token_projection, origin="cli"):
        errors.append(REASONS["disabled_automount_service_account_token_account"])
    if spec.get("hostNetwork") is True:
        errors.append(REASONS["host_network_enabled"])
    if has_existing_sidecar(spec):
        errors.append(REASONS["sidecar_already_exists"])
    if has_udp_ports(spec):
        errors.append(REASONS["udp_ports_enabled"])
    return errors


def skipped_event_message(ids: List[str]) -> str:
    """The InjectionSkipped event message Linkerd records on the owner."""
    return "Linkerd sidecar proxy injection skipped: %s" % ", ".join(reason_texts(ids))


# ---------------------------------------------------------------------------------------------
# `linkerd inject` (CLI origin): what it reports for a stream of manifests

TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


def _pod_parts(doc: Mapping[str, Any]) -> Optional[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """(pod metadata, pod spec) of a workload or Pod document, None for kinds without a pod template."""
    kind = doc.get("kind")
    if kind == "Pod":
        return dict(doc.get("metadata") or {}), dict(doc.get("spec") or {})
    path = TEMPLATE_PATHS.get(kind or "")
    if path is None:
        return None
    node: Any = doc
    for key in path:
        node = (node or {}).get(key) or {}
    return dict(node.get("metadata") or {}), dict(node.get("spec") or {})


def cli_inject(
    docs: List[Optional[Mapping[str, Any]]], token_projection: bool = True, manual: bool = True
) -> Dict[str, Any]:
    """The outcome `linkerd inject [--manual]` reports for these YAML documents:
    {"lines": ['deployment "web" injected', ...], "warnings": [...], "error": str | None}.
    Lines use upstream's report strings; `error` is the text after "Error transforming resources:"."""
    lines: List[str] = []
    warnings: List[str] = []
    errors: List[str] = []
    flat: List[Optional[Mapping[str, Any]]] = []
    for doc in docs:
        if doc and doc.get("kind") == "List":
            flat.extend(doc.get("items") or [])
        else:
            flat.append(doc)
    for doc in flat:
        if not doc or not doc.get("kind"):
            lines.append('document missing "kind" field, skipped')
            continue
        kind = str(doc["kind"]).lower()
        name = (doc.get("metadata") or {}).get("name") or ""
        if "linkerd.io/control-plane-component" in ((doc.get("metadata") or {}).get("labels") or {}) and not manual:
            return {
                "lines": [],
                "warnings": [],
                "error": "--manual must be set when injecting control plane components",
            }
        if doc["kind"] == "Namespace":
            lines.append('%s "%s" annotated' % (kind, name))
            continue
        parts = _pod_parts(doc)
        if parts is None:
            lines.append('%s "%s" skipped' % (kind, name))
            continue
        pod_meta, spec = parts
        ok, ids = injectable(
            {}, pod_meta.get("annotations") or {}, spec, origin="cli", token_projection=token_projection
        )
        resource = "%s/%s" % (kind, name)
        clean = uninject(spec)
        if "host_network_enabled" in ids:
            warnings.append('"hostNetwork: true" detected in %s' % resource)
        if "sidecar_already_exists" in ids:
            warnings.append("known 3rd party sidecar detected in %s" % resource)
        if "injection_disable_annotation_present" in ids:
            warnings.append('"linkerd.io/inject: disabled" annotation set on %s' % resource)
        if has_udp_ports(clean):
            warnings.append('%s uses "protocol: UDP"' % resource)
        if not ok:
            failures = cli_errors(spec, token_projection)  # ThrowInjectError: only for non-injectable ones
            if failures:
                errors.append("failed to inject %s: %s" % (resource, ", ".join(failures)))
                continue
        lines.append('%s "%s" %s' % (kind, name, "injected" if ok else "skipped"))
    if errors:
        return {"lines": [], "warnings": warnings, "error": "\n".join(errors)}
    return {"lines": lines, "warnings": warnings, "error": None}


def split_documents(text: str) -> List[str]:
    """YAML documents as `linkerd inject` reads them (Kubernetes' YAMLReader): the text between
    `---` lines; an empty chunk is dropped, a blank one is a document without "kind"."""
    chunks: List[str] = []
    current: List[str] = []
    for line in text.splitlines(True):
        if line.rstrip() == "---":
            if current:
                chunks.append("".join(current))
            current = []
        else:
            current.append(line)
    if current:
        chunks.append("".join(current))
    return chunks
