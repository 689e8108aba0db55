"""Builds the corpus snapshots under tests/cases/<id>/snapshot/ (run `python -m tests.cases._build`)."""
