"""Run a test injector on its own for debugging: `python -m tests.kubesim.injectors istio --port 15017`.

It uses an empty in-memory store (chart defaults) and prints the caBundle to put in a webhook configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib

from tests.kubesim.injectors.certs import issue
from tests.kubesim.injectors.istio import IstioInjector
from tests.kubesim.injectors.linkerd import SECRET, LinkerdInjector


class _EmptyStore:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict] = {}

    def get(self, resource: str, namespace: str | None, name: str) -> dict | None:
        return self.objects.get((resource, namespace or "", name))

    def list(self, resource: str, namespace: str | None = None) -> list[dict]:
        return [o for (r, ns, _), o in self.objects.items() if r == resource and namespace in (None, ns)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mesh", choices=("istio", "linkerd"))
    parser.add_argument("--namespace", default=None)
    parser.add_argument("--revision", default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    store = _EmptyStore()
    injector: IstioInjector | LinkerdInjector
    if args.mesh == "istio":
        injector = IstioInjector(store, args.namespace or "istio-system", args.revision, port=args.port)
        bundle = injector.ca.cert_b64
    else:
        namespace = args.namespace or "linkerd"
        pair = issue(None, [f"linkerd-proxy-injector.{namespace}.svc"])
        store.objects[("v1/secrets", namespace, SECRET)] = {
            "data": {
                "tls.crt": base64.b64encode(pair.cert_pem).decode(),
                "tls.key": base64.b64encode(pair.key_pem).decode(),
            }
        }
        injector = LinkerdInjector(store, namespace, port=args.port)
        bundle = pair.cert_b64
    injector.server.delay = args.delay
    await injector.start()
    host, port = injector.address
    print(f"{injector.host_port} -> https://{host}:{port}\ncaBundle: {bundle}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await injector.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
