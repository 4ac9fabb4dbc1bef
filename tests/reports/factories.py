"""Factories for report tests, and a helper that reads back every stored value."""

from datetime import timedelta

import factory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory

from hotline.models import Agency, PartnerHotline, Provider
from hotline.url import canonicalize
from reports.intake import reference_generate
from reports.models import Channel, Notice, Report, ReportStatus
from reports.outbox import outbox_drain
from reports.workflow import report_send_notice


class PartnerHotlineFactory(DjangoModelFactory):
    class Meta:
        model = PartnerHotline
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Partner Hotline {n}")
    contact_email = factory.LazyAttribute(lambda o: f"reports@partner{o.name.split()[-1]}.example")


class ReportFactory(DjangoModelFactory):
    """An open report whose canonical URL, hash and host come from ``hotline.url``."""

    class Meta:
        model = Report

    class Params:
        canonical = factory.LazyAttribute(lambda o: canonicalize(o.submitted_url))

    reference = factory.LazyFunction(reference_generate)
    submitted_url = factory.Sequence(lambda n: f"https://files{n}.example.com/gallery/{n}")
    canonical_url = factory.SelfAttribute("canonical.url")
    url_sha256 = factory.SelfAttribute("canonical.sha256")
    host = factory.SelfAttribute("canonical.host")
    channel = Channel.API
    status = ReportStatus.NEW


# What report_assess_illegal needs: an assessment every test may use.
ILLEGAL = {
    "legal_status": "baseline",
    "industry_category": "A1",
    "content_type": "video",
    "site_type": "forum",
    "commerciality": "non_commercial",
}


def stored_values() -> list[str]:
    """Every column value of every row of every installed model, as text."""
    return [
        str(value)
        for model in apps.get_models()
        for row in model.objects.values_list(
            *(field.attname for field in model._meta.concrete_fields)
        ).iterator()
        for value in row
    ]


# --- Added for the workflow, audit, directory and triage admin tests ----------------------------


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Hosting Provider {n}")
    country = "DE"
    abuse_email = factory.Sequence(lambda n: f"abuse@provider{n}.example")


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Police Unit {n}")
    country = "NL"
    kind = Agency.Kind.POLICE
    contact_email = factory.Sequence(lambda n: f"unit{n}@police.example")


class StaffUserFactory(DjangoModelFactory):
    """A staff user in a role group made by the roles migration.

    ``StaffUserFactory(role="analyst")``
    """

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


# --- Added for the notice and deadline tests ----------------------------------------------------


class ActionableReportFactory(ReportFactory):
    """A report assessed illegal, with its hosting provider set: ready for a notice."""

    status = ReportStatus.ACTIONABLE
    provider = factory.SubFactory(ProviderFactory)
    hosting_country = "DE"
    legal_status = "baseline"
    industry_category = "A1"
    content_type = "image"
    site_type = "image_host"
    commerciality = "non_commercial"
    assessed_at = factory.LazyFunction(timezone.now)


def notice_hand_off(notice: Notice) -> Notice:
    """Deliver a notice's own message, as its delivery task does after commit: the mail backend
    accepts it and the provider's clock starts."""
    outbox_drain(window=timedelta(0))
    notice.refresh_from_db()
    assert notice.handed_off_at is not None, [m.last_error for m in notice.messages]
    return notice


def notice_send(report_id: int, *, actor, **kwargs) -> Notice:
    """An analyst sends the notice and its e-mail goes out at once (the usual case)."""
    return notice_hand_off(report_send_notice(report_id, actor=actor, **kwargs))
