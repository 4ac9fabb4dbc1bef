"""What every benchmark here needs: a PostgreSQL database, gunicorn, a client, CPU accounting.

Everything stays on 127.0.0.1. Imported by the scripts in ``bench/`` as ``support.harness``
(``bench/`` is the running script's directory, so it is on ``sys.path``).
"""

import contextlib
import http.client
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable
THROWAWAY_DB = "hotline_bench"
PING_PATH = "/bench/ping/"
START_TIMEOUT = 60  # seconds for gunicorn to start, and to spread connections over it
LOCK_SAMPLER = "bench lock sampler"  # its connection and CPU are left out of the accounts
# Tables the benchmarks write; CASCADE also empties the tables that point at reports (events,
# and the audit seals and queue that point at events).
REPORT_TABLES = (
    "reports_report",
    "reports_partnersubmission",
    "reports_event",
    "reports_auditchainhead",
    "reports_auditcheckpoint",
)


class BenchError(Exception):
    """Something went wrong that makes the figures meaningless."""


def env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        raise BenchError(f"{name} must be a whole number, not {os.environ[name]!r}.") from None
    if value < 1:
        raise BenchError(f"{name} must be at least 1, not {value}.")
    return value


# --- Database -----------------------------------------------------------------------------------


class Database:
    """The database the server writes to: a throwaway one, or DATABASE_URL's."""

    def __init__(self):
        self.given = os.environ.get("DATABASE_URL")
        self.admin_url = os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
        if self.given and not self.given.startswith(("postgres://", "postgresql://")):
            raise BenchError("The benchmarks need PostgreSQL: DATABASE_URL must be postgres://...")
        self.url = self.given or urlsplit(self.admin_url)._replace(path=f"/{THROWAWAY_DB}").geturl()
        self.name = "DATABASE_URL" if self.given else f"{THROWAWAY_DB} (throwaway)"
        self._chain_head: tuple | None = None  # a given database's audit chain head at start
        # PostgreSQL's CPU is read from /proc, which only works on this machine.
        self.local = urlsplit(self.url).hostname in (None, "", "127.0.0.1", "localhost", "::1")

    def create(self) -> None:
        if not self.given:
            self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            self._admin("CREATE DATABASE {}")

    def drop(self) -> None:
        """Drop the throwaway database; a given one is emptied of what the run wrote."""
        if not self.given:
            self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            return
        self.truncate()
        # The events went with the reports: the audit chain head goes back to where it was.
        with self.connect() as conn:
            if self._chain_head:
                conn.execute(
                    "UPDATE reports_auditchainhead SET seq = %s, hash = %s WHERE id = 1",
                    self._chain_head,
                )
            elif self._chain_head is not None:
                conn.execute("DELETE FROM reports_auditchainhead")

    def _admin(self, statement: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(THROWAWAY_DB)))

    def connect(self, **options) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, **options)

    def check_empty(self) -> None:
        """Refuse a given database that holds reports; note its audit chain head."""
        count = self.count("reports_report")
        if count:
            raise BenchError(
                f"DATABASE_URL's database already holds {count} reports; the benchmark empties "
                "the report tables between phases, so give it a database of its own (or unset "
                "DATABASE_URL to use a throwaway one)."
            )
        with self.connect() as conn:
            if conn.execute("SELECT to_regclass('reports_auditchainhead')").fetchone()[0]:
                head = "SELECT seq, hash FROM reports_auditchainhead WHERE id = 1"
                self._chain_head = conn.execute(head).fetchone() or ()

    def truncate(self) -> None:
        """Empty the report tables and force a checkpoint, so that each run starts alike."""
        tables = sql.SQL(", ").join(sql.Identifier(name) for name in REPORT_TABLES)
        with self.connect() as conn:
            with conn.transaction():
                # The audit trail's triggers refuse TRUNCATE; the benchmarks connect as a
                # superuser, whose replica mode skips them (the service's role cannot do this).
                conn.execute("SET LOCAL session_replication_role = replica")
                conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(tables))
            # Without superuser rights a checkpoint may land inside a measured run.
            with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
                conn.execute("CHECKPOINT")

    def count(self, table: str) -> int:
        with self.connect() as conn:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            return conn.execute(query).fetchone()[0]

    def backend_pids(self) -> list[int]:
        """PostgreSQL processes working for this database, plus its background processes."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE (datname = current_database() OR backend_type <> 'client backend')"
                " AND application_name <> %s",
                (LOCK_SAMPLER,),
            ).fetchall()
        return [pid for (pid,) in rows]


# --- Server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with gthread workers, serving the project plus the routes of ``bench.support``.

    DEBUG is off (HOTLINE_ENV=production, with SSL redirection off for plain HTTP on
    127.0.0.1), there is no access log, and the throttles let everything through.
    """

    def __init__(self, database: Database, workdir: Path, *, workers: int, threads: int):
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.log = workdir / "gunicorn.log"
        static_root = workdir / "static"
        static_root.mkdir()
        unlimited = "1000000/s"
        self.env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "bench.support.settings",
            "DATABASE_URL": database.url,
            "HOTLINE_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "HOTLINE_AUDIT_SIGNING_KEY": Ed25519PrivateKey.generate()
            .private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            .decode(),
            "HOTLINE_SECRETS_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            # The throttles stay in the request path but never refuse. A per-second rate keeps
            # DRF's per-client history (pickled into the cache on every request) as short as a
            # real per-minute limit keeps it: with "1000000/min" each request's cost would grow
            # with the number of requests of the last minute.
            "HOTLINE_PUBLIC_INTAKE_RATE": unlimited,
            "HOTLINE_PARTNER_RATE": unlimited,
            "HOTLINE_STATUS_RATE": unlimited,
            # Production requires a broker and a shared cache; in-process stand-ins keep the
            # run on this machine (intake queues nothing, and the throttles never refuse).
            "CELERY_BROKER_URL": "memory://",
            "CACHE_URL": "locmemcache://bench",
            "HOTLINE_VAR_DIR": str(workdir / "var"),
            "STATIC_ROOT": str(static_root),
            "LOG_LEVEL": "ERROR",  # 4xx answers would otherwise log a line each
        }
        self.process: subprocess.Popen | None = None

    def description(self) -> str:
        return f"gunicorn, {self.workers} gthread workers x {self.threads} threads"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise BenchError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self) -> None:
        command = [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=gthread",
            f"--threads={self.threads}",
            "--keep-alive=30",
            "--timeout=120",
            "--log-level=warning",
            f"--error-logfile={self.log}",
            f"--chdir={ROOT}",
        ]  # and no --access-logfile: access logging stays off
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        # Ready when every worker has answered: one that is still importing the project would
        # leave all the first connections to the others.
        answered: set[str] = set()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited at start:\n{self.log_tail()}")
            worker = self._ping()
            if worker:
                answered.add(worker)
                if len(answered) == self.workers:
                    return
            time.sleep(0.05)
        raise BenchError(
            f"{len(answered)} of {self.workers} gunicorn workers answered within"
            f" {START_TIMEOUT} s:\n{self.log_tail()}"
        )

    def _ping(self) -> str:
        """The process id of the worker that answers a new connection, or "" if none does."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", PING_PATH)
            response = conn.getresponse()
            worker = response.read().decode()
            conn.close()
        except (OSError, http.client.HTTPException):
            return ""
        if response.status != 200:
            raise BenchError(f"GET {PING_PATH} answered {response.status}:\n{self.log_tail()}")
        return worker

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self) -> str:
        try:
            return self.log.read_text()[-3000:]
        except OSError:
            return "(no log)"

    def connections(self, count: int) -> list[http.client.HTTPConnection]:
        """``count`` keep-alive connections, spread evenly over the workers.

        A gthread worker keeps every connection it accepts, and which worker accepts is a race:
        left alone, all of a run's connections can land on one worker (one process, one GIL, one
        core) while the other idles, and the figures then swing by a factor of two from run to
        run. A load balancer in front of gunicorn would spread them, so the client does: it asks
        each new connection which worker answers, and keeps it only if that worker has fewer
        than its share.
        """
        share = math.ceil(count / self.workers)
        kept: list[http.client.HTTPConnection] = []
        per_worker: dict[str, int] = {}
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            conn.request("GET", PING_PATH)
            worker = conn.getresponse().read().decode()
            if per_worker.get(worker, 0) < share:
                per_worker[worker] = per_worker.get(worker, 0) + 1
                kept.append(conn)
                if len(kept) == count:
                    return kept
            else:
                conn.close()
                time.sleep(0.01)  # give a busy worker's sibling the time to accept
        for conn in kept:
            conn.close()
        raise BenchError(f"could not spread {count} connections over the workers: {per_worker}")


# --- Measuring ----------------------------------------------------------------------------------


def process_cpu(pids) -> float:
    """CPU seconds (user + system) the processes have used so far; 0 for any that is gone."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot; iowait counts as idle.

    The first line of /proc/stat: user nice system idle iowait irq softirq steal, then guest
    times that ``user`` and ``nice`` already include.
    """
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


class CpuMeter:
    """Who used the cores during a run: the load generator, gunicorn, PostgreSQL, the rest.

    It also samples how many of the database's connections wait for a lock (a row lock that
    every request needs makes them queue, whatever the CPU).
    """

    LOCK_SAMPLE_INTERVAL = 0.1  # seconds

    def __init__(self, server: Server, database: Database):
        self.server = server
        self.database = database
        self.available = Path("/proc/stat").exists()

    def lock_waits(self, stop: threading.Event) -> tuple[float, float]:
        """Mean number of this database's connections waiting for a lock, until ``stop``.

        Also returns the CPU seconds the sampling took here, for the client's account.
        """
        total = samples = 0
        with self.database.connect(application_name=LOCK_SAMPLER) as conn:
            while not stop.wait(self.LOCK_SAMPLE_INTERVAL):
                total += conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                ).fetchone()[0]
                samples += 1
            return (total / samples if samples else 0.0), time.thread_time()

    def snapshot(self) -> dict | None:
        if not self.available:
            return None
        postgres = None  # unknown: a remote server's processes are not in this /proc
        if self.database.local:
            postgres = {pid: process_cpu([pid]) for pid in self.database.backend_pids()}
        return {
            "client": time.process_time(),
            "server": process_cpu(self.server.worker_pids()),
            "postgres": postgres,
            "machine": machine_ticks(),
        }

    @staticmethod
    def usage(before: dict | None, after: dict | None) -> dict[str, float]:
        """CPU seconds per side between two snapshots, and the share of all cores busy."""
        if before is None or after is None:
            return {}
        busy = after["machine"][0] - before["machine"][0]
        total = max(1, after["machine"][1] - before["machine"][1])
        used = {
            "client": after["client"] - before["client"],
            "server": after["server"] - before["server"],
        }
        if after["postgres"] is not None:
            used["postgres"] = sum(
                seconds - before["postgres"].get(pid, 0.0)
                for pid, seconds in after["postgres"].items()
            )
        # What the rest of the machine used (the first line of /proc/stat sums all cores): another
        # job here skews the rates far more than the CPU costs per request.
        other = busy / os.sysconf("SC_CLK_TCK") - sum(used.values())
        return used | {"busy": busy / total, "other": max(0.0, other)}


@dataclass
class Outcome:
    """One measured run, or several added together."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    items: int = 0  # requests (public) or URLs / rows carried (bulk)
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # seconds per side, see CpuMeter
    lock_waits: float = 0.0  # mean connections waiting for a lock, see CpuMeter
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, latency: float, items: int = 1) -> None:
        with self._lock:
            self.latencies.append(latency)
            self.items += items

    def fail(self, failure: str) -> None:
        with self._lock:
            self.failures.append(failure)

    def run_threads(self, meter: CpuMeter, target, args_list, timeout: float) -> None:
        """Run one thread per entry of ``args_list``; record wall time and CPU used."""
        threads = [threading.Thread(target=target, args=args, daemon=True) for args in args_list]
        stop = threading.Event()
        waits: list[tuple[float, float]] = []
        sampler = threading.Thread(target=lambda: waits.append(meter.lock_waits(stop)))
        sampler.start()
        try:
            before = meter.snapshot()
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=max(0.0, began + timeout - time.perf_counter()))
            self.elapsed = time.perf_counter() - began
            after = meter.snapshot()
        finally:
            stop.set()
            sampler.join()
        self.lock_waits, sampling_cpu = waits[0] if waits else (0.0, 0.0)
        self.cpu = CpuMeter.usage(before, after)
        if self.cpu:
            self.cpu["client"] -= sampling_cpu
            self.cpu["other"] += sampling_cpu
        if any(thread.is_alive() for thread in threads):
            raise BenchError(f"a load thread was still running after {timeout:.0f} s")

    def merge(self, other: "Outcome") -> None:
        """Add another run of the same measurement: rounds are summed, not averaged."""
        busy = self.cpu.get("busy", 0.0) * self.elapsed + other.cpu.get("busy", 0.0) * other.elapsed
        waits = self.lock_waits * self.elapsed + other.lock_waits * other.elapsed
        self.latencies += other.latencies
        self.failures += other.failures
        self.items += other.items
        self.elapsed += other.elapsed
        for side in ("client", "server", "postgres", "other"):
            if side in other.cpu:
                self.cpu[side] = self.cpu.get(side, 0.0) + other.cpu[side]
        if "busy" in other.cpu:
            self.cpu["busy"] = busy / self.elapsed
        self.lock_waits = waits / self.elapsed if self.elapsed else 0.0

    @property
    def rate(self) -> float:
        return self.items / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        return 1000 * ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]

    def cpu_per_item(self, side: str) -> float:
        """CPU milliseconds one side spent per request (or per URL), NaN where unmeasured."""
        if side not in self.cpu or not self.items:
            return math.nan
        return 1000 * self.cpu[side] / self.items

    def check(self, name: str) -> None:
        if self.failures:
            sample = "\n    ".join(self.failures[:5])
            raise BenchError(f"{name}: {len(self.failures)} failed requests, e.g.\n    {sample}")


def post(conn: http.client.HTTPConnection, path: str, body, headers) -> tuple[int, bytes, float]:
    """One request on a keep-alive connection (http.client reconnects if the server closed it)."""
    began = time.perf_counter()
    try:
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException):
        conn.close()
        raise
    return response.status, payload, time.perf_counter() - began


class TimeLimit(BaseException):
    """Raised by the alarm: a BaseException, so an ``except Exception`` in the app lets it by."""


def _on_alarm(signum, frame):
    raise TimeLimit


def bench_main(script: str, run, *, time_limit: int | None = None, errors=(BenchError,)) -> int:
    """Run ``run(workdir)`` in a temporary folder; clean up and say why on error or time-out.

    A plain kill ends the run through the same clean-up as an error.
    """
    began = time.perf_counter()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    limit = env_int("BENCH_TIME_LIMIT", time_limit) if time_limit else 0
    if limit:
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(limit)
    try:
        with tempfile.TemporaryDirectory(prefix="hotline-bench-") as workdir:
            run(Path(workdir))
    except errors as exc:
        print(f"bench/{script}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except TimeLimit:
        print(f"bench/{script}: stopped after BENCH_TIME_LIMIT={limit} s", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
    print(f"  (whole run {time.perf_counter() - began:.0f} s)")
    return 0
