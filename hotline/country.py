"""The one country-code rule: an assigned ISO 3166-1 alpha-2 code, in ASCII capitals."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from iso3166 import countries_by_alpha2

COUNTRY_CODE_MESSAGE = _("Use an assigned two-letter ISO 3166-1 country code, e.g. NL.")


def validate_country_code(value) -> None:
    """Model and form validator: the code exactly as stored."""
    if not isinstance(value, str) or value not in countries_by_alpha2:
        raise ValidationError(COUNTRY_CODE_MESSAGE, code="country_code", params={"value": value})


def country_code_clean(value) -> str:
    """What a person typed ("nl ", "NL"), as the stored code; ValidationError if none."""
    code = value.strip().upper() if isinstance(value, str) else value
    validate_country_code(code)
    return code
