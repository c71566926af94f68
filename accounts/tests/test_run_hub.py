"""`make run` ends in `manage.py run_hub`: the web server and the workers start together and stop together."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BASE = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["terminal", "started-in-background"])
def test_web_server_and_workers_start_and_stop_together(tmp_path, sigint_ignored):
    """A shell that starts a command in the background makes it ignore SIGINT, and so its children."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}", "DEBUG": "1"}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE, env=env, check=True, timeout=120)
    port = _free_port()
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    hub = subprocess.Popen([sys.executable, "manage.py", "run_hub", f"127.0.0.1:{port}"], cwd=BASE, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=ignore)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the web server did not come up"
                time.sleep(0.3)
        children = _children(hub.pid)
        commands = [Path(f"/proc/{c}/cmdline").read_text().replace("\0", " ") for c in children]
        assert any("qcluster" in c for c in commands) and any("runserver" in c for c in commands)

        everyone = _descendants(hub.pid)  # runserver's autoreloaded server and qcluster's workers too
        assert len(everyone) > len(children)
        hub.send_signal(signal.SIGINT)  # what Ctrl-C delivers
        hub.wait(timeout=10)
        assert not [c for c in everyone if _alive(c)]
        time.sleep(0.5)
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, "something still serves the port"
    finally:
        if hub.poll() is None:
            hub.kill()
