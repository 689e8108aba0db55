"""One module per corpus case: `CASE` (the folder name under tests/cases/) and `build()`."""
