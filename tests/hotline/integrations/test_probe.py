"""The status-only check against real servers on 127.0.0.1: a web host (sandbox/web_host.py,
HTTP and HTTPS) and an HTTP CONNECT proxy (sandbox/connect_proxy.py).

Names resolve through a table here, as the service's resolver would answer; the route lets
only the loopback (and a few documentation addresses it maps there) be reached, so nothing in
these tests can leave the machine. No database.
"""

import ipaddress
import socket
import time

import pytest

from hotline.integrations.probe import Hop, ProbeError, probe
from sandbox.connect_proxy import ConnectProxy
from sandbox.web_host import WebHost

NAMES = {
    "www.example.test": ["127.0.0.1"],
    "other.example.test": ["127.0.0.1"],
    "intranet.example.test": ["10.0.0.7"],
    "mixed.example.test": ["10.0.0.8", "127.0.0.1"],
    # Certificates name *.example.test; this name is on none.
    "wrong.example.com": ["127.0.0.1"],
}
PRIVATE = ipaddress.ip_network("10.0.0.0/8")


class Resolver:
    """The table above, counting what it is asked."""

    def __init__(self, names: dict[str, list[str]] | None = None):
        self.names = {**NAMES, **(names or {})}
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host == "dns-down.example.test":
            raise ProbeError("dns", f"{host}: the resolvers answered SERVFAIL")
        if host not in self.names:
            raise ProbeError("nxdomain", f"{host}: no such name")
        return self.names[host]


def private_refused(address: str) -> str | None:
    ip = ipaddress.ip_address(address)
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return "Private-Use (10.0.0.0/8)" if ip in PRIVATE else None


def loopback_only(address: str, port: int) -> tuple[str, int]:
    if not ipaddress.ip_address(address).is_loopback:
        raise PermissionError(f"{address} is outside the sandbox")
    return address, port


def closed_port() -> int:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return unused.getsockname()[1]


@pytest.fixture
def web():
    with WebHost({"/": {}}, tls=True) as running:
        yield running


@pytest.fixture
def resolver():
    return Resolver()


def check(url: str, resolver: Resolver, **options):
    options.setdefault("address_check", private_refused)
    options.setdefault("route", loopback_only)
    return probe(url, resolve=resolver, **options)


def failure(url: str, resolver: Resolver, **options) -> ProbeError:
    with pytest.raises(ProbeError) as caught:
        check(url, resolver, **options)
    return caught.value


# -- what a page answers ----------------------------------------------------------------------


def test_a_page_that_answers_head(web, resolver):
    web.set(
        "/gallery/1",
        headers={
            "ETag": '"v1"',
            "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT",
            "Server": "not kept",
            "Set-Cookie": "session=1",
        },
    )
    url = web.url("/gallery/1?page=2", host="www.example.test")
    result = check(url, resolver)
    assert result.status == 200
    assert result.address == "127.0.0.1"
    assert result.hops == (Hop(url, "127.0.0.1", "HEAD", 200, ""),)
    assert result.headers == {
        "content-type": "text/plain; charset=utf-8",
        "content-length": "64",
        "etag": '"v1"',
        "last-modified": "Tue, 01 Dec 2026 10:00:00 GMT",
    }
    assert (result.redirected_to, result.other_host, result.tls_error) == ("", False, "")
    assert 0 <= result.elapsed_ms < 5000
    port = web.http_address[1]
    assert web.requests == [("HEAD", "/gallery/1?page=2", f"www.example.test:{port}")]
    sent = web.exchanges[0].headers
    assert (sent["Accept"], sent["Connection"], sent["User-Agent"]) == (
        "*/*",
        "close",
        "hotline-probe",
    )
    assert resolver.asked == ["www.example.test"]


@pytest.mark.parametrize("status", [404, 410, 451, 500])
def test_a_page_that_is_gone_or_failing_says_so(web, resolver, status):
    web.set("/removed", status=status)
    result = check(web.url("/removed", host="www.example.test"), resolver)
    assert result.status == status
    assert [hop.method for hop in result.hops] == ["HEAD"]


def test_an_unknown_path_is_404(web, resolver):
    assert check(web.url("/never-was", host="www.example.test"), resolver).status == 404


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("refusal", [405, 501])
def test_a_refused_head_is_asked_again_with_get_whose_body_is_never_read(
    web, resolver, refusal, https
):
    body = 50_000_000
    # Served in full, this body would take some eight seconds.
    web.set("/video.mp4", head=refusal, body_bytes=body, chunk_delay=0.01)
    url = web.url("/video.mp4", host="www.example.test", https=https)
    started = time.monotonic()
    result = check(url, resolver, ca_file=web.ca_file)
    assert time.monotonic() - started < 2
    assert result.status == 200
    assert [(hop.method, hop.status, hop.url) for hop in result.hops] == [
        ("HEAD", refusal, url),
        ("GET", 200, url),
    ]
    assert result.headers["content-length"] == str(body)
    assert web.wait_answered(timeout=5)
    head, get = web.exchanges
    assert (head.method, head.body_bytes_sent) == ("HEAD", 0)
    assert get.method == "GET"
    assert get.ended == "closed by the client"
    assert get.body_bytes_sent < body // 20


def test_a_get_through_the_proxy_reads_no_body_either(web, resolver):
    body = 50_000_000
    web.set("/video.mp4", head=405, body_bytes=body, chunk_delay=0.01)
    with ConnectProxy() as proxy:
        result = check(
            web.url("/video.mp4", host="www.example.test", https=True),
            resolver,
            ca_file=web.ca_file,
            proxy=proxy.proxy,
        )
    assert result.status == 200
    assert web.wait_answered(timeout=5)
    assert web.exchanges[-1].ended == "closed by the client"
    assert web.exchanges[-1].body_bytes_sent < body // 20


# -- redirects --------------------------------------------------------------------------------


def test_a_redirect_chain_is_followed_and_recorded(web, resolver):
    port = web.http_address[1]
    web.set("/a", redirect="/b", status=301)
    web.set("/b", redirect="c?x=1", status=302)
    web.set("/c", redirect=f"http://www.example.test:{port}/d", status=303)
    web.set("/d", redirect="/e", status=307)
    web.set("/e", redirect="/f#top", status=308)
    web.set("/f", head=405)
    base = f"http://www.example.test:{port}"
    result = check(f"{base}/a", resolver)
    assert [(hop.url, hop.method, hop.status, hop.location) for hop in result.hops] == [
        (f"{base}/a", "HEAD", 301, "/b"),
        (f"{base}/b", "HEAD", 302, "c?x=1"),
        (f"{base}/c?x=1", "HEAD", 303, f"{base}/d"),
        (f"{base}/d", "HEAD", 307, "/e"),
        (f"{base}/e", "HEAD", 308, "/f#top"),
        (f"{base}/f#top", "HEAD", 405, ""),
        (f"{base}/f#top", "GET", 200, ""),
    ]
    assert (result.status, result.redirected_to, result.other_host) == (200, f"{base}/f#top", False)
    # The fragment stays with the client; the host is resolved once for the whole chain.
    assert web.requests[-1][:2] == ("GET", "/f")
    assert resolver.asked == ["www.example.test"]


def test_more_than_five_redirects_are_refused(web, resolver):
    for number in range(6):
        web.set(f"/hop{number}", redirect=f"/hop{number + 1}")
    web.set("/hop6")
    error = failure(web.url("/hop0", host="www.example.test"), resolver)
    assert error.kind == "too_many_redirects"
    assert [hop.status for hop in error.hops] == [302] * 6
    # Five are followed.
    assert check(web.url("/hop1", host="www.example.test"), resolver).status == 200
    assert check(web.url("/hop0", host="www.example.test"), resolver, max_redirects=6).status == 200


def test_a_redirect_loop_ends(web, resolver):
    web.set("/loop", redirect="/loop", status=301)
    error = failure(web.url("/loop", host="www.example.test"), resolver, max_redirects=2)
    assert (error.kind, len(error.hops)) == ("too_many_redirects", 3)


def test_a_redirect_to_another_host_is_checked_and_recorded(web, resolver):
    port = web.http_address[1]
    web.set("/moved", redirect=f"http://other.example.test:{port}/landing", status=301)
    web.set("/landing", status=410)
    result = check(web.url("/moved", host="www.example.test"), resolver)
    assert (result.status, result.other_host) == (410, True)
    assert result.redirected_to == f"http://other.example.test:{port}/landing"
    assert [request[2] for request in web.requests] == [
        f"www.example.test:{port}",
        f"other.example.test:{port}",
    ]
    assert resolver.asked == ["www.example.test", "other.example.test"]


def test_a_redirect_to_a_private_address_is_refused_before_connecting(web, resolver):
    web.set("/sneaky", redirect="http://intranet.example.test/admin")
    error = failure(web.url("/sneaky", host="www.example.test"), resolver)
    assert error.kind == "refused"
    assert "10.0.0.7 is Private-Use (10.0.0.0/8)" in error.message
    assert [hop.status for hop in error.hops] == [302]
    assert len(web.requests) == 1


@pytest.mark.parametrize("location", ["http://10.1.2.3/", "http://[::ffff:10.1.2.3]:8080/"])
def test_a_redirect_to_a_private_ip_literal_is_refused_without_resolving(web, resolver, location):
    web.set("/sneaky", redirect=location)
    error = failure(web.url("/sneaky", host="www.example.test"), resolver)
    assert (error.kind, error.hops[0].status) == ("refused", 302)
    assert "Private-Use" in error.message
    assert resolver.asked == ["www.example.test"]


def test_a_redirect_to_a_name_that_does_not_exist(web, resolver):
    web.set("/gone", redirect="http://nowhere.example.test/")
    error = failure(web.url("/gone", host="www.example.test"), resolver)
    assert (error.kind, len(error.hops)) == ("nxdomain", 1)


@pytest.mark.parametrize(
    "location", ["ftp://files.example.test/x", "mailto:abuse@example.test", "javascript:void(0)"]
)
def test_a_redirect_to_another_scheme_ends_the_chain(web, resolver, location):
    web.set("/elsewhere", redirect=location, status=301)
    result = check(web.url("/elsewhere", host="www.example.test"), resolver)
    assert (result.status, result.headers["location"], result.redirected_to) == (301, location, "")
    assert len(web.requests) == 1


def test_a_redirect_without_a_location_is_the_final_answer(web, resolver):
    web.set("/nowhere", status=302)
    result = check(web.url("/nowhere", host="www.example.test"), resolver)
    assert (result.status, len(result.hops)) == (302, 1)


def test_a_redirect_to_an_unusable_url_is_a_bad_response(web, resolver):
    web.set("/broken", redirect="http://www.example.test:99999/")
    assert failure(web.url("/broken", host="www.example.test"), resolver).kind == "bad_response"


def test_no_cookie_is_ever_sent(web, resolver):
    web.set("/login", redirect="/home", headers={"Set-Cookie": "session=secret; Path=/"})
    web.set("/home", head=405, headers={"Set-Cookie": "second=1"})
    result = check(web.url("/login", host="www.example.test"), resolver)
    assert [hop.method for hop in result.hops] == ["HEAD", "HEAD", "GET"]
    assert all("Cookie" not in exchange.headers for exchange in web.exchanges)


def test_the_user_agent_is_the_callers(web, resolver):
    agent = "hotline-probe/1.0 (+https://hotline.example/probe)"
    check(web.url("/", host="www.example.test"), resolver, user_agent=agent)
    assert web.exchanges[0].headers["User-Agent"] == agent


# -- where it connects ------------------------------------------------------------------------


def test_a_private_address_is_refused_on_the_first_hop(web, resolver):
    error = failure("http://intranet.example.test/", resolver)
    assert (error.kind, error.hops) == ("refused", ())
    assert "intranet.example.test" in error.message and "Private-Use" in error.message


def test_a_private_ip_literal_is_refused_without_resolving(resolver):
    error = failure("http://10.9.8.7:8080/", resolver)
    assert error.kind == "refused"
    assert resolver.asked == []


def test_only_the_allowed_addresses_of_a_host_are_contacted(web, resolver):
    result = check(web.url("/", host="mixed.example.test"), resolver)
    assert (result.status, result.address) == (200, "127.0.0.1")


def test_the_connection_goes_where_the_route_says_with_the_name_kept(web, resolver):
    # As in the sandbox: a documentation address, routed to the web host on the loopback.
    resolver.names["shop.example.test"] = ["198.51.100.10"]
    web.set("/item/7")
    routes = []

    def route(address, port):
        routes.append((address, port))
        return web.https_address

    result = check("https://shop.example.test/item/7", resolver, route=route, ca_file=web.ca_file)
    assert (result.status, result.address, result.tls_error) == (200, "198.51.100.10", "")
    assert routes == [("198.51.100.10", 443)]
    assert web.requests == [("HEAD", "/item/7", "shop.example.test")]


def test_the_next_allowed_address_is_tried_when_one_cannot_be_reached(web, resolver):
    resolver.names["failover.example.test"] = ["198.51.100.1", "198.51.100.2"]
    routed = {
        ("198.51.100.1", 80): ("127.0.0.1", closed_port()),
        ("198.51.100.2", 80): web.http_address,
    }
    result = check("http://failover.example.test/", resolver, route=lambda a, p: routed[(a, p)])
    assert (result.status, result.address) == (200, "198.51.100.2")


def test_a_refused_route_sends_nothing(web, resolver):
    def refuse(address, port):
        raise PermissionError(f"{address}:{port} is not for probes")

    error = failure(web.url("/", host="www.example.test"), resolver, route=refuse)
    assert error.kind == "refused"
    assert "not for probes" in error.message
    assert web.requests == []


def test_a_route_to_a_name_is_refused(web, resolver):
    # Connecting to a name would resolve it again, past the address check.
    error = failure(
        web.url("/", host="www.example.test"), resolver, route=lambda a, p: ("localhost", p)
    )
    assert error.kind == "refused"
    assert web.requests == []


def test_a_port_nobody_listens_on(resolver):
    error = failure(f"http://www.example.test:{closed_port()}/", resolver)
    assert error.kind == "connect"


@pytest.mark.parametrize("kind", ["nxdomain", "dns"])
def test_resolver_failures_keep_their_kind(resolver, kind):
    host = "nowhere.example.test" if kind == "nxdomain" else "dns-down.example.test"
    error = failure(f"https://{host}/", resolver)
    assert (error.kind, error.hops) == (kind, ())


def test_a_name_without_addresses_is_a_dns_failure():
    error = failure("http://empty.example.test/", Resolver({"empty.example.test": []}))
    assert error.kind == "dns"


@pytest.mark.parametrize(
    "url", ["ftp://www.example.test/", "file:///etc/passwd", "http:///no-host", "www.example.test"]
)
def test_only_http_and_https_urls_are_checked(resolver, url):
    with pytest.raises(ValueError):
        check(url, resolver)
    assert resolver.asked == []


# -- limits and broken servers ----------------------------------------------------------------


def test_headers_that_do_not_come_in_time_are_a_timeout(web, resolver):
    web.set("/slow", delay_headers=5.0)
    started = time.monotonic()
    error = failure(web.url("/slow", host="www.example.test"), resolver, header_timeout=0.5)
    assert error.kind == "timeout"
    assert 0.4 < time.monotonic() - started < 2


def test_huge_headers_are_refused(web, resolver):
    web.set("/huge", huge_headers=True)
    error = failure(web.url("/huge", host="www.example.test"), resolver)
    assert error.kind == "header_too_large"


def test_the_header_cap_is_the_callers(web, resolver):
    url = web.url("/", host="www.example.test")
    assert failure(url, resolver, max_header_bytes=100).kind == "header_too_large"
    assert check(url, resolver, max_header_bytes=1000).status == 200


@pytest.mark.parametrize(
    "raw",
    [
        "this is not HTTP at all\r\n\r\n",
        "HTTP/1.1 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n",  # closed before the blank line
        "",
    ],
)
@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_a_garbage_answer_is_a_bad_response(web, resolver, raw, https):
    web.set("/garbage", raw=raw)
    url = web.url("/garbage", host="www.example.test", https=https)
    assert failure(url, resolver, ca_file=web.ca_file).kind == "bad_response"


def test_the_status_decides_and_lines_that_are_no_headers_are_passed_over(web, resolver):
    web.set(
        "/sloppy",
        raw="HTTP/1.0 200\nno colon here\nBad Name: x\nContent-Type: text/html;\n"
        "\tcharset=utf-8\nETag: first\nEtag: second\nLocation: /ignored\n\nbody",
    )
    result = check(web.url("/sloppy", host="www.example.test"), resolver)
    assert (result.status, result.headers) == (
        200,
        {"content-type": "text/html; charset=utf-8", "etag": "first", "location": "/ignored"},
    )


def test_interim_answers_are_skipped(web, resolver):
    web.set(
        "/hints",
        raw="HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1234\r\n\r\n",
    )
    result = check(web.url("/hints", host="www.example.test"), resolver)
    assert (result.status, result.headers) == (
        200,
        {"content-type": "text/html", "content-length": "1234"},
    )


# -- TLS --------------------------------------------------------------------------------------


def test_https_with_the_right_ca(web, resolver):
    result = check(web.url("/", host="www.example.test", https=True), resolver, ca_file=web.ca_file)
    assert (result.status, result.tls_error) == (200, "")


def test_a_certificate_for_another_name_is_recorded_and_the_status_still_read(web, resolver):
    web.set("/page", status=410)
    url = web.url("/page", host="wrong.example.com", https=True)
    result = check(url, resolver, ca_file=web.ca_file)
    assert result.status == 410
    assert result.tls_error.startswith("wrong.example.com: ")
    assert "mismatch" in result.tls_error
    # The refused handshake sent no request; the second connection asked by the name.
    assert web.requests == [("HEAD", "/page", f"wrong.example.com:{web.https_address[1]}")]


def test_a_certificate_from_an_unknown_ca_is_recorded(web, resolver):
    result = check(web.url("/", host="www.example.test", https=True), resolver)
    assert result.status == 200
    assert "certificate" in result.tls_error


def test_no_tls_handshake_at_all(web, resolver):
    # An https URL whose server speaks plain HTTP.
    url = f"https://www.example.test:{web.http_address[1]}/"
    assert failure(url, resolver, ca_file=web.ca_file).kind == "tls"


# -- through a proxy --------------------------------------------------------------------------


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_the_proxy_is_asked_for_the_checked_address_never_the_name(web, resolver, https):
    with ConnectProxy() as proxy:
        url = web.url("/", host="www.example.test", https=https)
        result = check(url, resolver, ca_file=web.ca_file, proxy=proxy.proxy)
    port = (web.https_address if https else web.http_address)[1]
    assert (result.status, result.tls_error) == (200, "")
    assert proxy.tunnels == [f"127.0.0.1:{port}"]
    assert web.requests == [("HEAD", "/", f"www.example.test:{port}")]


def test_a_proxy_that_refuses(web, resolver):
    with ConnectProxy(refuse=True) as proxy:
        error = failure(web.url("/", host="www.example.test"), resolver, proxy=proxy.proxy)
    assert error.kind == "proxy"
    assert "403" in error.message
    assert web.requests == []


def test_a_proxy_that_cannot_be_reached(web, resolver):
    error = failure(
        web.url("/", host="www.example.test"), resolver, proxy=f"127.0.0.1:{closed_port()}"
    )
    assert error.kind == "proxy"


@pytest.mark.parametrize("agent", ["probe\r\nCookie: x=1", "pröbe"])
def test_the_user_agent_is_one_line_of_ascii(resolver, agent):
    with pytest.raises(ValueError):
        check("http://www.example.test/", resolver, user_agent=agent)


def test_a_proxy_is_given_as_host_and_port(resolver):
    with pytest.raises(ValueError):
        check("http://www.example.test/", resolver, proxy="http://proxy.example.test")
