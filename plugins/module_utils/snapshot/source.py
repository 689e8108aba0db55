# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module parameters -> snapshot: the one entry point both modules use to read a cluster.

`SOURCE_ARGUMENT_SPEC` is kubernetes.core's auth options plus `src`, the namespace filters,
`control_plane_namespaces`, `limit`, `retries`, `request_timeout` and `deadline`, and the input
limits of offline sources (limits.LIMIT_OPTIONS); `load(params)` reads an offline `src` or gathers
live and raises `SourceError` with one message a module can fail with.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import gather, overlay
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import limits as input_limits
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import offline as offline_loader

DEFAULT_DEADLINE = 300.0

SOURCE_OPTIONS: Dict[str, Dict[str, Any]] = {
    "src": {"type": "path"},
    "manifests": {"type": "list", "elements": "path", "default": []},
    "namespaces": {"type": "list", "elements": "str", "default": []},
    "exclude_namespaces": {"type": "list", "elements": "str", "default": []},
    "control_plane_namespaces": {"type": "list", "elements": "str", "default": []},
    "limit": {"type": "int", "default": gather.DEFAULT_LIMIT},
    "retries": {"type": "int", "default": 5},
    # live reads (k8s/retry.py): seconds per request, and for the whole cluster (0: no deadline)
    "request_timeout": {"type": "float", "default": kube_client.DEFAULT_REQUEST_TIMEOUT},
    "deadline": {"type": "float", "default": DEFAULT_DEADLINE},
}

SOURCE_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = copy.deepcopy(kube_client.AUTH_ARG_SPEC)
SOURCE_ARGUMENT_SPEC.update(copy.deepcopy(SOURCE_OPTIONS))
SOURCE_ARGUMENT_SPEC.update(copy.deepcopy(input_limits.LIMIT_OPTIONS))


class SourceError(Exception):
    """The snapshot could not be read; the message names the file, option or server and the cause."""


def _noop(msg: str) -> None:
    return None


def load(
    params: Dict[str, Any],
    debug: Optional[Callable[[str], None]] = None,
    stats: Optional[Dict[str, Any]] = None,
    client_options: Optional[Dict[str, Any]] = None,
    warn: Optional[Callable[[str], None]] = None,
) -> Dict[str, Any]:
    """`_load`, then the `manifests` overlay (snapshot/overlay.py) when given: the pre-deployment check.
    `warn` receives what the user should see (duplicated objects); default: `debug`."""
    snapshot = _load(params, debug=debug, stats=stats, client_options=client_options, warn=warn)
    if params.get("manifests"):
        try:
            overlay.apply(snapshot, params["manifests"])
        except (OSError, overlay.OverlayError, input_limits.InputError) as exc:
            raise SourceError(str(exc)) from None
    return snapshot


def _load(
    params: Dict[str, Any],
    debug: Optional[Callable[[str], None]] = None,
    stats: Optional[Dict[str, Any]] = None,
    client_options: Optional[Dict[str, Any]] = None,
    warn: Optional[Callable[[str], None]] = None,
) -> Dict[str, Any]:
    """The snapshot described by module `params` (offline when `src` is set, else live).

    `stats` receives offline file statistics; `client_options` go to the KubeClient (tests)."""
    debug = debug or _noop
    limit, retries = params.get("limit"), params.get("retries")
    if limit is not None and limit < 1:
        raise SourceError("limit must be a positive number of objects per page, got %s" % limit)
    if retries is not None and retries < 0:
        raise SourceError("retries must be zero or more, got %s" % retries)
    filters = {
        "namespaces": params.get("namespaces") or [],
        "exclude_namespaces": params.get("exclude_namespaces") or [],
        "control_plane_namespaces": params.get("control_plane_namespaces") or [],
    }
    if params.get("src"):
        try:
            limits = input_limits.Limits.from_params(params)
            return offline_loader.load(params["src"], log=debug, stats=stats, limits=limits, warn=warn, **filters)
        except input_limits.InputError as exc:  # OfflineError, BundleError, InputLimitError, ShapeError
            raise SourceError(str(exc)) from None
    request_timeout, deadline = params.get("request_timeout"), params.get("deadline")
    if request_timeout is not None and not request_timeout > 0:
        raise SourceError("request_timeout must be a positive number of seconds, got %s" % request_timeout)
    if deadline is not None and not deadline >= 0:
        raise SourceError("deadline must be zero (no deadline) or a positive number of seconds, got %s" % deadline)
    options = dict(client_options or {})
    options.setdefault("retries", retries if retries is not None else 5)
    options.setdefault("timeout", request_timeout or kube_client.DEFAULT_REQUEST_TIMEOUT)
    options.setdefault("deadline", DEFAULT_DEADLINE if deadline is None else deadline)
    options.setdefault("log", debug)
    try:
        client = kube_client.client_from_params(params, **options)
    except kube_client.KubeClientError as exc:
        raise SourceError(str(exc)) from None
    try:
        snapshot = gather.gather(
            client, limit=limit or gather.DEFAULT_LIMIT, context=params.get("context"), log=debug, **filters
        )
    except kube_client.KubeClientError as exc:
        raise SourceError(str(exc)) from None
    except input_limits.InputError as exc:  # an object of the wrong shape from the API server
        raise SourceError("%s: %s" % (params.get("host") or params.get("context") or "the API server", exc)) from None
    finally:
        client.close()
    return snapshot
