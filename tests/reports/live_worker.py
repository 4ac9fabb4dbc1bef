"""Real Celery worker and beat processes for the live timer tests.

The processes run ``celery -A config worker`` / ``celery -A config beat`` from this checkout,
against the test database (the one pytest-django created, read from the live connection) and a
redis-server the tests start themselves (``RedisServer``, on a free port: flushing or stopping it
touches nobody else's Redis), which the test process publishes to as well (see ``use_broker``).
Every wait here is bounded, and every process started is stopped by ``stop_all``.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import redis
from celery import current_app
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
KEEP_RUNNING = str(BASE_DIR / "bin" / "keep-running")  # the supervisor `make run` uses
RESTARTED = re.compile(r"^keep-running: .* exited with status")
# Kept clear of the shared Redis on 6379, and a band of its own for each test process
# (pytest-xdist's gw0, gw1, ...): a port that one process's server left free during an outage
# test must not be taken by another process's new server.
REDIS_PORT_BAND = 10
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_BAND = int(_WORKER[2:]) if _WORKER[2:].isdigit() else 0
REDIS_PORTS = range(6401 + REDIS_PORT_BAND * _BAND, 6401 + REDIS_PORT_BAND * (_BAND + 1))
START_TIMEOUT = 45.0  # seconds for a worker or beat to come up on a busy machine
STOP_TIMEOUT = 8.0

SWEEP_TASK = "reports.tasks.sweep_due"
SWEEP_DONE = re.compile(r"Task reports\.tasks\.sweep_due\[[^\]]+\] succeeded in [^:]+: (.*)$")
WAKE_DONE = re.compile(r"Task reports\.tasks\.notice_wake\[[^\]]+\] succeeded in [^:]+: (.*)$")
WAKE_RECEIVED = re.compile(r"Task reports\.tasks\.notice_wake\[[^\]]+\] received")
ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback")


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, every=0.1):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(every)


def worker_database_url() -> str:
    """DATABASE_URL of the database this test process uses (pytest-django's test_<name>)."""
    params = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("the live worker tests need PostgreSQL")
    auth = quote(params.get("USER") or "", safe="")
    if params.get("PASSWORD"):
        auth += ":" + quote(params["PASSWORD"], safe="")
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{quote(params['NAME'], safe='')}"


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class RedisServer:
    """A redis-server of the test's own on 127.0.0.1, without persistence: what it holds is
    lost when it stops, as in an outage or a FLUSHALL."""

    def __init__(self, workdir: Path):
        self.port = next((port for port in REDIS_PORTS if _port_free(port)), None)
        if self.port is None:
            raise RuntimeError(f"no free port for a redis-server in {REDIS_PORTS}")
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.popen: subprocess.Popen | None = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=5)

    def start(self) -> None:
        argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        log = (self.workdir / f"redis-{self.port}.log").open("ab")
        self.popen = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()

        def answers():
            if self.popen.poll() is not None:
                raise AssertionError(f"redis-server on port {self.port} exited")
            try:
                return self.client().ping()
            except redis.ConnectionError:
                return False

        wait_until(answers, timeout=START_TIMEOUT, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        """Gone at once, like a crashed Redis: nothing saved."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=STOP_TIMEOUT)


def _reset_producer_pools(app) -> None:
    """Close the app's broker connections; the next publish connects to the broker now set."""
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    # Closes every pooled connection and empties kombu's registry, which is keyed by URL: a
    # closed pool left in it would be handed out again ("Acquire on closed pool").
    kombu.pools.reset()


# Celery reads these from the environment before its configuration (``Settings.broker_url``).
BROKER_ENV = ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL")


@contextmanager
def use_broker(url: str) -> Iterator[None]:
    """Make this process's Celery app (``on_commit`` send_task included) publish to ``url``."""
    app = current_app._get_current_object()
    before = app.conf.broker_url
    environ_before = {name: os.environ.get(name) for name in BROKER_ENV}
    _reset_producer_pools(app)
    for name in BROKER_ENV:
        os.environ.pop(name, None)
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url = url
    try:
        if app.connection_for_write().as_uri(include_password=True) != url:
            raise RuntimeError(f"could not point this process's Celery app at {url}")
        yield
    finally:
        _reset_producer_pools(app)
        for name, value in environ_before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        app.conf.broker_url = before


class Proc:
    """One started celery process and its log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path, node=""):
        self.name = name
        self.node = node  # a worker's node name, for remote control
        self.offset = 0  # log lines before this one belong to an earlier test
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            argv,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: signals reach it and only it
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def mark(self) -> None:
        """From now on, ``lines`` and ``errors`` only look at what is logged after this."""
        self.offset = len(self.text().splitlines())

    def lines(self, pattern: re.Pattern) -> list[re.Match]:
        logged = self.text().splitlines()[self.offset :]
        return [match for line in logged if (match := pattern.search(line))]

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_for_log(self, needle: str, timeout: float = START_TIMEOUT) -> None:
        def seen():
            if not self.alive():
                raise AssertionError(f"{self.name} exited early:\n{self.tail()}")
            return needle in self.text()

        try:
            wait_until(seen, timeout=timeout, what=f"{needle!r} from {self.name}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.tail()}") from None

    def signal(self, signum: int) -> None:
        if self.alive():
            os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, nothing handed back to the broker. Idempotent."""
        try:
            self.signal(signal.SIGKILL)
            self.popen.wait(timeout=STOP_TIMEOUT)
        finally:
            self._log_file.close()

    def tail(self, lines: int = 40) -> str:
        text = self.text().splitlines()[self.offset :][-lines:]
        return f"--- last lines of {self.name} ({self.log}) ---\n" + "\n".join(text)


class LiveCelery:
    """Starts workers and beat with one environment, shared with this process's settings when
    ``django_settings`` (pytest-django's fixture) is given."""

    def __init__(self, tmp_path: Path, broker_url: str, django_settings=None):
        self.tmp_path = tmp_path
        self.broker_url = broker_url
        self.settings = django_settings
        self.procs: list[Proc] = []
        var_dir = tmp_path / "var"
        var_dir.mkdir(exist_ok=True)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_URL": "memorymail://",
            "HOTLINE_VAR_DIR": str(var_dir),
            "HOTLINE_SWEEP_INTERVAL_SECONDS": "1",
            # The outbox as the tests' own settings have it: each message formed at once, and
            # the beat's drain as often as its sweep.
            "HOTLINE_NOTICE_GROUP_WINDOW": "0",
            "HOTLINE_DELIVERY_SWEEP_SECONDS": "1",
            "LOG_LEVEL": "INFO",
            # No outside system is running for these: the hosting lookup records "not
            # configured" instead of waiting for a DNS server that is not there.
            "HOTLINE_DNS_RESOLVERS": "",
            "HOTLINE_SANDBOX": "",
            "HOTLINE_PROBES_ENABLED": "false",
            # Django's system checks are the suite's business; skipping them at every worker
            # start saves seconds per process.
            "CELERY_SKIP_CHECKS": "1",
        }

    def broker_client(self) -> redis.Redis:
        return redis.Redis.from_url(self.broker_url, socket_timeout=5)

    def configure(self, **values) -> None:
        """Set HOTLINE_* settings for every process started afterwards (and for this one)."""
        for name, value in values.items():
            if self.settings is not None:
                setattr(self.settings, name, value)
            self.env[name] = str(value)

    def _celery(self, name: str, *args: str, node: str = "", supervised=False) -> Proc:
        argv = [sys.executable, "-m", "celery", "-A", "config", *args, "--loglevel=INFO"]
        if supervised:
            argv = [KEEP_RUNNING, *argv]
        proc = Proc(name, argv, dict(self.env), self.tmp_path / f"{name}.log", node)
        self.procs.append(proc)
        return proc

    def start_worker(
        self,
        name: str = "worker",
        *,
        wait: bool = True,
        supervised=False,
        queues="celery,delivery",
    ) -> Proc:
        """``supervised``: under bin/keep-running, as `make run` starts it; ``queues``: what it
        serves (comma-separated; by default the timers' and the outbox's)."""
        node = f"{name}-{os.getpid()}@127.0.0.1"
        proc = self._celery(
            name,
            "worker",
            "--pool=threads",
            "--concurrency=4",
            "-Q",
            queues,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            node,
            node=node,
            supervised=supervised,
        )
        if wait:
            self.wait_worker_ready(proc)
        return proc

    def wait_worker_ready(self, proc: Proc) -> None:
        proc.wait_for_log(" ready.")
        # Over the broker this process publishes to: the worker answers, so it consumes there.
        app = current_app._get_current_object()
        wait_until(
            lambda: app.control.ping(destination=[proc.node], timeout=1.0),
            timeout=15,
            what=f"{proc.node} to answer a ping on {self.broker_url}",
        )

    def start_beat(self, *, wait: bool = True, supervised=False) -> Proc:
        proc = self._celery(
            "beat",
            "beat",
            "--schedule",
            str(self.tmp_path / "celerybeat-schedule"),
            "--pidfile",
            str(self.tmp_path / "celerybeat.pid"),
            supervised=supervised,
        )
        if wait:
            proc.wait_for_log("beat: Starting")
        return proc

    def errors(self) -> list[str]:
        """Error lines and tracebacks the processes logged (a task that raised, a failed sweep)."""
        return [
            f"{proc.name}: {match.string}"
            for proc in self.procs
            for match in proc.lines(ERROR_LINE)
        ]

    def stop_all(self) -> None:
        """Kill what is still running: broker and database are emptied right after, so a
        graceful shutdown (seconds each) would buy nothing."""
        for proc in reversed(self.procs):
            try:
                proc.kill()  # a no-op for one killed already
            except Exception as exc:  # keep stopping the others
                print(f"stopping {proc.name} failed: {exc!r}")
            print(proc.tail())  # shown by pytest when the test failed


def sweeps_done(worker: Proc) -> list[str]:
    """The summaries of the sweeps the worker finished."""
    return [match.group(1) for match in worker.lines(SWEEP_DONE)]


def wait_for_sweeps(worker: Proc, count: int, *, timeout: float = 15) -> list[str]:
    """Wait until the worker has finished ``count`` more beat sweeps than it had so far."""
    target = len(sweeps_done(worker)) + count
    wait_until(
        lambda: len(sweeps_done(worker)) >= target,
        timeout=timeout,
        what=f"{count} more sweeps by {worker.name}",
    )
    return sweeps_done(worker)[target - count : target]


def sweep_through(worker: Proc, *, timeout: float = 15) -> str:
    """Run one sweep as beat would (the task, through the worker); return its summary."""
    before = len(sweeps_done(worker))
    current_app.send_task(SWEEP_TASK)
    wait_until(
        lambda: len(sweeps_done(worker)) > before,
        timeout=timeout,
        what=f"a sweep through {worker.name}",
    )
    return sweeps_done(worker)[before]


def queued_tasks(client: redis.Redis) -> list[dict]:
    """Every task message the broker holds: waiting in the queue or reserved by a worker."""
    messages = [json.loads(raw) for raw in client.lrange("celery", 0, -1)]
    messages += [json.loads(raw)[0] for raw in client.hvals("unacked")]
    return [message["headers"] for message in messages]
