"""The hosting country is an assigned ISO 3166-1 alpha-2 code: user-assigned codes (AA,
QM-QZ, XA-XZ, ZZ), which some lists carry (XK for Kosovo), are refused like XX."""

import pytest
from django.core.exceptions import ValidationError

from hotline.validators import country_code_clean
from reports.forms import HostingForm

USER_ASSIGNED = ["XK", "xk", "AA", "QM", "QZ", "XA", "ZZ"]


@pytest.mark.parametrize("value", USER_ASSIGNED)
def test_a_user_assigned_code_is_refused_with_the_rule(value):
    with pytest.raises(ValidationError, match="assigned two-letter ISO 3166-1"):
        country_code_clean(value)


@pytest.mark.django_db
def test_the_hosting_form_refuses_xk_and_takes_every_assigned_code():
    assert not HostingForm(data={"country": "XK"}).is_valid()
    for code in ("NL", "DE", "US", "SS", "CW", "AQ"):
        assert HostingForm(data={"country": code}).is_valid(), code
