"""Minimal controllers so that remediation can be verified end to end (see manager.py for the mechanics)."""

from __future__ import annotations

from ..operations import Api
from .base import Ctx, Recorder
from .cronjob import sync_cronjob
from .deployment import sync_deployment
from .endpoints import sync_endpoints
from .kubelet import Kubelet
from .lifecycle import sync_finalize, sync_gc, sync_namespace
from .manager import ControllerManager, WorkQueue
from .replicaset import sync_replicaset
from .serviceaccounts import TokensController, sync_service_accounts
from .workloads import sync_daemonset, sync_job, sync_statefulset


def build_manager(api: Api, workers: int = 4, ca_pem: bytes = b"") -> tuple[ControllerManager, Kubelet, Recorder]:
    """Must be called on the event loop (the work queue binds asyncio primitives)."""
    recorder = Recorder(api)
    kubelet = Kubelet()
    tokens = TokensController(ca_pem)
    ctx = Ctx(api=api, store=api.store, recorder=recorder, queue=WorkQueue())
    controllers = {
        "deployment": sync_deployment,
        "replicaset": sync_replicaset,
        "statefulset": sync_statefulset,
        "daemonset": sync_daemonset,
        "job": sync_job,
        "kubelet": kubelet.sync,
        "endpoints": sync_endpoints,
        "namespace": sync_namespace,
        "gc": sync_gc,
        "finalize": sync_finalize,
        "serviceaccount": sync_service_accounts,
        "tokens": tokens.sync,
        "cronjob": sync_cronjob,
    }
    manager = ControllerManager(ctx, controllers, workers)
    manager.tokens = tokens
    return manager, kubelet, recorder


__all__ = ["ControllerManager", "Kubelet", "Recorder", "build_manager"]
