import contextlib
import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandParser


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(child.pid, sig)


class Command(BaseCommand):
    help = "Run the web server and the django-q2 worker cluster together; Ctrl-C (or SIGTERM) stops both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options) -> None:  # type: ignore[no-untyped-def]
        manage = [sys.executable, "manage.py"]
        # Children get their own sessions so that this process alone decides when and how they stop.
        children = [
            subprocess.Popen([*manage, "qcluster"], start_new_session=True),
            subprocess.Popen([*manage, "runserver", addrport], start_new_session=True),
        ]
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
        # SIGTERM, not SIGINT: a shell that starts us in the background makes its children ignore SIGINT.
        # qcluster's master stops its own workers (finishing the task at hand); runserver's autoreloader runs
        # the server in a grandchild, so its whole process group is signalled.
        cluster, web = children
        cluster.send_signal(signal.SIGTERM)
        _signal_group(web, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
        time.sleep(0.5)  # let grandchildren that got the signal finish exiting
        for child in children:
            _signal_group(child, signal.SIGKILL)  # whatever still lingers in a group
        self.stdout.write("Web server and workers stopped.")
