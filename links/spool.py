"""The click spool: the redirect appends a click to a local file and a background thread inserts them in batches.

Why: a click written with its own INSERT costs a commit per redirect (an fsync on PostgreSQL, a write lock that
two SQLite writers queue for), which made the redirect several times slower than a plain redirect. Appending a
line to a file is one write() system call; a thread in each process moves the lines into the database with one
bulk INSERT every LINKS_CLICK_SPOOL_SECONDS.

No click is lost when a process dies: the line is in the operating system's file cache once write() returns, and
every process's flusher also takes over the files of processes that no longer run (as does
`manage.py links_spool_drain`). A file's clicks are stored in one transaction with a ClickBatch row named after
the file, so a crash between that commit and the file's removal stores nothing twice. A power cut can lose the
last fraction of a second, as it can with SQLite's own synchronous=NORMAL setting of this project.

Only plain clicks use the spool; capped links (the cap is checked in the database) and attributed clicks (their
event needs the row) are written at once by links.services.click_record.
"""

import atexit
import json
import logging
import os
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

logger = logging.getLogger(__name__)

ACTIVE, READY, CLAIMED = "active", "ready", "claimed"


def _directory() -> Path:
    path = Path(settings.LINKS_CLICK_SPOOL_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ClickSpool:
    """One per process. `append` is called on the request path; `drain` by the flusher thread and at exit."""

    def __init__(self, *, flusher: bool = True) -> None:
        self._flusher = flusher  # tests drain by hand instead of from a thread
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._fd: int | None = None
        self._written = 0
        self._seq = 0

    def append(self, row: dict[str, Any]) -> None:
        line = (json.dumps(row, separators=(",", ":")) + "\n").encode()
        with self._lock:
            if self._pid != os.getpid():  # first use in this process (gunicorn forks after import)
                self._start()
            assert self._fd is not None
            os.write(self._fd, line)
            self._written += 1

    def _start(self) -> None:
        self._pid = os.getpid()
        self._fd = None
        self._open()
        if self._flusher:
            threading.Thread(target=self._run, name="click-spool", daemon=True).start()
            atexit.register(self.drain)

    def _open(self) -> None:
        path = _directory() / f"{ACTIVE}-{self._pid}.jsonl"
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._written = 0

    def _rotate(self) -> None:
        """Hand the lines written so far to the drain: rename the active file to a ready one."""
        with self._lock:
            if self._fd is None or self._pid != os.getpid() or not self._written:
                return
            os.close(self._fd)
            self._seq += 1
            directory = _directory()
            os.replace(directory / f"{ACTIVE}-{self._pid}.jsonl",
                       directory / f"{READY}-{self._pid}-{self._seq}-{time.time_ns()}.jsonl")
            self._open()

    def _run(self) -> None:
        while True:
            time.sleep(settings.LINKS_CLICK_SPOOL_SECONDS)
            try:
                self.drain()
            except Exception:  # keep flushing on the next round; the files stay until stored
                logger.exception("click spool: drain failed, will retry")
            finally:
                close_old_connections()

    def drain(self) -> int:
        """Store every complete spool file of this and of dead processes; returns the clicks stored."""
        self._rotate()
        return spool_drain_directory()


def _pid(path: Path) -> int | None:
    try:
        return int(path.stem.split("-")[1])
    except (IndexError, ValueError):  # not one of ours
        return None


def _adopt_orphans(directory: Path) -> None:
    """Make the files of dead processes ready again, and this process's claimed files that a failed store left
    (no other drain of this process runs meanwhile: spool_drain_directory holds _drain_lock)."""
    for path in directory.glob(f"{ACTIVE}-*.jsonl"):
        pid = _pid(path)
        if pid is not None and pid != os.getpid() and not _alive(pid):
            _rename(path, directory / f"{READY}-{pid}-orphan-{time.time_ns()}.jsonl")
    for path in directory.glob(f"{CLAIMED}-*.jsonl"):
        pid = _pid(path)
        if pid is not None and (pid == os.getpid() or not _alive(pid)):
            _rename(path, directory / f"{READY}-{path.stem.split('-', 2)[2]}.jsonl")


def _rename(source: Path, target: Path) -> bool:
    try:
        os.rename(source, target)  # atomic: of two processes claiming one file, one wins
        return True
    except FileNotFoundError:
        return False


_ROWS_PER_INSERT = 500  # 4,500 parameters: within SQLite's limit and PostgreSQL's
_COLUMNS = ("link_id", "clicked_at", "platform", "device", "os", "browser", "referrer", "ip_hash", "from_qr")


def _store(name: str, rows: list[dict[str, Any]]) -> int:
    from links.models import Click, ClickBatch, Link

    with transaction.atomic():
        if ClickBatch.objects.filter(name=name).exists():  # stored before a crash kept the file
            return 0
        ClickBatch.objects.create(name=name)
        # Links deleted since their clicks were spooled would fail the whole batch on the foreign key.
        existing = set(Link.objects.filter(pk__in={r["link_id"] for r in rows}).values_list("pk", flat=True))
        # Plain multi-row INSERTs instead of bulk_create: building a model instance and compiling SQL per row cost a
        # quarter of the redirect throughput on PostgreSQL. Same columns, adapted as the ORM would.
        adapt = connection.ops.adapt_datetimefield_value
        params = [(r["link_id"], adapt(r["at"]), r["platform"], r["device"], r["os"], r["browser"], r["referrer"],
                   r["ip_hash"], r["from_qr"]) for r in rows if r["link_id"] in existing]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(Click._meta.get_field(c).column) for c in _COLUMNS)
        row = f"({', '.join(['%s'] * len(_COLUMNS))})"
        with connection.cursor() as cursor:
            for start in range(0, len(params), _ROWS_PER_INSERT):  # one multi-row INSERT per chunk
                chunk = params[start:start + _ROWS_PER_INSERT]
                cursor.execute(f"INSERT INTO {quote(Click._meta.db_table)} ({columns}) "  # noqa: S608 - model names
                               f"VALUES {', '.join([row] * len(chunk))}", [v for p in chunk for v in p])
    return len(params)


_drain_lock = threading.Lock()


def spool_drain_directory() -> int:
    """Claim and store every ready file in the spool directory (and the files of dead processes).

    Raises the database's error when a store fails; the file is then tried again by the next drain.
    """
    with _drain_lock:
        return _drain()


def _drain() -> int:
    from links.models import ClickBatch

    directory = _directory()
    _adopt_orphans(directory)
    stored = 0
    for path in sorted(directory.glob(f"{READY}-*.jsonl")):
        name = path.stem.removeprefix(READY + "-")
        claimed = directory / f"{CLAIMED}-{os.getpid()}-{name}.jsonl"
        if not _rename(path, claimed):
            continue
        rows = []
        for raw in claimed.read_bytes().splitlines():
            try:
                row = json.loads(raw)
                row["at"] = parse_datetime(row["at"])
                if not isinstance(row["link_id"], int) or row["at"] is None:
                    raise ValueError(raw)
                rows.append(row)
            except (ValueError, KeyError, TypeError):  # a line cut off by a crash mid-write; never retried
                logger.warning("click spool: skipped a malformed line in %s", claimed.name)
        stored += _store(name, rows)
        claimed.unlink()
    if stored:
        ClickBatch.objects.filter(stored_at__lt=timezone.now() - timedelta(days=2)).delete()
    return stored


spool = ClickSpool()
