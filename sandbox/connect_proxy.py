"""A real HTTP CONNECT proxy on 127.0.0.1 (RFC 9110 section 9.3.6), for the tests and the local
demo: the egress proxy a status check may be sent through.

It tunnels to the address:port a client asks for, and only to a loopback address (the sandbox
reaches nothing else; it never resolves a name). ``tunnels`` lists every target asked, in order;
``refuse=True`` answers every CONNECT 403, as a proxy that will not take the target does.
"""

import contextlib
import ipaddress
import select
import socket
import socketserver
import threading

__all__ = ["ConnectProxy"]

HOST = "127.0.0.1"
_MAX_HEAD = 16 * 1024
_CHUNK = 64 * 1024
_CLIENT_TIMEOUT = 10.0
_POLL = 0.05  # how often a tunnel looks whether the proxy is stopping


def _loopback_target(target: str) -> tuple[str, int] | None:
    """(address, port) of a CONNECT target that is a loopback address and a port, else None."""
    host, separator, port = target.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not (separator and port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return None
    return (str(address), int(port)) if address.is_loopback else None


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], proxy: "ConnectProxy"):
        self.proxy = proxy
        super().__init__(address, _Handler)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        client: socket.socket = self.request
        client.settimeout(_CLIENT_TIMEOUT)
        with contextlib.suppress(OSError):  # a client that goes away is no proxy error
            self._handle(client, self.server.proxy)

    def _handle(self, client: socket.socket, proxy: "ConnectProxy") -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(_CHUNK)
            if not chunk or len(head) > _MAX_HEAD:
                return
            head += chunk
        head, early = head.split(b"\r\n\r\n", 1)
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._refuse(client, 400, "Bad Request")
            return
        method, target, _version = parts
        if method != "CONNECT":
            self._refuse(client, 405, "Method Not Allowed")
            return
        proxy._record(target)
        endpoint = _loopback_target(target)
        if proxy.refuse or endpoint is None:
            self._refuse(client, 403, "Forbidden")
            return
        try:
            upstream = socket.create_connection(endpoint, timeout=_CLIENT_TIMEOUT)
        except OSError:
            self._refuse(client, 502, "Bad Gateway")
            return
        with upstream:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if early:
                upstream.sendall(early)
            _relay(client, upstream, proxy._stopping)

    @staticmethod
    def _refuse(client: socket.socket, status: int, reason: str) -> None:
        client.sendall(
            f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )


def _relay(client: socket.socket, upstream: socket.socket, stopping: threading.Event) -> None:
    """Copy bytes both ways until either side closes (or the proxy stops)."""
    other = {client: upstream, upstream: client}
    while not stopping.is_set():
        readable, _, _ = select.select(list(other), [], [], _POLL)
        for source in readable:
            data = source.recv(_CHUNK)
            if not data:
                return
            other[source].sendall(data)


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 (a context manager; port 0 picks a free port)."""

    def __init__(self, *, port: int = 0, refuse: bool = False):
        self.refuse = refuse
        self.tunnels: list[str] = []
        self._lock = threading.Lock()
        self._port = port
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.address: tuple[str, int] = (HOST, port)

    @property
    def proxy(self) -> str:
        """The proxy as a client is given it: host:port."""
        return f"{self.address[0]}:{self.address[1]}"

    def _record(self, target: str) -> None:
        with self._lock:
            self.tunnels.append(target)

    def start(self) -> "ConnectProxy":
        self._stopping.clear()
        self._server = _Server((HOST, self._port), self)
        self.address = self._server.server_address[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(_POLL,), name="connect-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # open tunnels end within one poll
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> "ConnectProxy":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
