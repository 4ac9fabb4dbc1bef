"""TLS client contexts for the clients of outside systems, made once per CA bundle.

Loading a CA bundle costs tens of milliseconds: far more than a check or a registry query on a
near server. A context is kept per bundle file and its modification time, so a bundle replaced
on disk (the sandbox writes a new CA at each start) is read again.
"""

import os
import ssl
from functools import lru_cache

import certifi


def verifying_context(ca_file: str | None, client: str) -> ssl.SSLContext:
    """Certificates checked against ``ca_file`` (certifi's bundle if None), names too. Each
    ``client`` has its own context, so that a library's changes to one never reach another."""
    path = ca_file or certifi.where()
    return _verifying(path, os.stat(path).st_mtime_ns, client)


@lru_cache(maxsize=16)
def _verifying(path: str, mtime_ns: int, client: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=path)
    context.set_alpn_protocols(["http/1.1"])
    return context


@lru_cache(maxsize=1)
def unverified_context() -> ssl.SSLContext:
    """No certificate check: only to read a status after a check failed (the probe)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context
