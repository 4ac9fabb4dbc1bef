"""Canonical form of reported web addresses, safe display, and a guard on free text.

The hotline stores URLs and metadata only. Two reports of the same address must meet on the same
canonical string (and so the same SHA-256), whatever spelling the reporter pasted, and an address
that can only point at the reporter's own machine or network is refused outright.

The parsing follows what browsers do (the WHATWG URL standard) wherever that decides which host a
link really opens: backslashes count as slashes, userinfo ends at the last ``@``, hosts are
percent-decoded and mapped with UTS #46, and numeric hosts such as ``0x7f.1`` or ``2130706433``
are read as the IPv4 address a browser would contact.
"""

import hashlib
import ipaddress
import re
import string
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

import idna
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from hotline.addresses import non_public_reason
from hotline.payload import decodable_bytes

__all__ = [
    "MAX_DECODABLE_BYTES",
    "MAX_URL_LENGTH",
    "CanonicalURL",
    "PayloadRefused",
    "URLRefused",
    "canonicalize",
    "defang",
    "refuse_embedded_payload",
]

MAX_URL_LENGTH = 2048

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_HOST_LENGTH = 253
# How much of the reporter's own text a refusal message quotes back.
_QUOTE_LENGTH = 60

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_AUTHORITY_END = re.compile(r"[/\\?#]")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Underscores are not valid in host names, but they occur in real subdomains and DNS serves them.
_ASCII_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_ONION_SERVICE = re.compile(r"[a-z2-7]{56}|[a-z2-7]{16}")
# A host whose last label is a number is an IPv4 address to a browser, never a domain name.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_IPV4_NUMBER = re.compile(r"0x(?P<hex>[0-9a-f]*)|0(?P<octal>[0-7]+)|(?P<decimal>[1-9][0-9]*|0)")

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# Anything outside RFC 3986's pchar (plus "/" in a path, "/" and "?" in a query) is escaped; an
# existing escape is matched first so it is normalised rather than escaped again.
_PATH_TOKEN = re.compile(r"%(?P<hex>[0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/]")
_QUERY_TOKEN = re.compile(r"%(?P<hex>[0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]")

_DEFANG_URL = re.compile(
    r"(?P<scheme>https?://)(?P<authority>[^/?#]*)(?P<rest>.*)", re.IGNORECASE | re.DOTALL
)
_DEFANG_SCHEME = re.compile(r"(h)tt(ps?:)", re.IGNORECASE)
# An already bracketed dot is matched whole so that it is not bracketed twice.
_DEFANG_DOT = re.compile(r"\[\.\]|\.")

# What a description may carry in encoded form: a hash or two, never a file.
MAX_DECODABLE_BYTES = 256


class URLRefused(ValidationError):
    """A submitted URL that cannot be reported; ``message`` says why and ``code`` names the rule.

    Codes: ``empty``, ``too_long``, ``control_characters``, ``invalid_characters``, ``scheme``,
    ``host`` and ``port``.
    """


class PayloadRefused(ValidationError):
    """Free text that carries a long encoded block (code ``encoded_payload``)."""


@dataclass(frozen=True)
class CanonicalURL:
    """A reportable URL in canonical form; equal URLs have equal ``sha256``."""

    url: str
    # Punycode and lower-case for a domain name; an IPv6 address is without its brackets.
    host: str
    # Hex SHA-256 of ``url`` encoded as UTF-8.
    sha256: str


def canonicalize(raw: str) -> CanonicalURL:
    """Return the canonical form of a URL submitted by a member of the public.

    The result is ``scheme://host[:port]path[?query]``: scheme and host lower-case, the host in
    punycode, default ports, userinfo and fragment dropped, dot segments resolved, and
    percent-escapes normalised (unreserved characters decoded, hex upper-case, anything not
    allowed raw escaped as UTF-8). Calling it again on ``.url`` gives the same result.

    Input without a scheme, such as ``example.com/path`` or ``//example.com/path``, is read as
    an ``http://`` address, as a browser's address bar would; a ``host:port`` start such as
    ``example.com:8080/x`` counts as having no scheme. Text that then has no valid host with a
    dot in it, such as ``foo``, is refused as not a web address, and ``name@example.com`` is
    refused as an e-mail address.

    Raises ``URLRefused`` for anything that cannot be reported, and for nothing else.
    """
    text = raw.strip()
    _check_text(text)
    scheme, rest, scheme_given = _split_scheme(text)
    authority_end = _AUTHORITY_END.search(rest)
    split_at = authority_end.start() if authority_end else len(rest)
    authority, tail = rest[:split_at], rest[split_at:]
    if "@" in authority and not scheme_given:
        raise URLRefused(
            gettext(
                "This looks like an e-mail address: only http:// and https:// web addresses can "
                "be reported."
            ),
            code="scheme",
        )
    # Userinfo ends at the last "@", as in browsers; it is dropped because it never names a host.
    host_text, port_text = _split_port(authority.rpartition("@")[2])
    url_host, host = _canonical_host(host_text)
    port = _canonical_port(port_text, scheme)

    tail = tail.partition("#")[0]
    path, _, query = tail.partition("?")
    # Browsers treat a backslash in the path of an http(s) URL as a slash.
    path = _remove_dot_segments(_normalise_escapes(path.replace("\\", "/"), _PATH_TOKEN))
    query = _normalise_escapes(query, _QUERY_TOKEN)

    url = f"{scheme}://{url_host}{port}{path}" + (f"?{query}" if query else "")
    if len(url) > MAX_URL_LENGTH:
        raise URLRefused(
            gettext(
                "This URL is %(length)d characters long once written out in full; at most "
                "%(max)d are accepted."
            )
            % {"length": len(url), "max": MAX_URL_LENGTH},
            code="too_long",
        )
    return CanonicalURL(url=url, host=host, sha256=hashlib.sha256(url.encode("utf-8")).hexdigest())


def defang(url: str) -> str:
    """Make a URL safe to show: ``https://a.example/x`` becomes ``hxxps://a[.]example/x``.

    Every ``http:`` / ``https:`` becomes ``hxxp:`` / ``hxxps:`` and the dots of the host are
    bracketed, so no viewer turns the text into a link. Text that does not start like an http(s)
    URL has every dot bracketed. Never raises.
    """
    match = _DEFANG_URL.match(url)
    if match is None:
        bracketed = _DEFANG_DOT.sub("[.]", url)
    else:
        authority = _DEFANG_DOT.sub("[.]", match["authority"])
        bracketed = match["scheme"] + authority + match["rest"]
    return _DEFANG_SCHEME.sub(r"\1xx\2", bracketed)


# What analysts paste back: the defanged forms this service and abuse desks write.
_REFANG_SCHEME = re.compile(r"^\s*h(?:xx|XX|tt)p(s?)(?:\[:\]|:)//", re.IGNORECASE)
_REFANG_DOT = re.compile(r"\[\.\]|\(\.\)|\[dot\]|\(dot\)", re.IGNORECASE)


def refang(text: str) -> str:
    """Undo ``defang`` (and the usual variants: ``hXXp``, ``[:]``, ``(.)``, ``[dot]``), for
    text an analyst pastes into search. Never raises."""
    text = _REFANG_SCHEME.sub(lambda m: f"http{m.group(1).lower()}://", text.strip())
    return _REFANG_DOT.sub(".", text)


def refuse_embedded_payload(text: str) -> None:
    """Refuse free text that carries more than 256 bytes in base64, base32, base85 or hex.

    Counted whatever separates the pieces, and only where the characters have the make-up of
    encoded data, never of words (``hotline/payload.py`` says exactly what is counted). Raises
    ``PayloadRefused``.
    """
    carried = decodable_bytes(text)
    if carried > MAX_DECODABLE_BYTES:
        raise PayloadRefused(
            gettext(
                "The description contains encoded data (about %(carried)d bytes as base64, "
                "base32, base85 or hex; at most %(max)d are accepted): descriptions must be "
                "plain text; do not paste files or encoded data."
            )
            % {"carried": carried, "max": MAX_DECODABLE_BYTES},
            code="encoded_payload",
        )


def _check_text(text: str) -> None:
    if not text:
        raise URLRefused(gettext("Enter the web address (URL) to report."), code="empty")
    if len(text) > MAX_URL_LENGTH:
        raise URLRefused(
            gettext("This URL is %(length)d characters long; at most %(max)d are accepted.")
            % {"length": len(text), "max": MAX_URL_LENGTH},
            code="too_long",
        )
    control = _CONTROL_CHARACTER.search(text)
    if control is not None:
        raise URLRefused(
            gettext(
                "The URL contains a control character (%(character)s); paste the address "
                "exactly as shown in the browser's address bar."
            )
            % {"character": f"U+{ord(control[0]):04X}"},
            code="control_characters",
        )
    if _SURROGATE.search(text):
        raise URLRefused(
            gettext("The URL contains characters that are not valid text."),
            code="invalid_characters",
        )


def _split_scheme(text: str) -> tuple[str, str, bool]:
    """Return the scheme, the text after it, and whether the scheme was given."""
    match = _SCHEME.match(text)
    if match is not None and not _is_host_and_port(match[1], text[match.end() :]):
        scheme = match[1].lower()
        if scheme not in _DEFAULT_PORTS:
            raise URLRefused(
                gettext(
                    'URLs with the "%(scheme)s:" scheme are refused: only http:// and https:// '
                    "web addresses can be reported."
                )
                % {"scheme": _quote(scheme)},
                code="scheme",
            )
        # Browsers read any run of slashes or backslashes after "http:" as the start of the host.
        return scheme, text[match.end() :].lstrip("/\\"), True
    return "http", text.removeprefix("//"), False


def _is_host_and_port(candidate: str, after: str) -> bool:
    """Whether ``candidate:`` at the start is a host with a port rather than a scheme."""
    if candidate.lower() in _DEFAULT_PORTS:
        return False
    return ("." in candidate and not after.startswith("//")) or candidate.lower() == "localhost"


def _split_port(host_and_port: str) -> tuple[str, str]:
    if not host_and_port.startswith("["):
        host, _, port = host_and_port.partition(":")
        return host, port
    close = host_and_port.find("]")
    after = host_and_port[close + 1 :]
    if close == -1 or (after and not after.startswith(":")):
        raise URLRefused(
            gettext(
                'The IPv6 address "%(address)s" is not written as "[address]" or "[address]:port".'
            )
            % {"address": _quote(host_and_port)},
            code="host",
        )
    return host_and_port[: close + 1], after[1:]


def _canonical_port(port_text: str, scheme: str) -> str:
    """Return ``:port``, or nothing for an empty or default port."""
    if not port_text:
        return ""
    if not (port_text.isascii() and port_text.isdigit()):
        raise URLRefused(
            gettext('The port "%(port)s" is not a number.') % {"port": _quote(port_text)},
            code="port",
        )
    port = int(port_text)
    if not 0 < port <= 65535:
        raise URLRefused(
            gettext("The port %(port)s is out of range: ports are 1 to 65535.")
            % {"port": _quote(port_text)},
            code="port",
        )
    return "" if port == _DEFAULT_PORTS[scheme] else f":{port}"


def _canonical_host(host_text: str) -> tuple[str, str]:
    """Return the host as written in the canonical URL, and as stored (IPv6 without brackets)."""
    if not host_text:
        raise URLRefused(gettext("The URL has no host name, such as example.com."), code="host")
    if host_text.startswith("["):
        address = _parse_ipv6(host_text[1:-1])
        _refuse_non_public(address)
        written = _format_ipv6(address)
        return f"[{written}]", written

    try:
        name = unquote_to_bytes(host_text).decode("utf-8")
        # Checked before the mapping, which refuses long input as if it were a bad character.
        if len(name.removesuffix(".")) > _MAX_HOST_LENGTH:
            raise _host_too_long(len(name))
        name = idna.uts46_remap(name, std3_rules=False)
    except (UnicodeError, idna.IDNAError):
        raise URLRefused(
            gettext(
                'The host name "%(host)s" contains characters that are not allowed in a domain '
                "name."
            )
            % {"host": _quote(host_text)},
            code="host",
        ) from None
    # One trailing dot is the DNS root and names the same host.
    name = name.removesuffix(".")
    if not name:
        raise URLRefused(gettext("The URL has no host name, such as example.com."), code="host")
    labels = name.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        address = _parse_ipv4(labels, name)
        _refuse_non_public(address)
        return str(address), str(address)
    name = _encode_domain(labels, name)
    return name, name


def _parse_ipv6(text: str) -> ipaddress.IPv6Address:
    # A zone such as "%eth0" only means something on the reporter's own computer.
    if "%" not in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            pass
    raise URLRefused(
        gettext('"[%(address)s]" is not a valid IPv6 address.') % {"address": _quote(text)},
        code="host",
    )


def _format_ipv6(address: ipaddress.IPv6Address) -> str:
    """Write an IPv6 address in RFC 5952 form.

    Done by hand because ``str()`` writes IPv4-mapped addresses differently from Python 3.13 on,
    and the canonical form (and its hash) must not change with the Python version.
    """
    pieces = [f"{int(piece, 16):x}" for piece in address.exploded.split(":")]
    # Find the longest run of two or more zero pieces (the first on a tie) to write as "::".
    best_start, best_length, run_start = 0, 1, None
    for index, piece in enumerate([*pieces, "end"]):
        if piece == "0":
            run_start = index if run_start is None else run_start
        elif run_start is not None:
            if index - run_start > best_length:
                best_start, best_length = run_start, index - run_start
            run_start = None
    if best_length < 2:
        return ":".join(pieces)
    return ":".join(pieces[:best_start]) + "::" + ":".join(pieces[best_start + best_length :])


def _parse_ipv4(labels: list[str], name: str) -> ipaddress.IPv4Address:
    """Read a host the way browsers do: one to four parts, each decimal, octal (0…) or hex (0x…).

    The last part fills all the bytes the earlier parts leave, so ``0x7f.1`` is 127.0.0.1 and
    ``2130706433`` is too.
    """
    numbers = [_ipv4_number(label) for label in labels]
    if (
        len(numbers) > 4
        or None in numbers
        or any(number > 255 for number in numbers[:-1])
        or numbers[-1] >= 256 ** (5 - len(numbers))
    ):
        raise URLRefused(
            gettext('The host "%(host)s" looks like a numeric IP address but is not a valid one.')
            % {"host": _quote(name)},
            code="host",
        )
    leading = sum(number << (8 * (3 - index)) for index, number in enumerate(numbers[:-1]))
    return ipaddress.IPv4Address(leading + numbers[-1])


def _ipv4_number(label: str) -> int | None:
    match = _IPV4_NUMBER.fullmatch(label)
    if match is None:
        return None
    if match["hex"] is not None:
        return int(match["hex"] or "0", 16)
    if match["octal"] is not None:
        return int(match["octal"], 8)
    return int(match["decimal"])


def _refuse_non_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    reason = non_public_reason(address)
    if reason is not None:
        raise URLRefused(
            gettext(
                "The address %(address)s is %(reason)s; only addresses on the public internet "
                "can be reported."
            )
            % {"address": address, "reason": reason},
            code="host",
        )


def _encode_domain(labels: list[str], name: str) -> str:
    """Validate a domain name and return it in punycode."""
    if labels[-1] == "localhost":
        raise URLRefused(
            gettext('"%(host)s" names the computer it is typed on, not a public web address.')
            % {"host": _quote(name)},
            code="host",
        )
    if len(labels) == 1:
        raise URLRefused(
            gettext(
                '"%(host)s" is not a web address: a domain name has at least one dot, as in '
                "example.com."
            )
            % {"host": _quote(name)},
            code="host",
        )
    encoded = [_encode_label(label, name) for label in labels]
    domain = ".".join(encoded)
    if len(domain) > _MAX_HOST_LENGTH:
        raise _host_too_long(len(domain))
    if encoded[-1] == "onion" and not _ONION_SERVICE.fullmatch(encoded[-2]):
        raise URLRefused(
            gettext(
                '"%(host)s" is not a valid Tor address: the part before ".onion" must be the '
                "56-character (or old 16-character) service name."
            )
            % {"host": _quote(name)},
            code="host",
        )
    return domain


def _host_too_long(length: int) -> URLRefused:
    return URLRefused(
        gettext("The host name is %(length)d characters long; domain names have at most %(max)d.")
        % {"length": length, "max": _MAX_HOST_LENGTH},
        code="host",
    )


def _encode_label(label: str, name: str) -> str:
    if label.isascii():
        if not _ASCII_LABEL.fullmatch(label):
            raise URLRefused(
                gettext(
                    'The host name "%(host)s" is not valid: each part between dots must be 1 to '
                    "63 letters, digits or hyphens, and must not start or end with a hyphen."
                )
                % {"host": _quote(name)},
                code="host",
            )
        if label.startswith("xn--") and not _is_canonical_punycode(label):
            raise URLRefused(
                gettext(
                    'The host name "%(host)s" is not valid: its part "%(label)s" is not a valid '
                    "internationalised (xn--) label."
                )
                % {"host": _quote(name), "label": label},
                code="host",
            )
        return label
    try:
        return idna.alabel(label).decode("ascii")
    except idna.IDNAError:
        raise URLRefused(
            gettext(
                'The host name "%(host)s" is not a valid internationalised domain name. If it is '
                'real, enter it in its "xn--" form.'
            )
            % {"host": _quote(name)},
            code="host",
        ) from None


def _is_canonical_punycode(label: str) -> bool:
    """Whether an ``xn--`` label decodes, and encodes back to exactly itself.

    It is not held to the IDNA 2008 character rules: such a name exists in DNS as written (emoji
    domains, for one), and a report of it must still be possible.
    """
    encoded = label.removeprefix("xn--").encode("ascii")
    try:
        return encoded.decode("punycode").encode("punycode") == encoded
    except UnicodeError:
        return False


def _normalise_escapes(text: str, token: re.Pattern[str]) -> str:
    return token.sub(_normalise_token, text)


def _normalise_token(match: re.Match[str]) -> str:
    if match["hex"] is None:
        # A character not allowed raw, including a "%" that starts no escape.
        return "".join(f"%{byte:02X}" for byte in match[0].encode("utf-8"))
    character = chr(int(match["hex"], 16))
    return character if character in _UNRESERVED else match[0].upper()


def _remove_dot_segments(path: str) -> str:
    """Resolve "." and ".." segments (RFC 3986, 5.2.4); an empty path becomes "/"."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    # "/a/." and "/a/b/.." name the directory, so they keep their trailing slash.
    if segments and segments[-1] in (".", ".."):
        kept.append("")
    return "/" + "/".join(kept)


def _quote(text: str) -> str:
    """Shorten the reporter's text for a refusal message."""
    return text if len(text) <= _QUOTE_LENGTH else text[: _QUOTE_LENGTH - 1] + "…"
