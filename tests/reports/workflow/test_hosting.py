"""The triage workflow: hosting and forwarding."""

import pytest

from hotline.errors import DomainError
from reports import workflow
from reports.models import Report
from tests.reports.factories import stored_values
from tests.reports.workflow.support import CALLS, S, as_user, put_in_status

pytestmark = pytest.mark.django_db


# --- hosting and forwarding --------------------------------------------------------------------


def test_set_hosting_records_provider_and_country(world):
    put_in_status(world, S.ACTIONABLE)

    report = workflow.report_set_hosting(
        world.report.pk, actor=as_user(world.analyst), provider_id=world.provider.pk, country=" de "
    )

    assert (report.status, report.provider, report.hosting_country) == (
        S.ACTIONABLE,
        world.provider,
        "DE",
    )
    event = report.events.get(verb="set_hosting")
    assert event.data == {"provider": "Share Example GmbH", "country": "DE"}


@pytest.mark.parametrize(
    ("country", "inactive", "message"),
    [
        ("Germany", False, "two-letter ISO 3166-1 country code"),
        ("D1", False, "two-letter ISO 3166-1 country code"),
        ("", False, "two-letter ISO 3166-1 country code"),
        ("XX", False, "two-letter ISO 3166-1 country code"),
        ("äb", False, "two-letter ISO 3166-1 country code"),
        ("UK", False, "two-letter ISO 3166-1 country code"),
        ("DE", True, "That provider does not exist or is not active."),
    ],
)
def test_set_hosting_refuses_a_bad_country_or_inactive_provider(world, country, inactive, message):
    put_in_status(world, S.ACTIONABLE)
    world.provider.active = not inactive
    world.provider.save()
    snapshot = stored_values()

    with pytest.raises(DomainError, match=message):
        workflow.report_set_hosting(
            world.report.pk,
            actor=as_user(world.analyst),
            provider_id=world.provider.pk,
            country=country,
        )
    assert stored_values() == snapshot


def test_forward_closes_the_report_with_the_partners_reference(world):
    put_in_status(world, S.ACTIONABLE)

    report = workflow.report_forward(
        world.report.pk,
        actor=as_user(world.analyst),
        partner_id=world.partner.pk,
        partner_reference=" DE-2291 ",
    )

    report.refresh_from_db()
    assert report.status == S.FORWARDED and not report.is_open
    assert (report.forwarded_to, report.forwarded_reference) == (world.partner, "DE-2291")
    assert report.forwarded_at == report.status_changed_at
    assert report.events.get(verb="forward").data == {
        "partner": "German Partner",
        "partner_reference": "DE-2291",
    }


@pytest.mark.parametrize(
    ("hosting_country", "partner_change", "message"),
    [
        ("", {}, "Set the hosting country before forwarding."),
        ("NL", {}, "It is hosted in NL, this hotline's own country: send the provider a notice"),
        ("FR", {}, "German Partner does not cover FR (it covers DE, AT)."),
        ("DE", {"active": False}, "That partner hotline does not exist or is not active."),
        ("DE", {"countries": []}, "German Partner does not cover DE (it covers no country)."),
    ],
)
def test_forward_needs_a_country_abroad_and_a_partner_covering_it(
    world, hosting_country, partner_change, message
):
    put_in_status(world, S.ACTIONABLE)
    Report.objects.filter(pk=world.report.pk).update(hosting_country=hosting_country)
    for field, value in partner_change.items():
        setattr(world.partner, field, value)
    world.partner.save()
    snapshot = stored_values()

    with pytest.raises(DomainError) as caught:
        CALLS["forward"](world, as_user(world.analyst))

    assert caught.value.message.startswith(message)
    assert stored_values() == snapshot


def test_abroad_means_outside_the_configured_hotline_country(world, settings):
    settings.HOTLINE_COUNTRY = "DE"
    put_in_status(world, S.ACTIONABLE)

    with pytest.raises(DomainError, match="hosted in DE, this hotline's own country"):
        CALLS["forward"](world, as_user(world.analyst))
