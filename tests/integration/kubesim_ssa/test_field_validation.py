"""fieldValidation as kube-apiserver answers it (KEP-2885, GA in 1.27; the default directive is Warn):
unknown fields are dropped in every mode, warned about with `Warning: 299 - "unknown field \"spec.foo\""`
headers under Warn, and refused under Strict — 400 `... cannot be handled as a ...: strict decoding error: ...`
for create/update bodies, 422 on the `patch` field for strategic-merge patches (handlers/patch.go
applyPatchToObject). Apply patches fail typed conversion on any unknown field (structuredmerge.go: 500
`failed to create typed patch object (...): .spec.foo: field not declared in schema`)."""

from __future__ import annotations

import json

from tests.integration.kubesim.helpers import call
from tests.integration.kubesim_ssa.helpers import apply, warnings_of

PATH = "/apis/apps/v1/namespaces/default/deployments"


def deployment(**extra_spec: object) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "a", "image": "x:1"}]},
            },
            **extra_spec,
        },
    }


def test_warn_is_the_default_and_drops_the_field(kubesim):
    assert warnings_of(kubesim, "POST", PATH, deployment(replica=3, foo={"bar": 1})) == [
        '299 - "unknown field \\"spec.replica\\""',
        '299 - "unknown field \\"spec.foo\\""',
    ]
    stored = kubesim.get("apps/v1/deployments", "default", "web")
    assert "replica" not in stored["spec"] and "foo" not in stored["spec"]


def test_strict_create_is_a_bad_request_listing_every_unknown_field(kubesim):
    body = deployment(replica=3)  # after `template`: reported in document order, like the decoder
    body["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "x"
    reply = call(kubesim, "POST", PATH + "?fieldValidation=Strict", body)
    assert reply.status == 400
    assert reply.json["reason"] == "BadRequest"
    assert reply.json["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.template.spec.containers[0].imagePolicy", unknown field "spec.replica"'
    )
    assert kubesim.get("apps/v1/deployments", "default", "web") is None


def test_ignore_is_silent(kubesim):
    reply = call(kubesim, "POST", PATH + "?fieldValidation=Ignore", deployment(replica=3))
    assert reply.status == 201 and "warning" not in reply.headers and "replica" not in reply.json["spec"]


def test_invalid_directive_is_refused(kubesim):
    reply = call(kubesim, "POST", PATH + "?fieldValidation=Loud", deployment())
    assert reply.status == 422
    assert reply.json["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": supported values: '
        '"", "Ignore", "Strict", "Warn"'
    )


def test_strategic_merge_patch_strict_names_the_patch(kubesim):
    assert call(kubesim, "POST", PATH, deployment()).status == 201
    patch = {"spec": {"replicas": 2, "replica": 3}}
    reply = call(
        kubesim,
        "PATCH",
        PATH + "/web?fieldValidation=Strict",
        json.dumps(patch),
        content_type="application/strategic-merge-patch+json",
    )
    assert reply.status == 422
    value = 'Invalid value: "map[spec:map[replica:3 replicas:2]]": strict decoding error: unknown field "spec.replica"'
    assert reply.json["message"] == f' "" is invalid: patch: {value}'
    assert reply.json["details"]["causes"] == [{"reason": "FieldValueInvalid", "message": value, "field": "patch"}]
    warned = call(
        kubesim, "PATCH", PATH + "/web", json.dumps(patch), content_type="application/strategic-merge-patch+json"
    )
    assert warned.status == 200 and warned.headers["warning"] == '299 - "unknown field \\"spec.replica\\""'
    assert warned.json["spec"]["replicas"] == 2


def test_apply_with_an_unknown_field_fails_typed_conversion(kubesim):
    reply = apply(kubesim, PATH + "/web", deployment(replica=3), "meshops")
    assert reply.status == 500
    assert reply.json["message"] == (
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): "
        ".spec.replica: field not declared in schema"
    )
