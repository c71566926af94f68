"""Short-link redirects per second: GET /l/<slug> (cached lookup, device detection, one INSERT per click) next to
a constant redirect through the same middleware, in the same run, both under gunicorn with 2 workers and 32
concurrent keep-alive connections from a threaded load generator on loopback. Also checks that every redirect
was recorded as a click."""

import http.client
import itertools
import os
import shutil
import statistics
import threading
import time

from bench.support import BASE_DIR, report, setup_django

CONNECTIONS = 32
REQUESTS = int(os.environ.get("BENCH_LINKS_REQUESTS", "8000"))  # per measured phase
ROUNDS = 4  # alternating rounds of each, so a busy moment of the machine weighs on both alike
WARMUP = 400
PHASE_SECONDS = 120  # a bound on each phase, whatever the machine
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 "
    "Chrome/121.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
    "Safari/537.36",
]


def load(host: str, paths: list[str], total: int) -> tuple[float, list[float], int]:
    """Send `total` GETs over CONNECTIONS threads; returns (seconds, latencies, responses that were not 302)."""
    counter = itertools.count()
    deadline = time.monotonic() + PHASE_SECONDS
    latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    errors = [0] * CONNECTIONS

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection(host, timeout=30)
        mine = latencies[n]
        while next(counter) < total and time.monotonic() < deadline:
            i = len(mine)
            headers = {"User-Agent": USER_AGENTS[(n + i) % len(USER_AGENTS)], "X-Forwarded-For": f"10.0.{n}.{i % 250}"}
            start = time.perf_counter()
            try:
                conn.request("GET", paths[i % len(paths)], headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 302
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            mine.append(time.perf_counter() - start)
            errors[n] += not ok
        conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONNECTIONS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    return seconds, [x for part in latencies for x in part], sum(errors)


def _ms(latencies: list[float], q: float) -> float:
    return statistics.quantiles(latencies, n=100)[int(q) - 1] * 1000


def main() -> int:
    backend = setup_django()
    from bench.server import gunicorn
    from links.models import Click
    from links.services import link_create
    from links.spool import spool_drain_directory

    # A spool of its own, so no file of another run (or database) is stored into this one.
    spool_dir = BASE_DIR / "var" / f"bench-click-spool-{backend.lower()}"
    shutil.rmtree(spool_dir, ignore_errors=True)
    os.environ["LINKS_CLICK_SPOOL_DIR"] = str(spool_dir)
    from django.conf import settings

    settings.LINKS_CLICK_SPOOL_DIR = spool_dir

    link = link_create(data={"slug": "bench", "title": "Bench", "default_url": "https://shop.example.com/app",
                             "ios_url": "https://apps.apple.com/app/id1", "utm_source": "bench",
                             "android_url": "https://play.google.com/store/apps/details?id=x"})
    link_paths = [f"/l/{link.slug}", f"/l/{link.slug}?s=qr"]
    base_paths = ["/__bench__/redirect"]
    # DEBUG off, as in production: the click spool is on (links/spool.py).
    with gunicorn(workers=2, extra_env={"BENCH_BASELINE": "1", "LINKS_CLICK_SPOOL_DIR": str(spool_dir)}) as url:
        host = url.removeprefix("http://")
        load(host, base_paths, WARMUP)
        _, _, warm_errors = load(host, link_paths, WARMUP)
        b_seconds, b_lat, b_errors, l_seconds, l_lat, l_errors = 0.0, [], 0, 0.0, [], 0
        for _ in range(ROUNDS):
            seconds, latencies, errors = load(host, base_paths, REQUESTS // ROUNDS)
            b_seconds, b_lat, b_errors = b_seconds + seconds, b_lat + latencies, b_errors + errors
            seconds, latencies, errors = load(host, link_paths, REQUESTS // ROUNDS)
            l_seconds, l_lat, l_errors = l_seconds + seconds, l_lat + latencies, l_errors + errors
    # The workers store their spool as they stop; this catches anything left, as `links_spool_drain` would.
    drained_after_stop = spool_drain_directory()
    sent = WARMUP + len(l_lat)
    recorded = Click.objects.filter(link=link).count()
    b_rate, l_rate = len(b_lat) / b_seconds, len(l_lat) / l_seconds
    report(f"short-link redirects, gunicorn 2 workers, {CONNECTIONS} connections", backend,
           ("GET /l/<slug> (302 + click recorded)", l_rate), ("constant redirect, same app", b_rate),
           "redirects/s", target=">= 0.8")
    print(f"    latency /l/<slug>    p50 {_ms(l_lat, 50):6.1f} ms   p99 {_ms(l_lat, 99):6.1f} ms")
    print(f"    latency baseline     p50 {_ms(b_lat, 50):6.1f} ms   p99 {_ms(b_lat, 99):6.1f} ms")
    errors = warm_errors + l_errors + b_errors
    lost = sent - recorded
    print(f"    clicks recorded {recorded:,} / redirects sent {sent:,}: "
          f"{'none lost' if lost == 0 and not errors else f'{lost} lost, {errors} failed requests'}"
          f" ({drained_after_stop} stored from the spool after the server stopped)", flush=True)
    return 1 if lost or errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
