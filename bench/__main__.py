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
    failed = 0
    for module in sys.argv[1:] or MODULES:
        for _label, url in targets:
            env = {**os.environ, "BENCH_DATABASE_URL": url, "DEBUG": "1"}
            env.pop("REDIS_URL", None)
            failed += subprocess.call([sys.executable, "-m", module], env=env, cwd=BASE_DIR) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
