# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verdicts: for every pod and pod template, the decision the real system makes, and why.

    verdicts = compute_verdicts(view, model)     # pods first, then workload templates
    verdict.as_dict() -> {kind, namespace, name, mesh, webhook, revision, should_inject,
                          injected, reasons}

Stage 1 (API server): every active injector webhook, in call order (MWC name, then list order),
is matched on its rules (CREATE v1 pods), namespaceSelector (namespace labels, with the automatic
kubernetes.io/metadata.name) and objectSelector (pod labels). Stage 2 (injector): Istio's
injectRequired with the ConfigMap of the revision the webhook forwards to; Linkerd's
Report.Injectable. Webhooks are applied in sequence, as admission does: a proxy added by one is
seen by the next (Linkerd then skips with sidecar_already_exists; a second istiod re-injects).

A running pod is judged as it was submitted: the containers an injector added (listed in
`sidecar.istio.io/status`, or Linkerd's when `linkerd.io/proxy-version` is set) are removed first.
Its actual state (`Verdict.proxy`) is read from the proxy container (containers or native-sidecar
initContainers) and the status annotations.

The decision depends only on the namespace, the pod's labels that some selector reads, the inject
annotations and a few spec bits, so it is memoised on that key: the pods of one workload share one
`Decision` object (see docs/verdicts.md for the reason vocabulary and docs/performance.md).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.constants import (
    ISTIO_INJECT,
    ISTIO_STATUS,
    LINKERD_INJECT,
    LINKERD_PROXY_VERSION,
    METADATA_NAME_LABEL,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    annotations as annotations_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    labels,
    meta,
    name_of,
    namespace_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision import istio as istio_decision
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision import linkerd as linkerd_decision
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import MeshModel, Webhook
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

LINKERD_VERSION = LINKERD_PROXY_VERSION
METADATA_NAME = METADATA_NAME_LABEL

# kind -> (resource, path to the pod template)
TEMPLATE_KINDS = (
    ("Deployment", "deployments", ("spec", "template")),
    ("StatefulSet", "statefulsets", ("spec", "template")),
    ("DaemonSet", "daemonsets", ("spec", "template")),
    ("Job", "jobs", ("spec", "template")),
    ("CronJob", "cronjobs", ("spec", "jobTemplate", "spec", "template")),
    ("ReplicaSet", "replicasets", ("spec", "template")),
)
FINISHED_PHASES = ("Succeeded", "Failed")


@dataclass(frozen=True)
class Call:
    """One webhook the API server calls for the pod and what its injector decides."""

    webhook: str
    mesh: str
    revision: str
    inject: bool
    ids: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """What a pod with these inputs gets; shared by all pods with the same memo key."""

    mesh: str = ""
    webhook: str = ""
    revision: str = ""
    should_inject: bool = False
    outcome: str = "not-selected"  # "inject" | "skipped" | "not-selected"
    reasons: Tuple[str, ...] = ()
    calls: Tuple[Call, ...] = ()
    skip_ids: Tuple[str, ...] = ()
    assumed: bool = False

    @property
    def matched(self) -> Tuple[str, ...]:
        return tuple(c.webhook for c in self.calls)

    @property
    def matched_meshes(self) -> Tuple[str, ...]:
        out: List[str] = []
        for call in self.calls:
            if call.mesh not in out:
                out.append(call.mesh)
        return tuple(out)


@dataclass(frozen=True)
class ProxyState:
    """The proxy a pod (or a manually injected template) actually carries."""

    mesh: str
    container: str
    image: str = ""
    native: bool = False
    revision: str = ""  # Istio: annotation istio.io/rev or the status annotation's revision
    version: str = ""  # Linkerd: linkerd.io/proxy-version; Istio: the image tag
    where: str = "containers"  # "containers" | "initContainers" | "annotation"

    def describe(self) -> str:
        text = "carries %s" % self.container
        if self.native:
            text += " as a native sidecar (initContainers, restartPolicy Always)"
        elif self.where == "annotation":
            text = "has the %s injection status annotation but no proxy container" % self.mesh
        if self.revision:
            text += ", revision %s" % self.revision
        if self.version:
            text += ", version %s" % self.version
        if self.image:
            text += " (image %s)" % self.image
        return text


class Verdict(object):
    """One pod or pod template. Decision fields are shared; the rest is per object."""

    __slots__ = ("control_plane", "decision", "kind", "name", "namespace", "obj", "owner", "phase", "proxy", "template")

    def __init__(
        self,
        kind: str,
        namespace: str,
        name: str,
        decision: Decision,
        obj: Dict[str, Any],
        template: bool,
        proxy: Optional[ProxyState] = None,
        owner: Optional[Tuple[str, str]] = None,
        phase: str = "",
        control_plane: bool = False,
    ) -> None:
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.decision = decision
        self.obj = obj
        self.template = template
        self.proxy = proxy
        self.owner = owner or (kind, name)  # top-level controller (kind, name); itself when none
        self.phase = phase
        self.control_plane = control_plane

    mesh = property(lambda self: self.decision.mesh)
    webhook = property(lambda self: self.decision.webhook)
    revision = property(lambda self: self.decision.revision)
    should_inject = property(lambda self: self.decision.should_inject)

    @property
    def injected(self) -> Optional[bool]:
        """For pods: a mesh proxy container is present. None for templates."""
        if self.template:
            return None
        return self.proxy is not None and self.proxy.where != "annotation"

    @property
    def reasons(self) -> List[str]:
        out = list(self.decision.reasons)
        if self.proxy is not None:
            out.append(("template " if self.template else "pod ") + self.proxy.describe())
        elif not self.template:
            out.append("pod carries no mesh proxy")
        return out

    @property
    def running(self) -> bool:
        return not self.template and self.phase not in FINISHED_PHASES

    def ref(self) -> str:
        return "%s %s/%s" % (self.kind, self.namespace, self.name)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "mesh": self.mesh,
            "webhook": self.webhook,
            "revision": self.revision,
            "should_inject": self.should_inject,
            "injected": self.injected,
            "reasons": self.reasons,
        }

    def __repr__(self):
        return "Verdict(%s, should_inject=%s, injected=%s)" % (self.ref(), self.should_inject, self.injected)


# ---------------------------------------------------------------------------------------------
# reading pods


def _dig(obj, path):
    for key in path:
        obj = (obj or {}).get(key)
    return obj or {}


def _status_annotation(annos: Dict[str, str]) -> Dict[str, Any]:
    raw = annos.get(ISTIO_STATUS)
    return _parse_status(raw) if raw else {}


@functools.lru_cache(maxsize=256)
def _parse_status(raw: str) -> Dict[str, Any]:
    """sidecar.istio.io/status JSON; the pods of a workload share one string, so parse it once.
    Callers must not modify the result."""
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def proxy_state(spec: Dict[str, Any], annos: Dict[str, str]) -> Optional[ProxyState]:
    """Which mesh proxy the pod spec carries (first match: Istio, then Linkerd)."""
    for mesh, container_name in (("istio", "istio-proxy"), ("linkerd", "linkerd-proxy")):
        found, where, native = None, "", False
        for key in ("containers", "initContainers"):
            for container in spec.get(key) or []:
                if container.get("name") == container_name:
                    found, where = container, key
                    native = key == "initContainers" and container.get("restartPolicy") == "Always"
                    break
            if found:
                break
        if mesh == "istio":
            status = _status_annotation(annos)
            revision = annos.get("istio.io/rev") or str(status.get("revision") or "")
            if found is not None:
                image = found.get("image") or ""
                return ProxyState(mesh, container_name, image, native, revision, _tag(image), where)
            if status:
                return ProxyState(mesh, container_name, "", False, revision, "", "annotation")
        else:
            version = annos.get(LINKERD_VERSION, "")
            if found is not None:
                image = found.get("image") or ""
                return ProxyState(mesh, container_name, image, native, "", version or _tag(image), where)
    return None


def _tag(image):
    last = (image or "").rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last and "@" not in last else ""


def submitted_spec(spec: Dict[str, Any], annos: Dict[str, str]) -> Dict[str, Any]:
    """The pod spec as it was before injectors mutated it: drop the containers an injector added."""
    status = _status_annotation(annos)
    drop_containers = set(status.get("containers") or []) if status else set()
    drop_init = set(status.get("initContainers") or []) if status else set()
    if LINKERD_VERSION in annos:
        drop_containers |= set(linkerd_decision.LINKERD_CONTAINERS)
        drop_init |= set(linkerd_decision.LINKERD_CONTAINERS)
    if not drop_containers and not drop_init:
        return spec
    out = dict(spec)
    out["containers"] = [c for c in spec.get("containers") or [] if c.get("name") not in drop_containers]
    out["initContainers"] = [c for c in spec.get("initContainers") or [] if c.get("name") not in drop_init]
    return out


def is_control_plane(obj_labels: Dict[str, str]) -> bool:
    """Mesh control-plane components: istiod, ztunnel, istio-cni, Linkerd's own deployments."""
    return (
        obj_labels.get("app") in ("istiod", "ztunnel", "istio-cni-node")
        or obj_labels.get("istio") == "pilot"
        or "linkerd.io/control-plane-component" in obj_labels
        or "linkerd.io/cni-resource" in obj_labels
    )


# ---------------------------------------------------------------------------------------------
# the decision


class Decider(object):
    """Computes and memoises decisions for one model."""

    def __init__(self, view: SnapshotView, model: MeshModel) -> None:
        self.view = view
        self.model = model
        self.injectors = model.injectors()
        self.keys = tuple(sorted(model.relevant_label_keys | {ISTIO_INJECT, LINKERD_INJECT}))
        self.linkerd_projection = model.linkerd.token_projection if model.linkerd else True
        # Linkerd looks for a proxy among initContainers (native sidecars) since edge-24.5.1 (2.16)
        key = model.linkerd.version_key() if model.linkerd else None
        self.linkerd_scan_init = key is None or key >= (24, 5, 1)
        self._ns: Dict[str, Tuple[Dict[str, str], Dict[str, str], bool]] = {}
        self._memo: Dict[tuple, Decision] = {}
        self._ns_hooks: Dict[str, List[Webhook]] = {}
        self._ns_linkerd: Dict[str, bool] = {}
        self.hits = 0

    def namespace_info(self, namespace: str) -> Tuple[Dict[str, str], Dict[str, str], bool]:
        """(labels incl. the automatic kubernetes.io/metadata.name, annotations, found)."""
        info = self._ns.get(namespace)
        if info is None:
            ns = self.view.namespace(namespace)
            ns_labels = dict(labels(ns)) if ns else {}
            ns_labels.setdefault(METADATA_NAME, namespace)
            info = (ns_labels, dict(annotations_of(ns)) if ns else {}, ns is not None)
            self._ns[namespace] = info
        return info

    def namespace_webhooks(self, namespace: str) -> List[Webhook]:
        """The active injectors whose namespaceSelector matches this namespace (cached)."""
        found = self._ns_hooks.get(namespace)
        if found is None:
            ns_labels = self.namespace_info(namespace)[0]
            found = [w for w in self.injectors if selectors.matches(w.namespace_selector, ns_labels)]
            self._ns_hooks[namespace] = found
        return found

    def _linkerd_here(self, namespace: str) -> bool:
        found = self._ns_linkerd.get(namespace)
        if found is None:
            found = self._ns_linkerd[namespace] = any(w.mesh == "linkerd" for w in self.namespace_webhooks(namespace))
        return found

    def decide(
        self,
        namespace: str,
        pod_labels: Dict[str, str],
        pod_annos: Dict[str, str],
        spec: Dict[str, Any],
        template: bool,
    ) -> Decision:
        relevant = tuple((k, pod_labels[k]) for k in self.keys if k in pod_labels)
        istio_anno = pod_annos.get(ISTIO_INJECT)
        linkerd_anno = pod_annos.get(LINKERD_INJECT)
        host_network = spec.get("hostNetwork") is True
        sidecar = automount = False
        if self._linkerd_here(namespace):  # only Linkerd's decision reads these spec bits
            sidecar = linkerd_decision.has_existing_sidecar(spec, self.linkerd_scan_init)
            automount = linkerd_decision.automount_blocks(spec, self.linkerd_projection, "webhook", template)
        key = (namespace, relevant, istio_anno, linkerd_anno, host_network, sidecar, automount, template)
        found = self._memo.get(key)
        if found is not None:
            self.hits += 1
            return found
        decision = self._decide(namespace, dict(relevant), pod_annos, spec, template)
        self._memo[key] = decision
        return decision

    def _decide(self, namespace, pod_labels, pod_annos, spec, template):
        ns_labels, ns_annos, ns_found = self.namespace_info(namespace)
        reasons: List[str] = []
        if not ns_found:
            reasons.append("namespace %s is not in the snapshot: judged with no labels" % namespace)
        called = [w for w in self.namespace_webhooks(namespace) if selectors.matches(w.object_selector, pod_labels)]
        assumed = any(w.assumed for w in self.injectors)
        if not called:
            reasons += self._not_selected(ns_labels, pod_labels)
            return Decision(reasons=tuple(reasons), assumed=assumed)
        calls: List[Call] = []
        added: List[Dict[str, Any]] = []  # containers added by earlier webhooks in this admission
        for webhook in called:
            reasons.append(self._match_text(webhook, ns_labels, pod_labels))
            current = dict(spec, containers=list(spec.get("containers") or []) + added) if added else spec
            if webhook.mesh == "istio":
                call, texts = self._istio(webhook, namespace, pod_labels, pod_annos, spec)
                if call.inject and not any(c.get("name") == "istio-proxy" for c in added):
                    added.append({"name": "istio-proxy"})
            else:
                call, texts = self._linkerd(webhook, ns_annos, pod_annos, current, template)
                if call.inject:
                    added.append({"name": "linkerd-proxy"})
            calls.append(call)
            reasons += texts
        injecting = [c for c in calls if c.inject]
        if len(calls) > 1:
            reasons.append(
                "%d injector webhooks are called for this pod: %s" % (len(calls), ", ".join(c.webhook for c in calls))
            )
        if injecting:
            primary = injecting[0]
            # a later istiod re-injects over an earlier one (it strips its own status first)
            for call in injecting[1:]:
                if call.mesh == primary.mesh == "istio":
                    primary = call
            return Decision(
                primary.mesh,
                primary.webhook,
                primary.revision,
                True,
                "inject",
                tuple(reasons),
                tuple(calls),
                (),
                assumed,
            )
        first = calls[0]
        skip_ids = tuple(i for c in calls for i in c.ids if not i.startswith("istio.policy-enabled"))
        return Decision(
            first.mesh, first.webhook, first.revision, False, "skipped", tuple(reasons), tuple(calls), skip_ids, assumed
        )

    def _match_text(self, webhook: Webhook, ns_labels: Dict[str, str], pod_labels: Dict[str, str]) -> str:
        ns_hit = _first_label(webhook.namespace_selector, ns_labels)
        pod_hit = _first_label(webhook.object_selector, pod_labels)
        if ns_hit and pod_hit:
            head = "namespace label %s and pod label %s match" % (ns_hit, pod_hit)
        elif ns_hit:
            head = "namespace label %s matches" % ns_hit
        elif pod_hit:
            head = "pod label %s matches" % pod_hit
        else:
            head = "namespace and pod labels match"
        text = "%s %s" % (head, webhook.describe())
        if webhook.mesh == "istio":
            revision = webhook.target_revision or "default"
            text += " → revision %s" % revision
            if webhook.tag:
                text += " (tag %s)" % webhook.tag
        return text

    def _istio(self, webhook, namespace, pod_labels, pod_annos, spec):
        revision = webhook.target_revision or "default"
        istio = self.model.istio
        config = istio.injector_for(revision) if istio is not None else None
        texts = []
        ids: List[str] = []
        if config is None and istio is not None and istio.configmaps_read:
            cm = "istio-sidecar-injector" if revision == "default" else "istio-sidecar-injector-%s" % revision
            texts.append(
                "injector ConfigMap %s not found: istiod of revision %s does not serve /inject, so "
                "with failurePolicy %s the pod is %s"
                % (
                    cm,
                    revision,
                    webhook.failure_policy,
                    "rejected" if webhook.failure_policy == "Fail" else "admitted without a proxy",
                )
            )
            ids.append("istio.injector-config-missing")
        result = istio_decision.inject_required(
            namespace,
            pod_labels,
            pod_annos,
            spec.get("hostNetwork") is True,
            config,
            "missing" if ids else "not in snapshot",
        )
        texts += result.texts
        texts.append("→ inject" if result.inject else "→ not injected")
        return Call(webhook.key, "istio", revision, result.inject, tuple(ids + result.ids)), texts

    def _linkerd(self, webhook, ns_annos, pod_annos, spec, template):
        ok, ids = linkerd_decision.injectable(
            ns_annos,
            pod_annos,
            spec,
            origin="webhook",
            token_projection=self.linkerd_projection,
            scan_init_for_proxy=self.linkerd_scan_init,
            template=template,
        )
        texts = []
        if ok:
            _disabled, _reason, where = linkerd_decision.annotation_decision(ns_annos, pod_annos)
            source = ns_annos if where == "namespace" else pod_annos
            texts.append("%s annotation linkerd.io/inject=%s → inject" % (where, source.get(LINKERD_INJECT)))
        else:
            texts.append("proxy-injector skips it: %s" % ", ".join(linkerd_decision.reason_texts(ids)))
        version = self.model.linkerd.version if self.model.linkerd else ""
        return Call(webhook.key, "linkerd", version, ok, tuple(ids)), texts

    def _not_selected(self, ns_labels: Dict[str, str], pod_labels: Dict[str, str]) -> List[str]:
        if not self.model.injectors(active=False):
            return ["no Istio or Linkerd injector webhook is installed → nothing injects"]
        out = []
        istio_hooks = self.model.injectors("istio")
        if istio_hooks:
            for row in istio_decision.check_inject(istio_hooks, pod_labels, ns_labels):
                out.append("not selected by Istio %s: %s" % (row["webhook"], row["reason"]))
        for webhook in self.model.injectors("linkerd"):
            failing = []
            ns_fail = selectors.failing_requirements(webhook.namespace_selector, ns_labels)
            if ns_fail:
                failing.append("namespace labels fail %s" % ", ".join(ns_fail))
            pod_fail = selectors.failing_requirements(webhook.object_selector, pod_labels)
            if pod_fail:
                failing.append("pod labels fail %s" % ", ".join(pod_fail))
            out.append("not selected by Linkerd %s: %s" % (webhook.describe(), "; ".join(failing)))
        if not out:
            out.append("every injector webhook is deactivated or does not intercept pod CREATE → nothing injects")
        return out


def _first_label(selector, obj_labels):
    """check-inject's "matching label": the first In/NotIn expression whose key the object has."""
    for key, value in ((selector or {}).get("matchLabels") or {}).items():
        if obj_labels.get(key) == value:
            return "%s=%s" % (key, value)
    for expr in (selector or {}).get("matchExpressions") or []:
        if expr.get("operator") in ("In", "NotIn") and expr.get("key") in obj_labels:
            return "%s=%s" % (expr["key"], obj_labels[expr["key"]])
    return ""


# ---------------------------------------------------------------------------------------------
# owners


def top_owner(
    view: SnapshotView, obj: Dict[str, Any], cache: Optional[Dict[str, Any]] = None
) -> Optional[Tuple[str, str]]:
    """(kind, name) of the top-level controller: ReplicaSet -> Deployment, Job -> CronJob.
    `cache` (uid of the direct owner -> result) saves the walk for sibling pods."""
    refs = meta(obj).get("ownerReferences") or []
    uid = refs[0].get("uid") if refs else None
    if cache is not None and uid and uid in cache:
        return cache[uid]
    result = _walk_owners(view, obj)
    if cache is not None and uid:
        cache[uid] = result
    return result


def _walk_owners(view: SnapshotView, obj: Dict[str, Any]) -> Optional[Tuple[str, str]]:
    current = obj
    result = None
    for _unused in range(4):
        refs = [r for r in meta(current).get("ownerReferences") or [] if r.get("controller")] or (
            meta(current).get("ownerReferences") or []
        )
        if not refs:
            return result
        ref = refs[0]
        result = (ref.get("kind") or "", ref.get("name") or "")
        parent = view.by_uid(ref.get("uid") or "")
        if parent is None:
            return _guess_parent(result, current)
        current = parent
    return result


def _guess_parent(owner: Tuple[str, str], obj: Dict[str, Any]) -> Tuple[str, str]:
    """The owner is not in the snapshot: a ReplicaSet named <deployment>-<pod-template-hash> is
    taken as its Deployment's (the usual case when only pods were gathered)."""
    kind, name = owner
    pth = labels(obj).get("pod-template-hash")
    if kind == "ReplicaSet" and pth and name.endswith("-" + pth):
        return "Deployment", name[: -len(pth) - 1]
    return owner


# ---------------------------------------------------------------------------------------------
# all verdicts


def compute_verdicts(view: SnapshotView, model: MeshModel, decider: Optional[Decider] = None) -> List[Verdict]:
    """Verdicts for every pod, then every workload template (Deployment, StatefulSet, DaemonSet,
    Job and ReplicaSet without an owner, CronJob)."""
    decider = decider or Decider(view, model)
    owners: Dict[str, Any] = {}
    out: List[Verdict] = []
    for pod in view.items("pods"):
        pod_meta = meta(pod)
        pod_annos = pod_meta.get("annotations") or {}
        pod_labels = pod_meta.get("labels") or {}
        raw_spec = pod.get("spec") or {}
        spec = submitted_spec(raw_spec, pod_annos)
        namespace = pod_meta.get("namespace") or ""
        decision = decider.decide(namespace, pod_labels, pod_annos, spec, False)
        out.append(
            Verdict(
                "Pod",
                namespace,
                pod_meta.get("name") or "",
                decision,
                pod,
                False,
                proxy=proxy_state(raw_spec, pod_annos),
                owner=top_owner(view, pod, owners),
                phase=(pod.get("status") or {}).get("phase") or "",
                control_plane=is_control_plane(pod_labels),
            )
        )
    for kind, resource, path in TEMPLATE_KINDS:
        for obj in view.items(resource):
            if kind in ("Job", "ReplicaSet") and meta(obj).get("ownerReferences"):
                continue
            tmpl = _dig(obj, path)
            tmpl_meta = tmpl.get("metadata") or {}
            tmpl_annos = tmpl_meta.get("annotations") or {}
            tmpl_labels = tmpl_meta.get("labels") or {}
            raw_spec = tmpl.get("spec") or {}
            spec = submitted_spec(raw_spec, tmpl_annos)
            namespace = namespace_of(obj)
            decision = decider.decide(namespace, tmpl_labels, tmpl_annos, spec, True)
            out.append(
                Verdict(
                    kind,
                    namespace,
                    name_of(obj),
                    decision,
                    obj,
                    True,
                    proxy=proxy_state(raw_spec, tmpl_annos) if spec is not raw_spec or _has_proxy(raw_spec) else None,
                    control_plane=is_control_plane(tmpl_labels) or is_control_plane(labels(obj)),
                )
            )
    return out


def _has_proxy(spec):
    names = {c.get("name") for k in ("containers", "initContainers") for c in spec.get(k) or []}
    return bool(names & {"istio-proxy", "linkerd-proxy"})


def pod_template_of(verdict: Verdict) -> Dict[str, Any]:
    """The pod template (metadata + spec) a workload verdict was computed from, or the pod itself."""
    if not verdict.template:
        return verdict.obj
    for kind, _resource, path in TEMPLATE_KINDS:
        if kind == verdict.kind:
            return _dig(verdict.obj, path)
    return {}
