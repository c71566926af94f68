"""Run every benchmark module in its own process, on SQLite and then on PostgreSQL when it answers."""

import os
import subprocess
import sys

from bench.support import BASE_DIR, PG_URL, port_open

MODULES = ["bench.events", "bench.policy", "bench.push", "bench.links", "bench.campaigns", "bench.trigger"]


def main() -> int:
    targets = [("SQLite", f"sqlite:///{BASE_DIR / 'var' / 'bench.sqlite3'}")]
    if port_open(5432):
        targets.append(("PostgreSQL", PG_URL))
    from messaging.channels.vapid import generate_vapid_keys

    # Production settings (DEBUG off): no query log growing in memory, the settings a deployment runs with.
    keys = generate_vapid_keys("mailto:bench@localhost")
    production = {"DEBUG": "0", "SECRET_KEY": "bench-" + "q4Zt8Kp2Wm6Rx1Lv9Nc3Hb7Jd5Gf0Ys" * 2,
                  "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "SECURE_SSL_REDIRECT": "0",
                  "VAPID_PRIVATE_KEY": keys.private_key, "VAPID_PUBLIC_KEY": keys.public_key,
                  "VAPID_SUBJECT": keys.subject}
    failed = 0
    for module in sys.argv[1:] or MODULES:
        for _label, url in targets:
            env = {**os.environ, **production, "BENCH_DATABASE_URL": url}
            env.pop("REDIS_URL", None)
            failed += subprocess.call([sys.executable, "-m", module], env=env, cwd=BASE_DIR) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
