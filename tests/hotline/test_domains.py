"""The Public Suffix List: registrable domains (ICANN section only), a host's suffixes, and the
file that can replace the pinned copy."""

import pytest

from hotline.domains import host_suffixes, is_public_suffix, registrable_domain


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("a.b.example.co.uk", "example.co.uk"),
        ("example.co.uk", "example.co.uk"),
        ("WWW.Example.COM.", "example.com"),
        ("foo.github.io", "github.io"),  # a private entry: github.io answers for its users
        ("city.kawasaki.jp", "city.kawasaki.jp"),  # an exception rule (!city.kawasaki.jp)
        ("x.a.b.kawasaki.jp", "a.b.kawasaki.jp"),  # under a wildcard (*.kawasaki.jp)
        ("xn--80ak6aa92e.com", "xn--80ak6aa92e.com"),
        ("files.example", "files.example"),  # an unlisted TLD is a suffix (the "*" rule)
        ("co.uk", None),
        ("com", None),
        ("localhost", None),
        ("192.0.2.1", None),
        ("2001:db8::1", None),
        ("[2001:db8::1]", None),
    ],
)
def test_registrable_domain(host, expected):
    assert registrable_domain(host) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("a.b.example.co.uk", ["a.b.example.co.uk", "b.example.co.uk", "example.co.uk"]),
        ("example.com", ["example.com"]),
        ("cdn.user.github.io", ["cdn.user.github.io", "user.github.io", "github.io"]),
        ("Shop.Example.COM.", ["shop.example.com", "example.com"]),
        ("192.0.2.1", ["192.0.2.1"]),
        ("2001:db8::1", ["2001:db8::1"]),
        ("localhost", ["localhost"]),
    ],
)
def test_host_suffixes_stop_at_the_registrable_domain(host, expected):
    assert host_suffixes(host) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("co.uk", True),
        ("com", True),
        ("CO.UK.", True),
        ("kawasaki.jp", True),
        ("anything.kawasaki.jp", True),
        ("city.kawasaki.jp", False),
        ("example.co.uk", False),
        ("github.io", False),  # the private section does not count
        ("192.0.2.1", False),
        ("", False),
    ],
)
def test_is_public_suffix(name, expected):
    assert is_public_suffix(name) is expected


def test_a_public_suffix_file_replaces_the_pinned_list(settings, tmp_path):
    path = tmp_path / "public_suffix_list.dat"
    path.write_text(
        "// ===BEGIN ICANN DOMAINS===\nuk\nco.uk\nexample.uk\n// ===END ICANN DOMAINS===\n"
        "// ===BEGIN PRIVATE DOMAINS===\nprivate.uk\n// ===END PRIVATE DOMAINS===\n",
        encoding="utf-8",
    )
    assert registrable_domain("a.shop.example.uk") == "example.uk"

    settings.HOTLINE_PUBLIC_SUFFIX_FILE = path

    assert registrable_domain("a.shop.example.uk") == "shop.example.uk"
    assert is_public_suffix("example.uk")
    assert registrable_domain("a.b.private.uk") == "private.uk"  # ICANN section only
    assert registrable_domain("a.example.com") == "example.com"  # "com" by the "*" rule


def test_a_missing_public_suffix_file_means_the_pinned_list(settings, tmp_path):
    settings.HOTLINE_PUBLIC_SUFFIX_FILE = tmp_path / "absent.dat"

    assert registrable_domain("a.b.example.co.uk") == "example.co.uk"
