"""Admission for the kubesim API server: webhooks over real HTTPS and the built-in plugins."""

from tests.kubesim.admission.chain import AdmissionChain, AdmissionResult
from tests.kubesim.admission.resolver import ServiceResolver

__all__ = ["AdmissionChain", "AdmissionResult", "ServiceResolver"]
