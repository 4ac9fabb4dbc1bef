import io

import pytest
from django.core.management import CommandError, call_command

from hotline.models import PartnerAPIKey, PartnerHotline

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("apikey", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_creates_the_partner_and_prints_a_working_key_last(client):
    lines = run("create", "--partner", "Hotline Abroad")
    key = lines[-1]
    partner = PartnerHotline.objects.get(name="Hotline Abroad")
    stored = PartnerAPIKey.objects.get(partner=partner)
    assert key not in stored.hashed_key and key != stored.id  # only the hash is kept
    response = client.post(
        "/api/v1/partner/reports/",
        {"reports": [{"url": "https://example.com/a"}]},
        content_type="application/json",
        headers={"authorization": f"Api-Key {key}"},
    )
    assert response.status_code == 200
    assert response.json()["created"] == 1


def test_a_second_key_for_an_existing_partner_reuses_it():
    run("create", "--partner", "Hotline Abroad")
    lines = run("create", "--partner", "Hotline Abroad", "--name", "rotation 2026")
    assert not any("Created partner" in line for line in lines)
    assert PartnerHotline.objects.count() == 1
    assert PartnerAPIKey.objects.filter(name="rotation 2026").exists()


def test_an_empty_partner_name_is_refused():
    with pytest.raises(CommandError, match="--partner"):
        run("create", "--partner", "  ")
