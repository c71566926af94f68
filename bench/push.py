"""Web push throughput against the local push service: our concurrent send_many vs a plain pywebpush loop.

    python -m bench.push          (N from BENCH_PUSH_N, default 2,000)

Both paths push the same message to the same N subscriptions on one local push service, which runs in a
child process (BENCH_PUSH_SERVERS of them) and really verifies every VAPID JWT and decrypts every payload, so
neither path can cheat and the service's own work does not share the measured process's GIL. Phase 2
replaces the subject by the whole pipeline (deliveries queued -> workers -> push service).
"""

import json
import multiprocessing
import os
import sys

from bench.support import report, setup_django, timed

N = int(os.environ.get("BENCH_PUSH_N", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_PUSH_CONCURRENCY", "32"))
# Processes of the push service sharing one listening socket, so the service is not what is measured.
SERVERS = int(os.environ.get("BENCH_PUSH_SERVERS", str(min(4, os.cpu_count() or 1))))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import pywebpush

    from messaging.channels.base import PushMessage, Result
    from messaging.channels.vapid import generate_vapid_keys
    from messaging.channels.webpush import WebPushTransport
    from messaging.testing.push_service import LocalPushService

    # The subscriptions' keys are made before the fork, so the service process can decrypt every payload.
    service = LocalPushService(verify=True)
    targets = [service.subscribe() for _ in range(N)]
    servers = [multiprocessing.get_context("fork").Process(target=service.serve_forever, daemon=True)
               for _ in range(SERVERS)]
    for server in servers:
        server.start()
    service._server.socket.close()  # the child accepts; this process only sends
    try:
        backend = setup_django()
        vapid = generate_vapid_keys("mailto:bench@example.com")
        message = PushMessage(title="Spring sale", body="20% off everything today", url="https://shop.example/sale",
                              icon="/static/icon.png", ttl=3600, urgency="normal", topic="offer",
                              data={"open_url": "https://hub.example/o/abcdef"})
        data = json.dumps(message.payload(), separators=(",", ":"))
        signer = vapid.signer()

        def plain_loop() -> None:
            for t in targets:
                pywebpush.webpush({"endpoint": t.endpoint, "keys": {"p256dh": t.p256dh, "auth": t.auth}}, data=data,
                                  vapid_private_key=signer, vapid_claims={"sub": vapid.subject}, ttl=3600,
                                  headers={"Urgency": "normal", "Topic": "offer"}, timeout=10)

        transport = WebPushTransport(vapid=vapid, concurrency=CONCURRENCY, timeout=10)
        outcomes: list = []

        def concurrent() -> None:
            outcomes.extend(transport.send_many([(t, message) for t in targets]))

        plain_s = timed(plain_loop)
        ours_s = timed(concurrent)
        transport.close()

        # The service answers 201 only after verifying the JWT and decrypting the payload, and the plain
        # loop raises on anything else, so every push of both paths was checked.
        failed = [o for o in outcomes if not isinstance(o, Result)]
        if len(outcomes) != N or failed:
            print(f"bench.push: {len(failed)} of {len(outcomes)} sends failed; first: {failed[:1]}", file=sys.stderr)
            return 1
        report(f"web push to a local push service (VAPID verified, payload decrypted), {N:,} subscriptions",
               backend, (f"send_many ({CONCURRENCY} threads, shared session, cached VAPID)", N / ours_s),
               ("plain sequential pywebpush.webpush loop", N / plain_s), "pushes/s",
               target=">= 1 (phase 2 replaces send_many by the full pipeline)")
        return 0
    finally:
        for server in servers:
            server.terminate()
            server.join()


if __name__ == "__main__":
    sys.exit(main())
