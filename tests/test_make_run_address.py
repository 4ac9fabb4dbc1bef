"""`make run HOST=… PORT=…`: the address it serves is the one notices name (HOTLINE_PUBLIC_URL),
unless one is given. The recipe is run with its Python swapped for a probe that loads the
settings as the served process would and stops there."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
    "django.setup(); from django.conf import settings; "
    "print('PUBLIC_URL=' + settings.HOTLINE_PUBLIC_URL); raise SystemExit(3)"
)


def run_settings(tmp_path, *make_args, env=None) -> str:
    """What the settings of `make run …` say HOTLINE_PUBLIC_URL is."""
    installed = tmp_path / "installed"  # stands in for the venv's stamp: nothing is installed
    installed.touch()
    python = f"{shlex.quote(sys.executable)} -c {shlex.quote(PROBE)}; exit 3; :"
    environment = {k: v for k, v in os.environ.items() if k != "HOTLINE_PUBLIC_URL"}
    environment.update(env or {})
    result = subprocess.run(
        ["make", "--no-print-directory", "run", f"STAMP={installed}", f"PY={python}", *make_args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    [line] = [line for line in result.stdout.splitlines() if line.startswith("PUBLIC_URL=")]
    return line.removeprefix("PUBLIC_URL=")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "http://127.0.0.1:8000"),
        (("PORT=8123",), "http://127.0.0.1:8123"),
        (("HOST=localhost", "PORT=9000"), "http://localhost:9000"),
    ],
)
def test_notices_name_the_address_make_run_serves(tmp_path, args, expected):
    assert run_settings(tmp_path, *args) == expected


def test_a_public_url_given_to_make_run_is_kept(tmp_path):
    given = {"HOTLINE_PUBLIC_URL": "https://hotline.example.org"}
    assert run_settings(tmp_path, "PORT=8123", env=given) == "https://hotline.example.org"
