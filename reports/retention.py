"""Data retention: a reporter's e-mail address and tracking secret are erased after
HOTLINE_RETENTION_DAYS, and so are the removal checks run before then (each check's outcome
stays in its audit event, and the notice keeps the verified times). Figures and the audit
chain do not use them, so both stay valid."""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline.actors import Actor
from reports.audit import event_build, events_append
from reports.models import RemovalCheck, Report

BATCH = 1000


def personal_data_erase() -> int:
    """Erase what is past retention, in batches; returns how many reports were touched."""
    cutoff = timezone.now() - timedelta(days=settings.HOTLINE_RETENTION_DAYS)
    actor = Actor.system("retention")
    erased = 0
    while True:
        with transaction.atomic():
            batch = list(
                Report.objects.select_for_update(skip_locked=True)
                .filter(received_at__lt=cutoff)
                .exclude(reporter_email="", tracking_secret_hash="")
                .values_list("pk", "status")[:BATCH]
            )
            if not batch:
                return erased
            Report.objects.filter(pk__in=[pk for pk, _ in batch]).update(
                reporter_email="", tracking_secret_hash=""
            )
            now = timezone.now()
            events_append(
                event_build(
                    "personal_data_erased",
                    actor=actor,
                    at=now,
                    report_id=pk,
                    from_status=status,
                    to_status=status,
                    data={"retention_days": settings.HOTLINE_RETENTION_DAYS},
                )
                for pk, status in batch
            )
            erased += len(batch)


def checks_erase() -> int:
    """Delete the removal checks run before the retention cut-off, in batches; how many."""
    cutoff = timezone.now() - timedelta(days=settings.HOTLINE_RETENTION_DAYS)
    erased = 0
    while True:
        batch = list(
            RemovalCheck.objects.filter(checked_at__lt=cutoff).values_list("pk", flat=True)[:BATCH]
        )
        if not batch:
            return erased
        RemovalCheck.objects.filter(pk__in=batch).delete()
        erased += len(batch)


def sessions_erase() -> None:
    """Expired sessions go, and with them the secret of an answer page never fetched (the
    public form keeps it in the session for that one page)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
