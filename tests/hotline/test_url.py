"""Tests for hotline.url: canonical URLs, defanging, and the encoded-payload guard.

Pure functions: no database and no Django settings are needed.
"""

import base64
import hashlib
import random

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.payload import decodable_bytes
from hotline.url import (
    MAX_DECODABLE_BYTES,
    MAX_URL_LENGTH,
    CanonicalURL,
    PayloadRefused,
    URLRefused,
    canonicalize,
    defang,
    refang,
    refuse_embedded_payload,
)
from tests.hotline.payload_corpus import CORPUS

# database=None keeps Hypothesis from writing an example database into the work tree.
QUICK = settings(deadline=None, database=None)

# Browsers map full-width forms (U+FF01..U+FF5E) to ASCII in host names, as UTS #46 does.
FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}

ONION_V3 = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
ONION_V2 = "expyuzz4wqqyqhjn.onion"

ACCEPTED = [
    pytest.param("http://BÜCHER.example/ä", "http://xn--bcher-kva.example/%C3%A4", id="idn"),
    pytest.param("http://xn--bcher-kva.example/", "http://xn--bcher-kva.example/", id="punycode"),
    pytest.param(
        "http://" + "example.com".translate(FULLWIDTH), "http://example.com/", id="uts46-fullwidth"
    ),
    pytest.param("http://exa\u00admple.com/", "http://example.com/", id="uts46-soft-hyphen"),
    pytest.param("http://%65xample.com/", "http://example.com/", id="escaped-host"),
    pytest.param("HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path", id="case"),
    pytest.param("http://example.com./", "http://example.com/", id="trailing-dot"),
    pytest.param("http://example.com:80/", "http://example.com/", id="http-default-port"),
    pytest.param("https://example.com:443/", "https://example.com/", id="https-default-port"),
    pytest.param("http://example.com:443/", "http://example.com:443/", id="other-port-kept"),
    pytest.param("https://example.com:08080/", "https://example.com:8080/", id="port-zeros"),
    pytest.param("http://example.com:/", "http://example.com/", id="empty-port"),
    pytest.param("http://user:secret@example.com/", "http://example.com/", id="userinfo"),
    pytest.param("http://a@b@example.com/", "http://example.com/", id="userinfo-last-at"),
    pytest.param("http://example.com/page#top", "http://example.com/page", id="fragment"),
    pytest.param("http://example.com", "http://example.com/", id="empty-path"),
    pytest.param("http://example.com?a=1", "http://example.com/?a=1", id="empty-path-query"),
    pytest.param("http://example.com/a/./b/../c", "http://example.com/a/c", id="dot-segments"),
    pytest.param("http://example.com/a/b/..", "http://example.com/a/", id="dot-dot-last"),
    pytest.param("http://example.com/../../a", "http://example.com/a", id="dot-dot-above-root"),
    pytest.param("http://example.com/a/%2E%2e/b", "http://example.com/b", id="escaped-dots"),
    pytest.param("http://example.com/a//b", "http://example.com/a//b", id="empty-segment"),
    pytest.param("http://example.com/%7e%41%2d", "http://example.com/~A-", id="unreserved"),
    pytest.param("http://example.com/%2f%3a", "http://example.com/%2F%3A", id="reserved-kept"),
    pytest.param("http://example.com/a b", "http://example.com/a%20b", id="space"),
    pytest.param("http://example.com/100%", "http://example.com/100%25", id="lone-percent"),
    pytest.param("http://example.com/%zz", "http://example.com/%25zz", id="bad-escape"),
    pytest.param("http://example.com/€", "http://example.com/%E2%82%AC", id="utf8"),
    pytest.param("http://example.com/<x>", "http://example.com/%3Cx%3E", id="not-allowed-raw"),
    pytest.param(
        "http://example.com/?b=2&a=1&b=3", "http://example.com/?b=2&a=1&b=3", id="query-order"
    ),
    pytest.param(
        "http://example.com/?q=%2b+a b&u=/x?y", "http://example.com/?q=%2B+a%20b&u=/x?y", id="query"
    ),
    pytest.param("http://example.com/?", "http://example.com/", id="empty-query"),
    pytest.param("http:\\\\example.com\\a\\b", "http://example.com/a/b", id="backslashes"),
    pytest.param("https:example.com/x", "https://example.com/x", id="no-slashes"),
    pytest.param("example.com/path", "http://example.com/path", id="no-scheme"),
    pytest.param("//example.com/path", "http://example.com/path", id="scheme-relative"),
    pytest.param("example.com:8080/x", "http://example.com:8080/x", id="no-scheme-port"),
    pytest.param("  http://example.com/\n", "http://example.com/", id="whitespace"),
    pytest.param("http://a_b.example.com/", "http://a_b.example.com/", id="underscore"),
    pytest.param("http://93.184.216.34/", "http://93.184.216.34/", id="ipv4"),
    pytest.param("http://0x5db8d822/", "http://93.184.216.34/", id="ipv4-hex-number"),
    pytest.param("http://93.0xb8.0330.34/", "http://93.184.216.34/", id="ipv4-mixed-radix"),
    pytest.param(
        "http://[2606:4700:4700:0:0:0:0:1111]/", "http://[2606:4700:4700::1111]/", id="ipv6"
    ),
    pytest.param(
        "http://[2606:4700:4700::1111]:8080/x",
        "http://[2606:4700:4700::1111]:8080/x",
        id="ipv6-port",
    ),
    pytest.param("http://[::FFFF:8.8.8.8]/", "http://[::ffff:808:808]/", id="ipv4-mapped-public"),
    pytest.param(f"http://{ONION_V3.upper()}/x", f"http://{ONION_V3}/x", id="onion-v3"),
    pytest.param(f"http://www.{ONION_V2}/", f"http://www.{ONION_V2}/", id="onion-v2"),
]


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED)
def test_accepted_url_has_exact_canonical_form(raw, expected):
    canonical = canonicalize(raw)

    assert canonical.url == expected
    assert canonicalize(canonical.url) == canonical


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("http://BÜCHER.example/", "xn--bcher-kva.example"),
        ("http://[2606:4700:4700::1111]/", "2606:4700:4700::1111"),
        ("http://2130706433.example/", "2130706433.example"),
        ("http://0x5db8d822/", "93.184.216.34"),
    ],
)
def test_host_is_canonical_without_brackets(raw, host):
    assert canonicalize(raw).host == host


def test_sha256_is_of_the_canonical_url():
    canonical = canonicalize("HTTP://Example.com:80/a/../b#x")

    assert canonical == CanonicalURL(
        url="http://example.com/b",
        host="example.com",
        sha256=hashlib.sha256(b"http://example.com/b").hexdigest(),
    )


def test_url_at_the_length_limit_is_accepted():
    raw = "http://example.com/" + "a" * (MAX_URL_LENGTH - len("http://example.com/"))

    assert canonicalize(raw).url == raw


REFUSED = [
    pytest.param("", "empty", id="empty"),
    pytest.param(" \t\n", "empty", id="blank"),
    pytest.param("http://example.com/" + "a" * MAX_URL_LENGTH, "too_long", id="too-long"),
    pytest.param("http://example.com/" + "ä" * 1000, "too_long", id="too-long-once-encoded"),
    pytest.param("http://example.com/a\nb", "control_characters", id="newline-inside"),
    pytest.param("http://example.com/\x00", "control_characters", id="nul"),
    pytest.param("http://exam\tple.com/", "control_characters", id="tab"),
    pytest.param("http://example.com/\x7f", "control_characters", id="del"),
    pytest.param("http://example.com/\x85x", "control_characters", id="c1"),
    pytest.param("http://example.com/\ud800", "invalid_characters", id="lone-surrogate"),
    pytest.param("data:text/html;base64,PGI+aGk8L2I+", "scheme", id="data"),
    pytest.param("blob:https://example.com/1f0e", "scheme", id="blob"),
    pytest.param("javascript:alert(1)", "scheme", id="javascript"),
    pytest.param("JavaScript:alert(1)", "scheme", id="javascript-mixed-case"),
    pytest.param("file:///etc/passwd", "scheme", id="file"),
    pytest.param("ftp://example.com/x", "scheme", id="ftp"),
    pytest.param("mailto:someone@example.com", "scheme", id="mailto"),
    pytest.param("view-source:http://example.com/", "scheme", id="view-source"),
    pytest.param("someone@example.com", "scheme", id="email-address"),
    pytest.param("foo", "host", id="not-a-web-address"),
    pytest.param("http://intranet/", "host", id="single-label"),
    pytest.param("http://localhost/", "host", id="localhost"),
    pytest.param("localhost:8000", "host", id="localhost-port-no-scheme"),
    pytest.param("http://LOCALHOST./", "host", id="localhost-dot"),
    pytest.param("http://app.localhost/", "host", id="subdomain-of-localhost"),
    pytest.param("http://127.0.0.1/", "host", id="loopback"),
    pytest.param("http://127.1/", "host", id="loopback-short"),
    pytest.param("http://0x7f.1/", "host", id="loopback-hex"),
    pytest.param("http://2130706433/", "host", id="loopback-number"),
    pytest.param("http://017700000001/", "host", id="loopback-octal"),
    pytest.param("http://" + "127.0.0.1".translate(FULLWIDTH), "host", id="loopback-fullwidth"),
    pytest.param("http://%31%32%37.0.0.1/", "host", id="loopback-escaped"),
    pytest.param("http://0.0.0.0/", "host", id="unspecified"),
    pytest.param("http://10.1.2.3/", "host", id="private-10"),
    pytest.param("http://172.16.0.1/", "host", id="private-172"),
    pytest.param("http://192.168.0.1/", "host", id="private-192"),
    pytest.param("http://169.254.1.1/", "host", id="link-local"),
    pytest.param("http://224.0.0.1/", "host", id="multicast"),
    pytest.param("http://[::1]/", "host", id="ipv6-loopback"),
    pytest.param("http://[::]/", "host", id="ipv6-unspecified"),
    pytest.param("http://[fe80::1]/", "host", id="ipv6-link-local"),
    pytest.param("http://[fd00::1]/", "host", id="ipv6-unique-local"),
    pytest.param("http://[ff02::1]/", "host", id="ipv6-multicast"),
    pytest.param("http://[::ffff:127.0.0.1]/", "host", id="ipv4-mapped-loopback"),
    pytest.param("http://[::ffff:10.0.0.1]/", "host", id="ipv4-mapped-private"),
    pytest.param("http://[fe80::1%25eth0]/", "host", id="ipv6-zone"),
    pytest.param("http://[::1/", "host", id="ipv6-unclosed"),
    pytest.param("http://[2606:4700::1111]x/", "host", id="ipv6-trailing-junk"),
    pytest.param("http://[example.com]/", "host", id="ipv6-not-an-address"),
    pytest.param("http://256.1.1.1/", "host", id="ipv4-octet-too-big"),
    pytest.param("http://1.2.3.4.5/", "host", id="ipv4-too-many-parts"),
    pytest.param("http://example.123/", "host", id="numeric-tld"),
    pytest.param("http://09.1.1.1/", "host", id="ipv4-bad-octal"),
    pytest.param("http:///", "host", id="no-host"),
    pytest.param("http://user@/", "host", id="no-host-userinfo"),
    pytest.param("http://exa mple.com/", "host", id="space-in-host"),
    pytest.param("http://-example.com/", "host", id="leading-hyphen"),
    pytest.param("http://example-.com/", "host", id="trailing-hyphen"),
    pytest.param("http://example..com/", "host", id="empty-label"),
    pytest.param("http://" + "a" * 64 + ".com/", "host", id="label-too-long"),
    pytest.param("http://" + "a." * 127 + "com/", "host", id="name-too-long"),
    pytest.param("http://xn--zz.com/", "host", id="bad-punycode"),
    pytest.param("http://i❤.ws/", "host", id="not-idna-2008"),
    pytest.param("http://example.com\uff0fevil/", "host", id="fullwidth-slash-in-host"),
    pytest.param("http://%ff.com/", "host", id="escaped-host-not-utf8"),
    pytest.param("http://notatoraddress.onion/", "host", id="bad-onion"),
    pytest.param("http://example.com:0/", "port", id="port-zero"),
    pytest.param("http://example.com:65536/", "port", id="port-too-big"),
    pytest.param("http://example.com:8o/", "port", id="port-not-a-number"),
    pytest.param("http://example.com:-1/", "port", id="port-negative"),
    pytest.param("http://example.com:٨٠/", "port", id="port-non-ascii-digits"),
]


@pytest.mark.parametrize(("raw", "code"), REFUSED)
def test_refused_url_has_code_and_message(raw, code):
    with pytest.raises(URLRefused) as refusal:
        canonicalize(raw)

    assert refusal.value.code == code
    assert refusal.value.message.strip()


@pytest.mark.parametrize("scheme", ["data", "blob", "javascript", "file", "ftp", "mailto"])
def test_scheme_refusal_names_the_scheme(scheme):
    with pytest.raises(URLRefused, match=f'"{scheme}:" scheme'):
        canonicalize(f"{scheme.upper()}:something")


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://0x7f.1/", "127.0.0.1"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://169.254.1.1/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("foo", "not a web address"),
        ("http://" + "a." * 127 + "com/", "at most 253"),
        ("http://xn--zz.com/", "xn--"),
    ],
)
def test_host_refusal_says_why(raw, named):
    with pytest.raises(URLRefused, match=named):
        canonicalize(raw)


def test_refusals_are_validation_errors():
    with pytest.raises(ValidationError) as refusal:
        canonicalize("javascript:alert(1)")

    assert refusal.value.messages == [refusal.value.message]


@pytest.mark.parametrize(
    ("url", "defanged"),
    [
        ("https://example.com/path", "hxxps://example[.]com/path"),
        ("http://www.example.co.uk/a.html?x=y.z", "hxxp://www[.]example[.]co[.]uk/a.html?x=y.z"),
        ("http://1.2.3.4/", "hxxp://1[.]2[.]3[.]4/"),
        ("http://[2606:4700::1111]:8080/", "hxxp://[2606:4700::1111]:8080/"),
        (
            "https://a.example/?next=http://b.example/",
            "hxxps://a[.]example/?next=hxxp://b.example/",
        ),
        ("HTTP://A.EXAMPLE", "HxxP://A[.]EXAMPLE"),
        ("http://example[.]com/", "hxxp://example[.]com/"),
        ("example.com/a.b", "example[.]com/a[.]b"),
        ("not a url.", "not a url[.]"),
        ("", ""),
    ],
)
def test_defang_examples(url, defanged):
    assert defang(url) == defanged


@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_base64_inside_text_is_refused(encode):
    # Bytes 0xfb..0xff make both "+" / "/" and "-" / "_" appear in the encoding.
    block = encode(random.Random(7).randbytes(300) + bytes(range(0xFB, 0x100))).decode("ascii")

    with pytest.raises(PayloadRefused) as refusal:
        refuse_embedded_payload(f"The page shows this image:\n{block}\nPlease remove it.")

    assert refusal.value.code == "encoded_payload"
    assert "at most 256" in refusal.value.messages[0]


def test_prose_is_accepted():
    refuse_embedded_payload(
        "The page at this address shows a gallery; the second row links to a file host. "
        "It was found through a search on 3 May at about 14:00 (UTC+1)."
    )


def test_long_description_of_words_is_accepted():
    words = "the forum thread contains links to several image hosting pages and a profile "
    description = (words * 30)[:2000]

    refuse_embedded_payload(description)


def test_long_runs_of_one_letter_are_accepted():
    # Nothing of substance can be decoded from them, however long they are.
    refuse_embedded_payload(" ".join(["A" * 199] * 10))
    refuse_embedded_payload("z" * 2000)


# Strategies that build URL-like text from parts, valid and broken alike. Parts use printable
# text so that most URLs get past the control-character check; st.text() covers the rest.
PRINTABLE = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=6)
SCHEMES = st.sampled_from(
    [
        "http://",
        "https://",
        "HTTP://",
        "hTtPs://",
        "http:",
        "https:/",
        "http:\\\\",
        "",
        "//",
        "ftp://",
        "data:",
        "javascript:",
        "x.y://",
        "mailto:",
    ]
)
USERINFO = st.one_of(st.just(""), PRINTABLE.map(lambda text: text + "@"))
LABELS = st.one_of(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True),
    st.text(st.characters(categories=("Ll", "Lu", "Lo", "Nd", "Mn")), min_size=1, max_size=6),
    st.sampled_from(["EXAMPLE", "xn--bcher-kva", "xn--zz", "a_b", "-x", "%65x", "0x7f", "ß"]),
    st.sampled_from(["ex".translate(FULLWIDTH), "x y", ""]),
)
TLDS = st.one_of(
    st.sampled_from(["com", "example", "org", "ÜNÏ"]),
    st.sampled_from(["onion", "localhost", "123", "0x1", "a", "ÜNÏ"]),
)
DOMAINS = st.builds(
    lambda labels, tld, dot: ".".join([*labels, tld]) + dot,
    st.lists(LABELS, max_size=3),
    TLDS,
    st.sampled_from(["", "."]),
)
HOSTS = st.one_of(
    DOMAINS,
    DOMAINS,
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda address: f"[{address}]"),
    st.integers(min_value=0, max_value=2**33).map(str),
    st.from_regex(r"[a-z2-7]{56}\.onion", fullmatch=True),
    st.sampled_from(["localhost", "[::ffff:127.0.0.1]", "0x7f.1", "[::1", "", "%"]),
)
PORTS = st.one_of(
    st.just(""),
    st.integers(min_value=-1, max_value=70000).map(lambda port: f":{port}"),
    st.sampled_from([":", ":x", ":080"]),
)
SEGMENTS = st.one_of(
    st.sampled_from([".", "..", "%", "%2e", "%2E%2e", "%41", "%zz", "%c3%a4", "%2F", "a b", "ä"]),
    st.sampled_from(["", "~", "@", ":", "[x]", "\\", "?"]),
    PRINTABLE,
)
PATHS = st.one_of(
    st.just(""), st.lists(SEGMENTS, max_size=6).map(lambda parts: "/".join(["", *parts]))
)
QUERIES = st.one_of(st.just(""), PRINTABLE.map(lambda text: "?" + text))
FRAGMENTS = st.one_of(st.just(""), PRINTABLE.map(lambda text: "#" + text))
# Web addresses that mostly canonicalise, so that the stability tests get many to check.
WELL_FORMED_URLS = st.builds(
    lambda scheme, labels, port, path, query: scheme + ".".join(labels) + port + path + query,
    st.sampled_from(["http://", "https://", "HTTPS://"]),
    st.lists(
        st.one_of(
            st.from_regex(r"[a-z]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True),
            st.text(st.characters(categories=("Ll",)), min_size=1, max_size=5),
        ),
        min_size=2,
        max_size=4,
    ),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    PATHS,
    QUERIES,
)
PLAUSIBLE_URLS = st.builds(
    lambda *parts: "".join(parts),
    SCHEMES,
    USERINFO,
    HOSTS,
    PORTS,
    PATHS,
    QUERIES,
    FRAGMENTS,
)


def canonical_or_none(raw: str) -> CanonicalURL | None:
    """Canonicalise, allowing only a refusal with a message as the other outcome."""
    try:
        return canonicalize(raw)
    except URLRefused as refusal:
        assert refusal.message.strip()
        assert refusal.code
        return None


@settings(QUICK, max_examples=150)
@given(st.text())
def test_any_text_is_canonical_or_refused(raw):
    canonical_or_none(raw)


@settings(QUICK, max_examples=250)
@given(st.one_of(PLAUSIBLE_URLS, WELL_FORMED_URLS))
def test_plausible_url_canonical_form_is_stable(raw):
    canonical = canonical_or_none(raw)
    if canonical is None:
        return

    assert canonicalize(canonical.url) == canonical
    assert canonical.sha256 == hashlib.sha256(canonical.url.encode("utf-8")).hexdigest()
    assert canonical.url.startswith(("http://", "https://"))
    assert canonical.url.isascii()
    assert len(canonical.url) <= MAX_URL_LENGTH
    assert "#" not in canonical.url


@settings(QUICK, max_examples=100)
@given(st.one_of(PLAUSIBLE_URLS, WELL_FORMED_URLS))
def test_defanged_canonical_url_has_no_link(raw):
    canonical = canonical_or_none(raw)
    if canonical is None:
        return

    defanged = defang(canonical.url)
    authority = defanged.partition("://")[2].partition("/")[0]
    assert not defanged.lower().startswith(("http://", "https://"))
    assert "." not in authority.replace("[.]", "")


@settings(QUICK, max_examples=100)
@given(st.one_of(st.text(), PLAUSIBLE_URLS))
def test_defang_never_raises_and_leaves_no_link(text):
    defanged = defang(text).lower()

    assert "http://" not in defanged
    assert "https://" not in defanged


# --- the encoded-payload guard: bounded by what can be decoded --------------------------------

PAYLOAD = random.Random(42).randbytes(400)
ENCODINGS = {
    "base64": base64.b64encode,
    "base64url": base64.urlsafe_b64encode,
    "base32": base64.b32encode,
    "base32 lower-case": lambda data: base64.b32encode(data).lower(),
    "hex": lambda data: data.hex().encode(),
    "HEX": lambda data: data.hex().upper().encode(),
    "ascii85": base64.a85encode,
    "ascii85 framed": lambda data: base64.a85encode(data, adobe=True),
    "base85 (RFC 1924)": base64.b85encode,
}
SEPARATORS = {
    "none": (0, ""),
    "a space each character": (1, " "),
    "spaces every 2": (2, " "),
    "é every 3": (3, "é"),
    "spaces every 4": (4, " "),
    "new line every 76": (76, "\n"),
    "ideographic comma every 4": (4, "、"),
    "dot and space every 5": (5, ". "),
    "tab every 16": (16, "\t"),
}


def split(text: str, every: int, separator: str) -> str:
    if not every:
        return text
    return separator.join(text[start : start + every] for start in range(0, len(text), every))


@pytest.mark.parametrize("separator", SEPARATORS.values(), ids=SEPARATORS.keys())
@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_a_file_is_refused_in_any_encoding_and_split_any_way(encode, separator):
    # 300 bytes of random data: what a piece of an image looks like.
    block = split(encode(PAYLOAD[:300]).decode("ascii"), *separator)[:2000]

    with pytest.raises(PayloadRefused):
        refuse_embedded_payload(f"see this: {block} thanks")


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_what_is_counted_is_close_to_what_it_decodes_to(encode):
    for size in (100, 200, 300):
        text = encode(PAYLOAD[:size]).decode("ascii")
        assert 0.8 * size <= decodable_bytes(text) <= 1.3 * size, (size, decodable_bytes(text))


def test_a_little_encoded_data_is_accepted():
    refuse_embedded_payload("the thumbnail was " + base64.b64encode(PAYLOAD[:150]).decode())


@pytest.mark.parametrize("name", CORPUS)
def test_real_text_is_accepted_at_full_length(name):
    # Repeated up to the longest description the service takes.
    # The hashes stay as they are: two SHA-256, one SHA-1, one MD5 and a UUID.
    text = CORPUS[name]
    if name != "file hashes":
        text = ((text + " ") * (2000 // len(text) + 1))[:2000]

    refuse_embedded_payload(text)
    assert decodable_bytes(text) <= MAX_DECODABLE_BYTES // 2 or name in ("url list", "file hashes")


def test_scripts_without_latin_letters_never_count():
    for name in ("chinese", "japanese", "thai", "russian", "arabic"):
        assert decodable_bytes(CORPUS[name] * 10) == 0, name


def test_a_couple_of_digests_are_accepted_and_a_page_of_them_is_not():
    digests = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(30)]
    refuse_embedded_payload("SHA-256: " + digests[0] + " and " + digests[1])
    refuse_embedded_payload("MD5 " + hashlib.md5(b"x").hexdigest())  # noqa: S324

    with pytest.raises(PayloadRefused):
        refuse_embedded_payload("\n".join(digests))


@settings(QUICK, max_examples=200)
@given(
    st.lists(
        st.sampled_from([text for name, text in CORPUS.items() if name != "file hashes"]),
        min_size=1,
        max_size=6,
    )
)
def test_any_mixture_of_real_text_is_accepted(parts):
    refuse_embedded_payload(" ".join(parts)[:2000])


@pytest.mark.parametrize(
    "url",
    [
        "https://images.example.com/gallery/4411?p=2",
        "http://[2001:db8::1]:8080/a.b/c",
        "http://a.b",
    ],
)
def test_refang_undoes_defang(url):
    assert refang(defang(url)) == url
