"""kubesim: a kube-apiserver stand-in for integration tests (see README.md)."""

from __future__ import annotations

from .server import KubeSim

__all__ = ["KubeSim"]
