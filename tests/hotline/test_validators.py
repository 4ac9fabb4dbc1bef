"""One country-code rule everywhere a code is written: an assigned ISO 3166-1 alpha-2 code."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from hotline.models import Agency, Provider
from hotline.validators import country_code_clean
from reports.forms import HostingForm

NOT_CODES = ["XX", "UK", "EU", "äb", "ÄB", "N1", "NLD", "N", "", None, 31]


@pytest.mark.parametrize("value", NOT_CODES)
def test_anything_but_an_assigned_code_is_refused(value):
    with pytest.raises(ValidationError, match="ISO 3166-1"):
        country_code_clean(value)


@pytest.mark.parametrize(("typed", "stored"), [("NL", "NL"), ("nl", "NL"), (" gb ", "GB")])
def test_what_a_person_types_becomes_the_stored_code(typed, stored):
    assert country_code_clean(typed) == stored


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Provider, Agency])
def test_the_directory_models_refuse_unassigned_codes(model):
    fields = {"name": "X", "country": "XX"}
    fields |= {"abuse_email": "abuse@x.example"} if model is Provider else {"kind": "police"}
    with pytest.raises(ValidationError, match="ISO 3166-1"):
        model(**fields).full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["XX", "äb"])
def test_a_directory_file_with_an_unassigned_code_is_refused(tmp_path, code):
    path = tmp_path / "directory.yaml"
    path.write_text(
        f"providers:\n  - name: Host\n    country: {code}\n    abuse_email: a@host.example\n",
        encoding="utf-8",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("directory", "load", str(path), stdout=StringIO(), stderr=err)
    assert "is not an ISO 3166-1 country code" in err.getvalue()
    assert not Provider.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["XX", "äb"])
def test_the_hosting_form_refuses_an_unassigned_code(code):
    form = HostingForm(data={"country": code})
    assert not form.is_valid()
    assert "ISO 3166-1" in " ".join(form.errors["country"])
