"""The end-to-end benchmark's floor, in its own process; prints one JSON line.

    python -m tests.benchmarks.replay --kubeconfig FILE --plan PATHS.json

Sends exactly the GET requests listed (paths with their queries, continue tokens included, as kubesim's
access log recorded them for one playbook run) over the same urllib3 transport and headers as the
collection's client (so the server gzips the same bodies and urllib3 inflates them), parses each body
with `json.loads` and drops it. Nothing else: no projection, no Ansible. Peak memory is this process's
peak RSS (VmHWM), imports included, since the playbook's figure includes its start-up too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import List, Optional

from .measure import _client, _peak


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--plan", required=True)
    args = parser.parse_args(argv)
    with open(args.plan) as handle:
        paths = json.load(handle)
    client = _client(args.kubeconfig)
    pool, headers = client.pool, client._headers()
    requests = raw = 0
    started = time.perf_counter()
    for path in paths:
        response = pool.request("GET", client.host + path, headers=headers, retries=False, preload_content=False)
        body = response.data
        response.release_conn()
        requests += 1
        raw += len(body)
        json.loads(body)
    seconds = time.perf_counter() - started
    result = {"seconds": round(seconds, 3), "requests": requests, "raw_bytes": raw, "peak_bytes": _peak()}
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
