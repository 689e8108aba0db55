# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the snapshot integration tests."""

from __future__ import annotations

import json
import os

import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import gather


def auth(sim, **overrides):
    params = {name: None for name in kube_client.AUTH_OPTIONS}
    params["kubeconfig"] = sim.kubeconfig_path
    params.update(overrides)
    return params


class Recorder(object):
    """Collects log lines and the sleeps the client asked for (so retry tests do not wait)."""

    def __init__(self):
        self.lines = []
        self.sleeps = []

    def log(self, line):
        self.lines.append(line)

    def sleep(self, seconds):
        self.sleeps.append(seconds)


def client(sim, recorder=None, **overrides):
    recorder = recorder or Recorder()
    options = {"sleep": recorder.sleep, "log": recorder.log, "retries": overrides.pop("retries", 5)}
    return kube_client.client_from_params(auth(sim, **overrides), **options)


def gather_live(sim, recorder=None, **options):
    recorder = recorder or Recorder()
    c = client(sim, recorder)
    gatherer = gather.Gatherer(c, log=recorder.log, **options)
    try:
        result = gatherer.run()
    finally:
        c.close()
    return result, c, gatherer


def api_requests(sim):
    """The API requests kubesim served (admin routes excluded)."""
    return [r for r in sim.requests if not r["path"].startswith("/_kubesim/")]


def dump_like_kubectl(sim, folder):
    """`kubectl get <kind> -A -o yaml` for every kind the snapshot reads, plus `kubectl version -o json`."""
    os.makedirs(folder, exist_ok=True)
    c = client(sim)
    try:
        for resource, spec in snap.RESOURCES.items():
            try:
                page = c.get(gather.resource_path(resource))
            except kube_client.ApiError as exc:
                if exc.status == 404 and resource in snap.OPTIONAL_RESOURCES:
                    continue  # kubectl: the server doesn't have a resource type (removed APIs)
                raise
            items = []
            for item in page.get("items") or []:
                item = dict(item, apiVersion=spec.api_version, kind=spec.kind)
                items.append(item)
            doc = {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}
            with open(os.path.join(folder, resource + ".yaml"), "w") as handle:
                yaml.safe_dump(doc, handle, default_flow_style=False)
        with open(os.path.join(folder, "version.json"), "w") as handle:
            json.dump({"clientVersion": {"gitVersion": "v1.32.4"}, "serverVersion": c.get("/version")}, handle)
    finally:
        c.close()
