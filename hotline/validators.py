"""Validators of the directory's fields (named by the models, and so by their migrations).

The one country-code rule: an assigned ISO 3166-1 alpha-2 code, in ASCII capitals. A name: one
line of visible text. A domain suffix: a host name, never a public suffix.
"""

import ipaddress
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from iso3166 import countries_by_alpha2

from hotline.domains import is_public_suffix
from hotline.url import canonicalize

COUNTRY_CODE_MESSAGE = _("Use an assigned two-letter ISO 3166-1 country code, e.g. NL.")


def _user_assigned(code: str) -> bool:
    """ISO 3166-1 leaves AA, QM-QZ, XA-XZ and ZZ to its users: they name no country, though
    some lists carry one (XK)."""
    return code in ("AA", "ZZ") or code[0] == "X" or (code[0] == "Q" and code[1] >= "M")


ASSIGNED_COUNTRY_CODES = frozenset(code for code in countries_by_alpha2 if not _user_assigned(code))


def validate_country_code(value) -> None:
    """Model and form validator: the code exactly as stored."""
    if not isinstance(value, str) or value not in ASSIGNED_COUNTRY_CODES:
        raise ValidationError(COUNTRY_CODE_MESSAGE, code="country_code", params={"value": value})


def country_code_clean(value) -> str:
    """What a person typed ("nl ", "NL"), as the stored code; ValidationError if none."""
    code = value.strip().upper() if isinstance(value, str) else value
    validate_country_code(code)
    return code


# Bidirectional overrides and isolates: they make a name read differently from what it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def directory_name(value: str) -> None:
    """A provider's, partner's or agency's name is one line of visible text.

    Names reach notices, e-mail headers, CSV and Markdown exports: no control characters
    (tab, CR, LF, NUL and the rest), line or paragraph separators, or bidirectional controls.
    """
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            raise ValidationError(
                _(
                    "The name contains the control character U+%(code)04X: names are one "
                    "line of visible text."
                )
                % {"code": ord(char)},
                code="control_character",
            )


def domain_suffix_clean(value: str) -> str:
    """A domain suffix as the directory stores it (the canonical host: lower case, punycode);
    ValidationError if it is not a host name, is an IP address, or is a public suffix, which
    would match every registrant's domains under it."""
    try:
        host = canonicalize(f"http://{value.strip()}/").host
    except ValidationError as exc:
        message = f"domain {value!r}: {' '.join(exc.messages)}"
        raise ValidationError(message, code="domain") from None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ValidationError(
            f"domain {value!r} is an IP address: list it under networks", code="domain_address"
        )
    if is_public_suffix(host):
        raise ValidationError(
            f"{host} is a public suffix: list the provider's own domain, e.g. example.{host}",
            code="public_suffix",
        )
    return host
