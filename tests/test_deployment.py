"""The production deployment: what a user of the image and of `docker compose up` relies on.

No Docker engine is needed. docker-compose.yml is read with PyYAML and the Dockerfile as text;
the production settings are imported in fresh processes; the image's web command and the
healthchecks of web, the workers and beat are run here, as written, against local processes.
(`.ci/run` also has Compose itself validate the file with `docker compose config`.)
"""

import json
import os
import secrets
import shlex
import socket
import string
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from hotline.audit.checkpoints import signing_key_generate
from hotline.secrets import secrets_key_generate

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

SERVICES = {"db", "redis", "migrate", "web", "worker", "delivery", "lookups", "probes", "beat"}
APP_SERVICES = ("migrate", "web", "worker", "delivery", "lookups", "probes", "beat")
LONG_RUNNING = ("db", "redis", "web", "worker", "delivery", "lookups", "probes", "beat")
# The workers of their own queues: (service, queue), each node named after its queue.
QUEUE_WORKERS = (("delivery", "delivery"), ("lookups", "lookups"), ("probes", "probes"))
IMAGE_PORT = "8000"


# --- helpers --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(KEYWORD, arguments) for each instruction, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        keyword, _, arguments = (current + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def dockerfile_values(keyword: str) -> list[str]:
    return [arguments for name, arguments in dockerfile_instructions() if name == keyword]


def image_cmd() -> list[str]:
    (cmd,) = dockerfile_values("CMD")
    return json.loads(cmd)  # exec form: gunicorn is PID 1 and gets the stop signal


def image_healthcheck() -> list[str]:
    (healthcheck,) = dockerfile_values("HEALTHCHECK")
    _options, _, command = healthcheck.partition("CMD ")
    return json.loads(command)


def web_command(compose: dict) -> list[str]:
    """What the web service runs: its own command, or else the image's CMD."""
    command = compose["services"]["web"].get("command")
    if command is None:
        return image_cmd()
    return shlex.split(command) if isinstance(command, str) else command


def random_secret_key(length: int = 50) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: str) -> bool:
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def raw_request(port: str, data: bytes) -> bytes:
    """The status line of the answer to raw bytes sent to 127.0.0.1:port."""
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as connection:
        connection.sendall(data)
        return connection.recv(256).split(b"\r\n", 1)[0]


AUDIT_SIGNING_KEY = signing_key_generate()
SECRETS_KEY = secrets_key_generate()


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment like the image's: production, a database and broker in tmp."""
    static_root = tmp_path / "static"
    static_root.mkdir(exist_ok=True)
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "CACHE_URL": "locmemcache://deployment-test",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),  # gunicorn's control socket goes under ~/.gunicorn
        "HOTLINE_ENV": "production",
        "HOTLINE_AUDIT_SIGNING_KEY": AUDIT_SIGNING_KEY,
        "HOTLINE_SECRETS_KEY": SECRETS_KEY,
        "HOTLINE_VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(static_root),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def run(command: list[str], env: dict[str, str], timeout: float = 120):
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def compose_shell(test: list[str]) -> str:
    """The shell line of a CMD-SHELL healthcheck, with Compose's `$$` escape undone."""
    assert test[0] == "CMD-SHELL", test
    return test[1].replace("$$", "$")


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    return process.stdout.read() if process.stdout else ""


# --- docker-compose.yml ---------------------------------------------------------------------


def test_compose_has_the_nine_services_and_no_version_key(compose):
    assert set(compose["services"]) == SERVICES
    assert "version" not in compose  # the Compose specification has none


def test_compose_runs_postgresql_16_and_redis_7(compose):
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    # The database lives in a named volume, not in the container.
    volume, _, target = services["db"]["volumes"][0].partition(":")
    assert volume in compose["volumes"]
    assert target == "/var/lib/postgresql/data"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck(compose, name):
    healthcheck = compose["services"][name].get("healthcheck", {})
    assert not healthcheck.get("disable"), f"{name}: healthcheck disabled"
    test = healthcheck.get("test")
    assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{name}: no healthcheck test"
    expected = {
        "db": "pg_isready",
        "redis": "redis-cli ping",
        "web": "/healthz",
        "worker": "inspect ping",
        "delivery": "inspect ping --destination delivery@",
        "lookups": "inspect ping --destination lookups@",
        "probes": "inspect ping --destination probes@",
        "beat": "inspect ping",
    }[name]
    assert expected in " ".join(test)


def test_migrate_runs_once_after_the_database_is_healthy(compose):
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ["web", "worker", "lookups", "probes", "beat"])
def test_app_services_start_after_migrate_and_a_healthy_redis(compose, name):
    depends_on = compose["services"][name]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_web_worker_beat_and_migrate_share_image_build_and_environment(compose):
    services = compose["services"]
    shared_env = compose["x-hotline-env"]
    for name in APP_SERVICES:
        assert services[name]["image"] == services["web"]["image"], name
        assert services[name]["build"] == services["web"]["build"], name
        assert services[name]["environment"] == shared_env, name
    # ... and through the anchor, not copies that could drift apart.
    text = COMPOSE_FILE.read_text()
    assert text.count("environment: *hotline-env") == 1
    assert text.count("<<: *hotline-app") == len(APP_SERVICES)


def test_shared_environment_points_at_the_compose_services(compose):
    env = compose["x-hotline-env"]
    assert env["HOTLINE_ENV"] == "production"
    database = urllib.parse.urlsplit(env["DATABASE_URL"])
    assert (database.scheme, database.username, database.hostname) == ("postgres", "hotline", "db")
    assert (database.port, database.path) == (5432, "/hotline")
    assert "${POSTGRES_PASSWORD" in env["DATABASE_URL"]
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert env["CACHE_URL"] == "redis://redis:6379/1"
    # No egress proxy unless one is set: the removal checks then connect directly.
    assert env["HOTLINE_PROBE_PROXY"] == "${HOTLINE_PROBE_PROXY:-}"
    # The default hosts include the one the healthcheck sends when nothing else is set.
    assert env["ALLOWED_HOSTS"].startswith("${ALLOWED_HOSTS:-localhost")


def test_secret_key_is_never_hard_coded(compose):
    assert compose["x-hotline-env"]["SECRET_KEY"] == "${SECRET_KEY:-}"
    for name, service in compose["services"].items():
        environment = service.get("environment") or {}
        if "SECRET_KEY" in environment:
            assert environment["SECRET_KEY"] == "${SECRET_KEY:-}", name
    # The image keeps no key either: only the collectstatic RUN line has a throwaway one.
    for arguments in dockerfile_values("ENV") + dockerfile_values("ARG"):
        assert "SECRET_KEY" not in arguments
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert example["SECRET_KEY"] == ""


def test_beat_is_never_scaled(compose):
    beat = compose["services"]["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert beat.get("scale", 1) == 1
    assert "container_name" not in compose["services"]["web"]  # web and worker can scale
    assert "container_name" not in compose["services"]["worker"]


def test_worker_and_beat_commands(compose):
    services = compose["services"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    beat = services["beat"]["command"]
    assert beat[:4] == ["celery", "-A", "config", "beat"]
    assert beat[beat.index("--schedule") + 1] == "/tmp/celerybeat-schedule"  # noqa: S108
    # The beat healthcheck relies on beat answering remote-control pings.
    assert "--enable-remote-control" in beat
    assert "celerybeat@$$HOSTNAME" in services["beat"]["healthcheck"]["test"][1]
    assert "celery@$$HOSTNAME" in services["worker"]["healthcheck"]["test"][1]
    # Each worker serves its own queue: a slow DNS server or web host never holds up a deadline.
    assert services["worker"]["command"][4:6] == ["-Q", "celery"]
    for name, queue in QUEUE_WORKERS:
        command = services[name]["command"]
        assert command[:4] == ["celery", "-A", "config", "worker"], name
        assert command[4:6] == ["-Q", queue] and command[command.index("-n") + 1] == f"{queue}@%h"
        assert f"{queue}@$$HOSTNAME" in services[name]["healthcheck"]["test"][1]


def test_web_command_enables_no_access_log(compose):
    command = web_command(compose)
    assert command[:2] == ["gunicorn", "config.wsgi"]
    assert not any(arg.startswith(("--access-logfile", "--access-log")) for arg in command)
    for service in compose["services"].values():
        assert "GUNICORN_CMD_ARGS" not in (service.get("environment") or {})


# --- Dockerfile -----------------------------------------------------------------------------


def test_dockerfile_base_image_and_non_root_user():
    (base,) = dockerfile_values("FROM")
    assert base == "python:3.11-slim-bookworm"
    users = dockerfile_values("USER")
    assert users, "the image runs as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert "useradd" in " ".join(dockerfile_values("RUN"))


def test_dockerfile_installs_the_lock_file_and_collects_static_files():
    runs = dockerfile_values("RUN")
    assert any("pip install --no-cache-dir -r requirements.txt" in run for run in runs)
    (collect,) = [run for run in runs if "collectstatic" in run]
    for name in ("HOTLINE_ENV=production", "SECRET_KEY=", "ALLOWED_HOSTS="):
        assert name in collect
    assert any("HOTLINE_ENV=production" in env for env in dockerfile_values("ENV"))
    assert any("STATIC_ROOT=" in env for env in dockerfile_values("ENV"))


def test_dockerfile_web_command_is_gunicorn_without_access_log():
    command = image_cmd()
    assert command[:2] == ["gunicorn", "config.wsgi"]
    assert command[command.index("--bind") + 1] == f"0.0.0.0:{IMAGE_PORT}"
    assert "--workers" not in command and "-w" not in command  # gunicorn reads WEB_CONCURRENCY
    assert "--access-logfile" not in " ".join(
        arguments for _, arguments in dockerfile_instructions()
    )
    # gunicorn's warning for a malformed request names the client's address.
    assert command[command.index("--log-level") + 1] in {"error", "critical"}


def test_dockerfile_healthcheck_is_the_same_as_the_web_services(compose):
    image = image_healthcheck()
    assert image[0] == "python" and "urllib" in image[-1]
    assert compose["services"]["web"]["healthcheck"]["test"] == ["CMD", *image]


# --- production settings --------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"ALLOWED_HOSTS": "hotline.example.org"}, id="unset"),
        pytest.param({"ALLOWED_HOSTS": "hotline.example.org", "SECRET_KEY": ""}, id="empty"),
        pytest.param({}, id="neither-set"),
    ],
)
def test_production_settings_refuse_to_start_without_secret_key(tmp_path, extra):
    # Compose passes SECRET_KEY="" when .env has none: that must fail like an unset one.
    result = run(
        [sys.executable, "-c", "import django; django.setup()"], production_env(tmp_path, **extra)
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr.strip().splitlines()[-1]


def test_production_settings_refuse_to_start_without_the_audit_signing_key(tmp_path):
    env = production_env(
        tmp_path,
        SECRET_KEY=random_secret_key(),
        ALLOWED_HOSTS="hotline.example.org",
        HOTLINE_AUDIT_SIGNING_KEY="",
    )
    result = run([sys.executable, "-c", "import django; django.setup()"], env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    assert "HOTLINE_AUDIT_SIGNING_KEY" in last_line


def test_production_settings_refuse_to_start_without_the_secrets_key(tmp_path):
    env = production_env(
        tmp_path,
        SECRET_KEY=random_secret_key(),
        ALLOWED_HOSTS="hotline.example.org",
        HOTLINE_SECRETS_KEY="",
    )
    result = run([sys.executable, "-c", "import django; django.setup()"], env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    assert "HOTLINE_SECRETS_KEY" in last_line


def test_manage_check_deploy_passes_with_production_settings(tmp_path):
    env = production_env(
        tmp_path, SECRET_KEY=random_secret_key(), ALLOWED_HOSTS="hotline.example.org"
    )
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- the commands, run as written -----------------------------------------------------------


def test_image_web_command_and_healthcheck_work_in_production(tmp_path, compose):
    port = str(free_port())
    env = production_env(
        tmp_path,
        SECRET_KEY=random_secret_key(),
        ALLOWED_HOSTS="hotline.example.org,.hotline.example.org",
        WEB_CONCURRENCY="1",
    )
    command = image_cmd()
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    # The web command as the image runs it, with this interpreter and a free local port.
    web = subprocess.Popen(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    healthchecks = {
        "Dockerfile": image_healthcheck(),
        "docker-compose.yml web": compose["services"]["web"]["healthcheck"]["test"][1:],
    }
    try:
        wait_until(lambda: web.poll() is None and listening(port), 60, "gunicorn to listen")
        for where, check in healthchecks.items():
            address = f"127.0.0.1:{IMAGE_PORT}/healthz"
            assert address in check[-1], where
            probe = [
                sys.executable,
                *check[1:-1],
                check[-1].replace(address, f"127.0.0.1:{port}/healthz"),
            ]
            result = run(probe, env, timeout=30)
            # 0 only for a 200 from /healthz: HTTPS as the proxy says, Host from ALLOWED_HOSTS.
            assert result.returncode == 0, f"{where}: {result.stderr}"

        # Without the proxy's header, production redirects to HTTPS: the header is what works.
        status = raw_request(port, b"GET /healthz HTTP/1.0\r\nHost: hotline.example.org\r\n\r\n")
        assert b" 301 " in status
        # A malformed request: at gunicorn's default log level its warning names the address.
        assert b" 400 " in raw_request(port, b"NOT HTTP AT ALL\r\n\r\n")
    finally:
        output = stop(web)
    # No access log and no client address in the error log: the reporter's IP is never written.
    leaks = [line for line in output.splitlines() if "127.0.0.1" in line]
    assert not [line for line in leaks if "Listening at" not in line], output


@pytest.mark.redis
def test_worker_lookups_probes_and_beat_healthchecks_work_as_written(tmp_path, compose):
    # A Redis database of its own, so that nothing queued by other tests reaches this worker.
    broker = urllib.parse.urlsplit(settings.CELERY_BROKER_URL)._replace(path="/15").geturl()
    hostname = socket.gethostname()  # a container's HOSTNAME is its host name
    env = production_env(
        tmp_path,
        SECRET_KEY=random_secret_key(),
        ALLOWED_HOSTS="hotline.example.org",
        CELERY_BROKER_URL=broker,
        HOSTNAME=hostname,
    )
    services = compose["services"]
    workers = {
        name: [*services[name]["command"], "--concurrency=1"]
        for name in ("worker", *(name for name, _ in QUEUE_WORKERS))
    }
    beat_cmd = services["beat"]["command"]
    schedule = tmp_path / "celerybeat-schedule"
    beat_cmd[beat_cmd.index("--schedule") + 1] = str(schedule)
    celery = str(Path(sys.executable).with_name("celery"))
    processes = {
        name: subprocess.Popen(
            [celery, *cmd[1:]],
            cwd=ROOT,
            env=env | {"PATH": f"{Path(celery).parent}:{env['PATH']}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, cmd in {**workers, "beat": beat_cmd}.items()
    }
    check_env = env | {"PATH": f"{Path(celery).parent}:{env['PATH']}"}

    def shell(line: str) -> int:
        return run(["/bin/sh", "-c", line], check_env, timeout=60).returncode

    try:
        for name, process in processes.items():
            line = compose_shell(services[name]["healthcheck"]["test"])
            assert "--timeout 10" in line
            # Until the node is up, poll with a short wait for its answer; then run it as written.
            wait_until(
                lambda line=line, process=process: (
                    process.poll() is None
                    and shell(line.replace("--timeout 10", "--timeout 1")) == 0
                ),
                timeout=90,
                what=f"{name} to answer its healthcheck",
            )
            assert shell(line) == 0, name
        # A node that is not there does not answer: the check fails rather than passes.
        missing = compose_shell(services["worker"]["healthcheck"]["test"])
        assert (
            shell(
                missing.replace("$HOSTNAME", "nobody-here").replace("--timeout 10", "--timeout 2")
            )
            != 0
        )
    finally:
        outputs = {name: stop(process) for name, process in processes.items()}
    assert "ERROR" not in outputs["beat"], outputs["beat"]
