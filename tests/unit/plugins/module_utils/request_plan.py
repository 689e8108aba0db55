"""The live gathering's request plan as arithmetic: how many API requests a snapshot costs.

Test-only: it exists so the conformance suites can compare with upstream's own output; nothing
shipped needs it.
"""

from __future__ import annotations

from typing import Dict, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.gather import (
    CLUSTER_KINDS,
    EVENT_QUERIES,
)


def expected_requests(
    server_counts: Dict[str, int],
    limit: int,
    control_plane_lists: Optional[Dict[str, int]] = None,
    secret_gets: int = 0,
) -> int:
    """The request plan's arithmetic, for tests and the benchmark.

    `server_counts`: objects the server returns for each phase-1 LIST (keys of CLUSTER_KINDS, with
    "events" replaced by "events:Warning" and "events:InjectionSkipped"); `control_plane_lists`:
    objects per phase-2 LIST, keyed "<resource>/<namespace>"; `secret_gets`: certificate Secrets
    asked for by name. Every LIST costs max(1, ceil(objects / limit)) requests.

    One caveat, from the API server: a field-selected LIST (the events ones) whose matches fill the
    last page exactly gets a continue token if unmatched objects remain after it, and so one more,
    empty, page."""

    def pages(count: int) -> int:
        return max(1, -(-count // limit))

    total = 1  # /version
    for resource in CLUSTER_KINDS:
        if resource == "events":
            total += sum(pages(server_counts.get("events:" + label, 0)) for label, _query in EVENT_QUERIES)
        else:
            total += pages(server_counts.get(resource, 0))
    total += sum(pages(count) for count in (control_plane_lists or {}).values())
    return total + secret_gets
