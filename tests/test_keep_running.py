"""bin/keep-running, the supervisor `make run` and the README's commands start worker and beat
under: a process that exits is started again, and stopping the supervisor stops both."""

import signal
import subprocess
import time
from pathlib import Path

from django.conf import settings

KEEP_RUNNING = Path(settings.BASE_DIR) / "bin" / "keep-running"


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_command_that_dies_is_started_again_until_the_supervisor_is_stopped(tmp_path):
    starts = tmp_path / "starts"
    # Each run records itself; the first dies at once as a crashed worker would, the second
    # stays up until it is told to stop.
    script = f"echo $$ >> {starts}; [ $(wc -l < {starts}) -ge 2 ] && exec sleep 60; kill -9 $$"
    supervisor = subprocess.Popen([KEEP_RUNNING, "sh", "-c", script], stderr=subprocess.PIPE)
    try:
        wait_for(lambda: starts.exists() and len(starts.read_text().split()) == 2)
        second = int(starts.read_text().split()[1])

        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=10)
    finally:
        supervisor.kill()
    assert supervisor.returncode == 0
    assert b"sh exited with status 137; starting it again in 1 s" in supervisor.stderr.read()
    assert not Path(f"/proc/{second}").exists()  # the running command was stopped with it
