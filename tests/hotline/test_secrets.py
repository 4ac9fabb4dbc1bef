"""Secrets encrypted at rest (hotline/secrets.py): what one key writes, the same list reads;
a rotated list still reads the old; a list without the key says so. (Production's refusal to
start without HOTLINE_SECRETS_KEY: tests/test_deployment.py.)"""

import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from hotline.secrets import SecretUnreadable, secret_decrypt, secret_encrypt, secrets_key_generate

OLD, NEW = secrets_key_generate(), secrets_key_generate()


def test_a_secret_reads_back_and_is_not_stored_as_it_is(settings):
    settings.HOTLINE_SECRETS_KEY = OLD
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ünïcode"
    token = secret_encrypt(secret)
    assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in token
    assert token.isascii()
    assert token != secret_encrypt(secret)  # a fresh IV each time
    assert secret_decrypt(token) == secret


def test_after_a_rotation_old_secrets_still_read_and_new_ones_use_the_new_key(settings):
    settings.HOTLINE_SECRETS_KEY = OLD
    old_token = secret_encrypt("written before the rotation")
    settings.HOTLINE_SECRETS_KEY = f"{NEW}, {OLD}"
    assert secret_decrypt(old_token) == "written before the rotation"
    new_token = secret_encrypt("written after")
    settings.HOTLINE_SECRETS_KEY = NEW  # the old key retired
    assert secret_decrypt(new_token) == "written after"
    with pytest.raises(SecretUnreadable):
        secret_decrypt(old_token)


@pytest.mark.parametrize("token", ["", "not a token", "gAAAAAB-damaged", "é"])
def test_a_wrong_key_or_a_damaged_token_is_a_clear_error(settings, token):
    settings.HOTLINE_SECRETS_KEY = OLD
    token = token or secret_encrypt("x")
    settings.HOTLINE_SECRETS_KEY = NEW
    with pytest.raises(SecretUnreadable, match="HOTLINE_SECRETS_KEY cannot read this secret"):
        secret_decrypt(token)


@pytest.mark.parametrize("value", ["not-a-key", " , "])
def test_a_malformed_key_list_says_what_the_setting_takes(settings, value):
    settings.HOTLINE_SECRETS_KEY = value
    with pytest.raises(ImproperlyConfigured, match="comma-separated list of Fernet keys"):
        secret_encrypt("x")


def test_development_generates_one_key_that_every_process_shares(settings, tmp_path):
    settings.HOTLINE_SECRETS_KEY = ""
    settings.VAR_DIR = tmp_path
    token = secret_encrypt("shared")
    key_file = tmp_path / "secrets-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    # Another process, with the same var/, reads what this one wrote.
    code = (
        "import django; django.setup(); from hotline.secrets import secret_decrypt; "
        f"print(secret_decrypt({token!r}))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "HOTLINE_VAR_DIR": str(tmp_path)},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert other.stdout.strip() == "shared"
    assert [path.name for path in tmp_path.iterdir() if "secrets" in path.name] == ["secrets-key"]
