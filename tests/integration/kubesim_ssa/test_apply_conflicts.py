"""Server-side apply's field ownership against kubesim, compared with kube-apiserver's documented behaviour
(https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts and #field-management):

- "A conflict is a special status error that occurs when an Apply operation tries to change a field that another
  manager also claims to manage" — 409, reason Conflict, one FieldManagerConflict cause per field, message from
  apimachinery's managedfields conflict.go (`conflict with "<manager>" using <apiVersion>: <path>`).
- "If you force the conflict, the field's ownership moves to the applier"; "if two or more appliers set a field
  to the same value, they share ownership"; a field an applier stops applying is removed when it was the only
  owner.
- fieldsV1 is structured-merge-diff's set encoding: `f:<field>`, `k:<key fields>` for list items with keys,
  `v:<value>` for set members, `.` for an item that is owned itself and has owned fields.
"""

from __future__ import annotations

import re

from tests.integration.kubesim.helpers import call
from tests.integration.kubesim_ssa.helpers import MWC_PATH, WEBHOOK, apply, json_patch, key, managed, mwc

HOOK = key(name=WEBHOOK)
CA_PATH = f'.webhooks[name="{WEBHOOK}"].clientConfig.caBundle'
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_webhook_timeout_applies_beside_istiod_cabundle_then_conflicts_then_forces(kubesim):
    # The installer applies the chart's webhook (no caBundle, no timeoutSeconds: those it does not manage).
    installed = apply(kubesim, MWC_PATH, mwc(), "istioctl")
    assert installed.status == 201
    # istiod patches the caBundle it serves with (an Update, as its webhook controller does).
    patched = json_patch(
        kubesim,
        MWC_PATH,
        [{"op": "add", "path": "/webhooks/0/clientConfig/caBundle", "value": "SVNUSU9E"}],
        "pilot-discovery",
    )
    assert patched.status == 200
    assert managed(patched.json)["pilot-discovery"] == {
        "manager": "pilot-discovery",
        "operation": "Update",
        "apiVersion": "admissionregistration.k8s.io/v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:webhooks": {HOOK: {"f:clientConfig": {"f:caBundle": {}}}}},
    }

    # 1. timeoutSeconds (defaulted, owned by nobody) applies without a conflict; caBundle stays istiod's.
    ours = apply(kubesim, MWC_PATH, mwc(timeout=5, with_service=False), "meshops")
    assert ours.status == 200, ours.json
    assert ours.json["webhooks"][0]["timeoutSeconds"] == 5
    assert ours.json["webhooks"][0]["clientConfig"]["caBundle"] == "SVNUSU9E"
    assert managed(ours.json)["meshops"]["fieldsV1"] == {
        "f:webhooks": {HOOK: {".": {}, "f:name": {}, "f:timeoutSeconds": {}}}
    }
    assert managed(ours.json)["pilot-discovery"] == managed(patched.json)["pilot-discovery"]

    # 2. Applying caBundle from meshops conflicts with the exact Status kube-apiserver answers.
    conflict = apply(kubesim, MWC_PATH, mwc(ca_bundle="TUVTSE9QUw==", timeout=5, with_service=False), "meshops")
    assert conflict.status == 409
    assert conflict.json == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Apply failed with 1 conflict: conflict with "pilot-discovery" using '
        f"admissionregistration.k8s.io/v1: {CA_PATH}",
        "reason": "Conflict",
        "details": {
            "causes": [
                {
                    "reason": "FieldManagerConflict",
                    "message": 'conflict with "pilot-discovery" using admissionregistration.k8s.io/v1',
                    "field": CA_PATH,
                }
            ]
        },
        "code": 409,
    }
    stored = kubesim.get(
        "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", None, "istio-sidecar-injector"
    )
    assert stored["webhooks"][0]["clientConfig"]["caBundle"] == "SVNUSU9E"
    assert stored["metadata"]["resourceVersion"] == ours.json["metadata"]["resourceVersion"]

    # 3. With force it succeeds and the ownership moves: istiod's entry had only caBundle, so it is gone.
    forced = apply(kubesim, MWC_PATH, mwc(ca_bundle="TUVTSE9QUw==", timeout=5, with_service=False), "meshops", True)
    assert forced.status == 200
    assert forced.json["webhooks"][0]["clientConfig"]["caBundle"] == "TUVTSE9QUw=="
    entries = managed(forced.json)
    assert sorted(entries) == ["istioctl", "meshops"]
    assert entries["meshops"] == {
        "manager": "meshops",
        "operation": "Apply",
        "apiVersion": "admissionregistration.k8s.io/v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:webhooks": {HOOK: {".": {}, "f:clientConfig": {"f:caBundle": {}}, "f:name": {}, "f:timeoutSeconds": {}}}
        },
    }
    assert all(TIME.match(e["time"]) for e in forced.json["metadata"]["managedFields"])
    # istiod's next caBundle patch (an Update) takes it back without any conflict: only Apply conflicts.
    again = json_patch(
        kubesim,
        MWC_PATH,
        [{"op": "replace", "path": "/webhooks/0/clientConfig/caBundle", "value": "SVNUSU9E"}],
        "pilot-discovery",
    )
    assert again.status == 200
    assert managed(again.json)["meshops"]["fieldsV1"] == {
        "f:webhooks": {HOOK: {".": {}, "f:name": {}, "f:timeoutSeconds": {}}}
    }


def test_conflicts_with_several_managers_are_listed_by_manager(kubesim):
    path = "/api/v1/namespaces/default/configmaps/shared"
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared"}, "data": {"a": "1", "b": "1"}}
    assert apply(kubesim, path, doc, "helm").status == 201
    assert apply(kubesim, path, {**doc, "data": {"c": "1"}}, "argocd").status == 200
    reply = apply(kubesim, path, {**doc, "data": {"a": "2", "b": "2", "c": "2"}}, "meshops")
    assert reply.status == 409
    assert reply.json["message"] == (
        'Apply failed with 3 conflicts: conflicts with "argocd":\n- .data.c\n'
        'conflicts with "helm":\n- .data.a\n- .data.b'
    )
    assert [(c["message"], c["field"]) for c in reply.json["details"]["causes"]] == [
        ('conflict with "argocd"', ".data.c"),
        ('conflict with "helm"', ".data.a"),
        ('conflict with "helm"', ".data.b"),
    ]


def test_same_value_shares_ownership_and_dropping_a_field_removes_it_only_when_unowned(kubesim):
    path = "/api/v1/namespaces/default/configmaps/c"
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"team": "mesh"}},
        "data": {"a": "1", "b": "1"},
    }
    assert apply(kubesim, path, doc, "one").status == 201
    shared = apply(kubesim, path, {**doc, "metadata": {"name": "c"}, "data": {"a": "1"}}, "two")
    assert shared.status == 200  # same value: no conflict, both own data.a
    assert managed(shared.json)["two"]["fieldsV1"] == {"f:data": {"f:a": {}}}
    # `one` stops applying data.a (still owned by `two`: kept) and data.b and the label (nobody else: removed).
    dropped = apply(kubesim, path, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, "one")
    assert dropped.status == 200
    assert dropped.json["data"] == {"a": "1"}
    assert "labels" not in dropped.json["metadata"]
    assert sorted(managed(dropped.json)) == ["two"]


def test_list_types_from_the_schema(kubesim):
    """containers: map keyed by name; ports: map keyed by containerPort+protocol; finalizers: set;
    tolerations and args: atomic (replaced by the applier)."""
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    base = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "finalizers": ["example.com/a"]},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                    "containers": [
                        {"name": "app", "image": "nginx:1.25", "args": ["-x"], "ports": [{"containerPort": 80}]}
                    ],
                },
            },
        },
    }
    assert apply(kubesim, path, base, "team").status == 201
    sidecar = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "finalizers": ["example.com/b"]},
        "spec": {
            "template": {
                "spec": {
                    "tolerations": [{"key": "b", "operator": "Exists"}],
                    "containers": [
                        {"name": "proxy", "image": "proxy:1", "ports": [{"containerPort": 15090, "name": "metrics"}]}
                    ],
                }
            }
        },
    }
    reply = apply(kubesim, path, sidecar, "mesh", force=True)
    assert reply.status == 200, reply.json
    spec = reply.json["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["containers"]] == ["app", "proxy"]
    assert reply.json["metadata"]["finalizers"] == ["example.com/a", "example.com/b"]
    assert spec["tolerations"] == [{"key": "b", "operator": "Exists"}]  # atomic: the forced applier's value
    fields = managed(reply.json)["mesh"]["fieldsV1"]
    assert fields["f:metadata"] == {"f:finalizers": {'v:"example.com/b"': {}}}
    proxy = fields["f:spec"]["f:template"]["f:spec"]["f:containers"][key(name="proxy")]
    assert proxy["f:ports"] == {
        key(containerPort=15090, protocol="TCP"): {".": {}, "f:containerPort": {}, "f:name": {}}
    }
    assert fields["f:spec"]["f:template"]["f:spec"]["f:tolerations"] == {}
    # The team lost the tolerations it owned (forced), and only those.
    team = managed(reply.json)["team"]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]
    assert "f:tolerations" not in team and key(name="app") in team["f:containers"]


def test_apply_options_and_errors(kubesim):
    path = "/api/v1/namespaces/default/configmaps/opts"
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "opts"}}
    missing = call(
        kubesim, "PATCH", path, "kind: ConfigMap\napiVersion: v1\n", content_type="application/apply-patch+yaml"
    )
    assert (missing.status, missing.json["message"]) == (
        422,
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    )
    assert apply(kubesim, path, doc, "a").status == 201
    forced_merge = call(
        kubesim, "PATCH", path + "?force=true", {"data": {"x": "1"}}, content_type="application/merge-patch+json"
    )
    assert (forced_merge.status, forced_merge.json["message"]) == (
        422,
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    )
    with_managed = apply(kubesim, path, {**doc, "metadata": {"name": "opts", "managedFields": [{"manager": "x"}]}}, "a")
    assert (with_managed.status, with_managed.json["message"]) == (400, "metadata.managedFields must be nil")


def test_first_apply_to_an_untracked_object_records_before_first_apply(kubesim):
    # Seeded objects carry no managedFields, like objects from before field tracking.
    kubesim.seed(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "old", "namespace": "default"},
            "data": {"a": "1"},
        }
    )
    path = "/api/v1/namespaces/default/configmaps/old"
    reply = apply(
        kubesim, path, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old"}, "data": {"a": "2"}}, "new"
    )
    assert reply.status == 409
    assert reply.json["message"] == 'Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a'


def test_replicas_scaled_through_the_scale_subresource_belong_to_the_scaler(kubesim):
    """What an HPA does: /scale writes record spec.replicas as the scaler's, with subresource "scale", so a
    GitOps re-apply of another replica count conflicts instead of silently fighting the autoscaler."""
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "a", "image": "x:1"}]},
            },
        },
    }
    assert apply(kubesim, path, doc, "gitops").status == 201
    scaled = call(
        kubesim,
        "PATCH",
        path + "/scale?fieldManager=kube-controller-manager",
        {"spec": {"replicas": 3}},
        content_type="application/merge-patch+json",
    )
    assert scaled.status == 200 and scaled.json["spec"]["replicas"] == 3
    stored = kubesim.get("apps/v1/deployments", "default", "web")
    scaler = [e for e in stored["metadata"]["managedFields"] if e.get("subresource") == "scale"]
    assert [(e["manager"], e["operation"], e["fieldsV1"]) for e in scaler] == [
        ("kube-controller-manager", "Update", {"f:spec": {"f:replicas": {}}})
    ]
    reply = apply(kubesim, path, doc, "gitops")
    assert reply.status == 409
    assert reply.json["message"] == (
        'Apply failed with 1 conflict: conflict with "kube-controller-manager" with subresource "scale" '
        "using apps/v1: .spec.replicas"
    )
    # Re-applying without replicas gives the field up; the scaler keeps it.
    del doc["spec"]["replicas"]
    released = apply(kubesim, path, doc, "gitops")
    assert released.status == 200 and released.json["spec"]["replicas"] == 3
