"""Where the service's connections to outside systems go, and which CA vouches for them.

``HOTLINE_SANDBOX`` maps a host name to the "127.0.0.1:port" of a local stand-in (the demo and
the tests); every other host is reached as it is. ``HOTLINE_OUTSIDE_CA_FILE`` names the CA file
that stands in for the system's trust store while the sandbox answers.
"""

from django.conf import settings


def outside_route(host: str, port: int) -> tuple[str, int]:
    """(host, port) -> the address to connect to, for the clients in hotline/integrations/."""
    target = (getattr(settings, "HOTLINE_SANDBOX", None) or {}).get(host.lower())
    if target is None:
        return host, port
    connect_host, _, connect_port = target.rpartition(":")
    return connect_host, int(connect_port)


def outside_ca_file() -> str | None:
    """The CA file to trust instead of the default store, or None."""
    return getattr(settings, "HOTLINE_OUTSIDE_CA_FILE", None) or None
