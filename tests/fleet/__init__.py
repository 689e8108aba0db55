"""A fleet of test API servers diagnosed by the real playbook: `python -m tests.fleet [--out DIR]`
(`make demo-fleet`). See run() for the clusters."""
