"""The sandbox's web host and CONNECT proxy, with the standard library's HTTP client and raw
sockets: what they answer, what they count, and that they stop at once."""

import http.client
import json
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox.connect_proxy import ConnectProxy
from sandbox.web_host import WebHost, data_file_set, main, page_check

ROOT = Path(__file__).resolve().parents[2]
WEB_HOST = (sys.executable, "-m", "sandbox.web_host")


def free_port() -> int:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return unused.getsockname()[1]


def ask(address, method: str, path: str, *, host: str = "www.example.test", context=None):
    """(status, headers, body) of one request."""
    if context is None:
        connection = http.client.HTTPConnection(*address, timeout=10)
    else:
        connection = http.client.HTTPSConnection(*address, timeout=10, context=context)
    try:
        connection.request(method, path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw_request(address, request: bytes, size: int = 65536) -> bytes:
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(request)
        return connection.recv(size)


def test_pages_answer_from_the_table_and_unknown_paths_are_404():
    pages = {
        "/": {},
        "/gone": {"status": 410},
        "/tagged": {"headers": {"ETag": '"v1"', "Set-Cookie": "a=1"}, "body_bytes": 10},
    }
    with WebHost(pages) as web:
        assert ask(web.http_address, "GET", "/")[0] == 200
        assert ask(web.http_address, "GET", "/gone")[0] == 410
        status, headers, body = ask(web.http_address, "GET", "/tagged?x=1")
        assert (status, headers["ETag"], headers["Set-Cookie"], len(body)) == (
            200,
            '"v1"',
            "a=1",
            10,
        )
        assert ask(web.http_address, "GET", "/nothing")[0] == 404
        web.set("/nothing", status=451)
        assert ask(web.http_address, "GET", "/nothing")[0] == 451
        assert web.requests == [
            ("GET", "/", "www.example.test"),
            ("GET", "/gone", "www.example.test"),
            ("GET", "/tagged?x=1", "www.example.test"),
            ("GET", "/nothing", "www.example.test"),
            ("GET", "/nothing", "www.example.test"),
        ]


def test_a_pages_content_type_replaces_the_default():
    pages = {"/image": {"headers": {"content-type": "image/jpeg"}}, "/plain": {}}
    with WebHost(pages) as web:
        head = raw_request(
            web.http_address, b"HEAD /image HTTP/1.1\r\nHost: a.example.test\r\n\r\n"
        )
        types = [line for line in head.lower().split(b"\r\n") if line.startswith(b"content-type:")]
        assert types == [b"content-type: image/jpeg"]  # a client keeps the first of a repeat
        assert ask(web.http_address, "HEAD", "/plain")[1]["Content-Type"].startswith("text/plain")


def test_head_refused_and_get_as_usual():
    with WebHost({"/file": {"head": 405, "body_bytes": 1000}}) as web:
        status, headers, body = ask(web.http_address, "HEAD", "/file")
        assert (status, headers["Allow"], body) == (405, "GET", b"")
        status, headers, body = ask(web.http_address, "GET", "/file")
        assert (status, headers["Content-Length"], len(body)) == (200, "1000", 1000)
        assert web.wait_answered()
        assert web.body_bytes_sent == [0, 1000]
        assert [exchange.ended for exchange in web.exchanges] == ["complete", "complete"]


def test_head_has_the_length_of_the_body_but_no_body():
    with WebHost({"/big": {"body_bytes": 5_000_000}}) as web:
        status, headers, body = ask(web.http_address, "HEAD", "/big")
        assert (status, headers["Content-Length"], body) == (200, "5000000", b"")
        assert web.body_bytes_sent == [0]


def test_a_redirect():
    with WebHost({"/old": {"redirect": "http://other.example.test/new", "status": 301}}) as web:
        status, headers, _ = ask(web.http_address, "GET", "/old")
        assert (status, headers["Location"]) == (301, "http://other.example.test/new")
        web.set("/temporary", redirect="/new")
        assert ask(web.http_address, "GET", "/temporary")[0] == 302


def test_a_client_that_closes_after_the_headers_is_counted():
    body = 50_000_000
    with WebHost({"/video": {"body_bytes": body, "chunk_delay": 0.01}}) as web:
        with socket.create_connection(web.http_address, timeout=10) as connection:
            connection.sendall(b"GET /video HTTP/1.1\r\nHost: x\r\n\r\n")
            assert connection.recv(4096).startswith(b"HTTP/1.1 200 ")
        assert web.wait_answered(timeout=5)
        (exchange,) = web.exchanges
        assert exchange.ended == "closed by the client"
        assert 0 < exchange.body_bytes_sent < body // 20


def test_huge_headers():
    with WebHost({"/huge": {"huge_headers": True}}) as web:
        with socket.create_connection(web.http_address, timeout=10) as connection:
            connection.sendall(b"HEAD /huge HTTP/1.1\r\nHost: x\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                head += connection.recv(65536)
        assert len(head) > 64_000


def test_raw_bytes_instead_of_http():
    with WebHost({"/garbage": {"raw": "SSH-2.0-OpenSSH_9.6\r\n"}}) as web:
        answer = raw_request(web.http_address, b"HEAD /garbage HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer == b"SSH-2.0-OpenSSH_9.6\r\n"


def test_a_delayed_answer_does_not_hold_up_stop():
    web = WebHost({"/slow": {"delay_headers": 20}}).start()
    connection = socket.create_connection(web.http_address, timeout=10)
    connection.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    for _ in range(100):
        if web.requests:
            break
        time.sleep(0.01)
    started = time.monotonic()
    web.stop()
    assert time.monotonic() - started < 1
    assert connection.recv(100) == b""  # no answer, the connection closed
    connection.close()


def test_https_with_its_own_ca(tmp_path):
    with WebHost({"/": {"status": 204}}, tls=True, ca_dir=tmp_path) as web:
        assert web.ca_file == str(tmp_path / "web-ca.pem")
        context = ssl.create_default_context(cafile=web.ca_file)
        status, _, _ = ask(web.https_address, "GET", "/", context=context)
        assert status == 204
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(
                socket.create_connection(web.https_address), server_hostname="www.example.org"
            )
        # Plain HTTP on its own port, the same pages.
        assert ask(web.http_address, "GET", "/")[0] == 204


def test_without_tls_there_is_no_https():
    with WebHost() as web:
        assert (web.https_address, web.ca_file) == (None, None)


def test_the_data_file_is_read_again_when_it_changes(tmp_path):
    data_file = tmp_path / "pages.json"
    data_file_set(data_file, "/gallery/1")
    with WebHost(data_file=data_file) as web:
        assert ask(web.http_address, "HEAD", "/gallery/1")[0] == 200
        data_file_set(data_file, "/gallery/1", status=404)
        assert ask(web.http_address, "HEAD", "/gallery/1")[0] == 404
        data_file.write_text("{not json")  # a bad edit keeps the last good pages
        assert ask(web.http_address, "HEAD", "/gallery/1")[0] == 404
        web.set("/gallery/1", status=200)  # set() wins over the file
        assert ask(web.http_address, "HEAD", "/gallery/1")[0] == 200


@pytest.mark.parametrize(
    "page",
    [
        {"colour": "red"},
        {"status": "200"},
        {"status": True},
        {"head": 42},
        {"body_bytes": -1},
        {"delay_headers": 60},
        {"headers": ["ETag"]},
        {"huge_headers": "yes"},
        {"redirect": 5},
    ],
)
def test_a_bad_page_says_what_is_wrong(page):
    with pytest.raises(ValueError):
        page_check(page)


def test_a_path_starts_with_a_slash():
    with pytest.raises(ValueError, match="starts with '/'"):
        WebHost({"gallery": {}})


def test_the_set_command_rewrites_the_data_file(tmp_path):
    data_file = tmp_path / "pages.json"
    main(["set", str(data_file), "/a", "--status", "404"])
    main(["set", str(data_file), "/b", "--head", "405", "--header", "ETag: x", "--huge-headers"])
    main(["set", str(data_file), "/a", "--redirect", "/b", "--status", "301"])
    assert json.loads(data_file.read_text()) == {
        "/a": {"redirect": "/b", "status": 301},
        "/b": {"head": 405, "headers": {"ETag": "x"}, "huge_headers": True},
    }
    assert [path.name for path in tmp_path.iterdir()] == ["pages.json"]  # no temporary left


def test_the_set_command_refuses_a_bad_page(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["set", str(tmp_path / "pages.json"), "/a", "--status", "5"])
    assert "status" in capsys.readouterr().err


def test_the_serve_command(tmp_path):
    data_file = tmp_path / "pages.json"
    data_file_set(data_file, "/page")
    port = free_port()
    server = subprocess.Popen(
        [*WEB_HOST, "serve", "--data-file", str(data_file), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout.readline().startswith(f"web host on http://127.0.0.1:{port}")
        assert ask(("127.0.0.1", port), "HEAD", "/page")[0] == 200
        subprocess.run(
            [*WEB_HOST, "set", str(data_file), "/page", "--status", "404"],
            cwd=ROOT,
            check=True,
        )
        assert ask(("127.0.0.1", port), "HEAD", "/page")[0] == 404
    finally:
        server.terminate()
        assert server.wait(timeout=5) == 0


# -- the CONNECT proxy ------------------------------------------------------------------------


def test_the_proxy_tunnels_to_the_address_asked():
    with WebHost({"/": {"status": 204}}) as web, ConnectProxy() as proxy:
        target = f"127.0.0.1:{web.http_address[1]}".encode()
        with socket.create_connection(proxy.address, timeout=10) as connection:
            connection.sendall(b"CONNECT " + target + b" HTTP/1.1\r\nHost: " + target + b"\r\n\r\n")
            assert connection.recv(4096) == b"HTTP/1.1 200 Connection established\r\n\r\n"
            connection.sendall(b"HEAD / HTTP/1.1\r\nHost: www.example.test\r\n\r\n")
            assert connection.recv(4096).startswith(b"HTTP/1.1 204 ")
        assert proxy.tunnels == [target.decode()]
        assert web.requests == [("HEAD", "/", "www.example.test")]


@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        ("CONNECT www.example.test:80 HTTP/1.1", 403),  # a name: never resolved here
        ("CONNECT 192.0.2.1:80 HTTP/1.1", 403),  # not the loopback
        ("CONNECT 127.0.0.1:notaport HTTP/1.1", 403),
        ("GET http://www.example.test/ HTTP/1.1", 405),
        ("nonsense", 400),
    ],
)
def test_the_proxy_refuses_what_it_may_not_tunnel(request_line, status):
    with ConnectProxy() as proxy:
        answer = raw_request(proxy.address, f"{request_line}\r\n\r\n".encode())
    assert answer.startswith(f"HTTP/1.1 {status} ".encode())


def test_a_refusing_proxy_records_the_target_and_answers_403():
    with WebHost({"/": {}}) as web, ConnectProxy(refuse=True) as proxy:
        target = f"127.0.0.1:{web.http_address[1]}"
        answer = raw_request(proxy.address, f"CONNECT {target} HTTP/1.1\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 403 ")
        assert (proxy.tunnels, web.requests) == ([target], [])


def test_a_target_nobody_listens_on_is_502():
    with ConnectProxy() as proxy:
        answer = raw_request(
            proxy.address, f"CONNECT 127.0.0.1:{free_port()} HTTP/1.1\r\n\r\n".encode()
        )
    assert answer.startswith(b"HTTP/1.1 502 ")


def test_an_open_tunnel_does_not_hold_up_stop():
    with WebHost({"/": {}}) as web:
        proxy = ConnectProxy().start()
        connection = socket.create_connection(proxy.address, timeout=10)
        connection.sendall(f"CONNECT 127.0.0.1:{web.http_address[1]} HTTP/1.1\r\n\r\n".encode())
        assert connection.recv(4096).startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        proxy.stop()
        assert time.monotonic() - started < 1
        connection.close()
