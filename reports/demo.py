"""Demonstration history for the embedded default: four months of notices, so the SLA dashboard
has figures. Every row is made by the real services at past moments (time-machine, a
development dependency), so the figures are computed exactly as for real data.
"""

import random
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.test.utils import override_settings
from django.utils import timezone

from hotline.actors import Actor
from hotline.directory import provider_webhook_secret_rotate
from hotline.models import Agency, DeliveryChannels, Provider
from reports import outbox, workflow
from reports.broker import broker_quiet
from reports.intake import report_submit, submission_clean
from reports.models import Channel, Notice, Report

MONTHS = 4
REPORTS_PER_PROVIDER_MONTH = 6
# How a notice ends: removed in time, removed late, still online, or held by the police first.
OUTCOMES = ["in_time"] * 14 + ["late"] * 3 + ["online"] * 2 + ["held"]
HISTORY_MAIL = "django.core.mail.backends.dummy.EmailBackend"


def demo_history_load(user) -> int:
    # History needs no timers (the sweep picks up whatever is still due), and its notices are
    # handed off at their moments to a mail backend that accepts and keeps nothing, with no
    # DNS asked before each (the lookups of its reports run once the lookups worker starts), and
    # no removal checks (the history's URLs are long gone).
    with (
        broker_quiet(),
        override_settings(
            EMAIL_BACKEND=HISTORY_MAIL, HOTLINE_DNS_RESOLVERS="", HOTLINE_PROBES_ENABLED=False
        ),
    ):
        return _history_load(user)


def _history_load(user) -> int:
    import time_machine

    actor = Actor.for_user(user)
    rng = random.Random(2026)  # noqa: S311  (repeatable demo data, not security)
    now = timezone.now()
    start = (now - timedelta(days=30 * MONTHS)).replace(hour=9, minute=0, second=0, microsecond=0)
    steps = []
    # E-mail only: the history's messages go to a mail backend that keeps nothing, not to the
    # webhook receiver.
    history_providers = Provider.objects.filter(active=True, channel=DeliveryChannels.EMAIL)
    for provider in history_providers.prefetch_related("domains"):
        domain = provider.domains.first()
        if domain is None:
            continue
        for month in range(MONTHS):
            for n in range(REPORTS_PER_PROVIDER_MONTH):
                received = start + timedelta(
                    days=30 * month + rng.randint(0, 27), hours=rng.randint(0, 8)
                )
                steps.append((received, provider, f"https://{domain.suffix}/demo/{month}-{n}"))
    steps.sort(key=lambda step: step[0])
    made = 0
    for received, provider, url in steps:
        outcome = rng.choice(OUTCOMES)
        with time_machine.travel(received, tick=False):
            report = report_submit(
                submission=submission_clean(url=url, category="abuse_imagery"),
                channel=Channel.WEB,
                actor=Actor.public(),
            ).report
        moment = received + timedelta(minutes=rng.randint(10, 240))
        with time_machine.travel(moment, tick=False):
            workflow.report_claim(report.pk, actor=actor)
            workflow.report_assess_illegal(
                report.pk,
                actor=actor,
                legal_status="baseline",
                industry_category=rng.choice(["A1", "A2", "B1", "B2"]),
                content_type=rng.choice(["image", "video"]),
                site_type="image_host",
                commerciality="non_commercial",
            )
            workflow.report_set_hosting(
                report.pk, actor=actor, provider_id=provider.pk, country=provider.country
            )
            notice = workflow.report_send_notice(report.pk, actor=actor)
            outbox.outbox_drain(window=timedelta(0))  # the history's notices went at once
            notice.refresh_from_db()
        if moment + timedelta(days=3) > now:
            made += 1
            continue  # recent: still running for real
        deadline = notice.deadline_at
        if outcome == "held":
            with time_machine.travel(moment + timedelta(hours=1), tick=False):
                agency = Agency.objects.filter(kind=Agency.Kind.POLICE, active=True).first()
                workflow.report_hold(
                    report.pk,
                    actor=actor,
                    agency_id=agency.pk,
                    until=moment + timedelta(hours=7),
                    agency_reference="DEMO-HOLD",
                )
            with time_machine.travel(moment + timedelta(hours=7, minutes=1), tick=False):
                workflow.report_hold_release(report.pk, actor=Actor.system("hold expiry"))
            deadline += timedelta(hours=6)
        if outcome in ("late", "online"):
            with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
                workflow.notice_fire_due(notice.pk)
        if outcome != "online":
            allowed = (deadline - moment).total_seconds() / 3600
            hours = (
                rng.uniform(0.5, 0.9 * allowed)
                if outcome != "late"
                else allowed + rng.uniform(2, 36)
            )
            removed = moment + timedelta(hours=hours)
            with time_machine.travel(removed + timedelta(minutes=5), tick=False):
                workflow.report_confirm_removal(report.pk, actor=actor, removed_at=removed)
        made += 1
    # History: its reminders and repeats went long ago (to the history's mail backend).
    outbox.outbox_drain(window=timedelta(0), batch=10_000)
    return made


# The removal-verification demo: a running notice whose URL the sandbox's web host serves
# (`python -m sandbox page URL 404` makes it answer 404; the checks then close it as verified).
CHECKED_URL = "https://images.example.com/gallery/9000"


# The grouping demo: five notices to one provider become one e-mail (var/mail/) once the group
# window closes; its link opens the answer page. The host has a no-probes rule, so "removed" there
# closes the report at once.
GROUPED_URLS = [f"https://files.example.org/d/batch-{n}" for n in range(1, 6)]


def demo_grouped_notices(user) -> list[Notice]:
    return [
        _demo_notice(user, url, Provider.objects.get(name="Example Images BV"))
        for url in GROUPED_URLS
    ]


# The webhook demo: a notice to a provider that takes them by e-mail and by signed webhook; the
# sandbox's receiver (python -m sandbox serve) verifies it with the secret written here.
WEBHOOK_URL = "https://files.voorbeeld-hosting.example/m/31"
WEBHOOK_SECRETS = Path(settings.VAR_DIR) / "sandbox" / "webhook-secrets"


def demo_webhook_notice(user) -> Notice:
    provider = Provider.objects.get(name="Voorbeeld Hosting BV")
    if not provider.webhook_secret:
        secret = provider_webhook_secret_rotate(provider.pk, actor=Actor.for_user(user))
        WEBHOOK_SECRETS.parent.mkdir(parents=True, exist_ok=True)
        with WEBHOOK_SECRETS.open("a") as secrets_file:  # the receiver reads it again
            secrets_file.write(secret + "\n")
    return _demo_notice(user, WEBHOOK_URL, provider)


# The dispute demo: a notice its provider has disputed, in the "disputed" queue; the report page
# answers it (upheld: withdrawn; rejected: the notice runs on and the provider is told why).
DISPUTED_URL = "https://forum.example.net/t/5521"


def demo_disputed_notice(user) -> Notice:
    notice = _demo_notice(user, DISPUTED_URL, Provider.objects.get(name="Example Forum Hosting"))
    # Only a notice the provider has received can be disputed: its own message goes now (to a
    # mail backend that keeps nothing), the others' wait for the delivery worker.
    outbox.items_group(window=timedelta(0))
    message_id = notice.message_items.values_list("message_id", flat=True).get()
    with override_settings(EMAIL_BACKEND=HISTORY_MAIL):
        outbox.message_attempt(message_id)
    return workflow.notice_dispute(
        notice.pk,
        actor=Actor.provider_link(notice.provider),
        reason="The person shown is an adult performer; we hold her age records.",
    )


# The bulk demo: new reports on one host the directory attributes to Example Images BV, to select
# together, assess illegal in one action and send their notices in one more (README: workbench).
BULK_URLS = [f"https://images.example.com/album/7/{n}" for n in range(1, 21)]


def demo_bulk_reports() -> list[Report]:
    return [
        report_submit(
            submission=submission_clean(url=url, category="abuse_imagery"),
            channel=Channel.WEB,
            actor=Actor.public(),
        ).report
        for url in BULK_URLS
    ]


def demo_checked_notice(user) -> Notice:
    """A report of CHECKED_URL assessed and its notice sent to the directory's provider for it;
    the worker hands it off, and the checks begin."""
    return _demo_notice(user, CHECKED_URL, Provider.objects.get(name="Example Images BV"))


def _demo_notice(user, url: str, provider: Provider) -> Notice:
    """A report of ``url`` filed, assessed and its notice sent to ``provider`` (the delivery
    worker hands it off)."""
    actor = Actor.for_user(user)
    report = report_submit(
        submission=submission_clean(url=url, category="abuse_imagery"),
        channel=Channel.WEB,
        actor=Actor.public(),
    ).report
    workflow.report_claim(report.pk, actor=actor)
    workflow.report_assess_illegal(
        report.pk,
        actor=actor,
        legal_status="baseline",
        industry_category="A1",
        content_type="image",
        site_type="image_host",
        commerciality="non_commercial",
    )
    workflow.report_set_hosting(
        report.pk, actor=actor, provider_id=provider.pk, country=provider.country
    )
    return workflow.report_send_notice(report.pk, actor=actor)
