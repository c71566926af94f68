"""Helpers for benchmark modules: a fresh database, timing, and one format for the figures."""

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/hub_bench"


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def setup_django() -> str:
    """Configure Django for a benchmark process on a freshly migrated database; returns the backend label.

    The database comes from BENCH_DATABASE_URL (set by `python -m bench`), default a new SQLite file.
    """
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        _recreate_pg_database(url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def _recreate_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def report(title: str, backend: str, subject: tuple[str, float], baseline: tuple[str, float], unit: str,
           target: str = "") -> None:
    """Print one benchmark: the measured rate, the baseline's rate and their ratio (subject / baseline)."""
    (s_label, s_rate), (b_label, b_rate) = subject, baseline
    ratio = s_rate / b_rate if b_rate else float("nan")
    print(f"[{backend}] {title}")
    print(f"    {s_label:<48} {s_rate:>12,.0f} {unit}")
    print(f"    {b_label:<48} {b_rate:>12,.0f} {unit}")
    print(f"    ratio {ratio:.2f}" + (f"   (target: {target})" if target else ""), flush=True)
