"""Secrets the service must read back (providers' webhook secrets; later, keys partner hotlines
issue), encrypted at rest with HOTLINE_SECRETS_KEY.

The setting is a comma-separated list of Fernet keys (AES-128-CBC with HMAC-SHA256): the first
encrypts, every one decrypts, so a key is rotated by putting a new one first and keeping the old
one until nothing stored still needs it (README: configuration). Development generates one key in
var/secrets-key; production settings refuse to start without the setting.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from hotline import keyfiles

__all__ = ["SecretUnreadable", "secret_decrypt", "secret_encrypt", "secrets_key_generate"]

DEVELOPMENT_KEY_FILE = "secrets-key"


class SecretUnreadable(Exception):
    """No key of HOTLINE_SECRETS_KEY opens this token: it was encrypted under a key no longer in
    the list, or it is damaged."""


def secrets_key_generate() -> str:
    """A new key, as HOTLINE_SECRETS_KEY takes it (one entry of the list)."""
    return Fernet.generate_key().decode()


def secret_encrypt(plaintext: str) -> str:
    """``plaintext`` encrypted under the first key of HOTLINE_SECRETS_KEY (URL-safe text)."""
    return _fernet(_keys()).encrypt(plaintext.encode()).decode("ascii")


def secret_decrypt(token: str) -> str:
    """What ``secret_encrypt`` was given; SecretUnreadable if no configured key opens it."""
    try:
        return _fernet(_keys()).decrypt(token).decode()
    except (InvalidToken, ValueError):  # ValueError: not even ASCII
        raise SecretUnreadable(
            "HOTLINE_SECRETS_KEY cannot read this secret: it was encrypted under a key that is no "
            "longer in the list, or it is damaged."
        ) from None


def _keys() -> str:
    configured = settings.HOTLINE_SECRETS_KEY
    if configured:
        return configured
    path = settings.VAR_DIR / DEVELOPMENT_KEY_FILE
    return keyfiles.development_key(path, secrets_key_generate)


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    entries = [key.strip() for key in keys.split(",") if key.strip()]
    try:
        return MultiFernet([Fernet(key) for key in entries])
    except ValueError:  # also an empty list
        raise ImproperlyConfigured(
            "HOTLINE_SECRETS_KEY must be a comma-separated list of Fernet keys (32 bytes, URL-safe "
            "base64), e.g. from python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'."
        ) from None
