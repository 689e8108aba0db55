"""Test admission webhooks that behave like the Istio and Linkerd sidecar injectors."""

from tests.kubesim.injectors.istio import IstioInjector
from tests.kubesim.injectors.linkerd import LinkerdInjector
from tests.kubesim.injectors.registry import InjectorRegistry

__all__ = ["InjectorRegistry", "IstioInjector", "LinkerdInjector"]
