"""Run the app under gunicorn on a free loopback port for benchmarks that measure it over HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.support import BASE_DIR


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(*, workers: int = 2, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Yield the base URL of the app served by gunicorn with production-like settings (DEBUG off)."""
    port = free_port()
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "bench-" + "x7Yq2Lm9Pz4Rt8Wv1Ks6Jd3Hf5Gb0Nc" * 2,
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING",
           "STATIC_ROOT": str(BASE_DIR / "var" / "bench-static"), **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning", "--keep-alive", "30"],
        cwd=BASE_DIR, env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
