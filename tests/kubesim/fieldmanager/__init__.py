"""Field ownership (metadata.managedFields), server-side apply and fieldValidation for kubesim's write path."""

from __future__ import annotations

from .managed import ApplyConflict, FieldManager, manager_from_user_agent
from .schema import Schema, schema_for
from .validation import WARNINGS

__all__ = ["WARNINGS", "ApplyConflict", "FieldManager", "Schema", "manager_from_user_agent", "schema_for"]
