"""What the one-click answer page shows: the link named by a token, and the notices of its message
that belong to its provider (read queries).

A link is found by the SHA-256 of its token, the only form the database holds; an unknown and an
expired token are the same answer (None). The page's notices are those the message spoke about,
so a notice of another message or another provider is simply not found.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from hotline.url import defang
from reports.models import ANSWERABLE_NOTICE_STATUSES, AnswerLink, Notice
from reports.outbox import token_hash
from reports.workflow import PROVIDER_VISIBLE


def answer_link_find(token: str, now: datetime | None = None) -> AnswerLink | None:
    """The link the token opens, if it has not expired."""
    return (
        AnswerLink.objects.select_related("provider", "message")
        .filter(token_sha256=token_hash(token), expires_at__gt=now or timezone.now())
        .first()
    )


def answer_link_notices(link: AnswerLink) -> QuerySet:
    """The provider's notices its message carried (those dropped before it went are not), in the
    message's order."""
    return (
        Notice.objects.filter(
            provider_id=link.provider_id,
            status__in=PROVIDER_VISIBLE,
            message_items__message_id=link.message_id,
            message_items__dropped="",
        )
        .distinct()
        .select_related("report")
        .order_by("report_id", "id")
    )


def answer_link_notice(link: AnswerLink, notice_id: str) -> Notice | None:
    """One notice of the link's message, or None (also for an id that is not a number)."""
    if not notice_id.isdecimal() or not notice_id.isascii():
        return None
    return answer_link_notices(link).filter(pk=int(notice_id)).first()


@dataclass(frozen=True)
class AnswerEntry:
    notice: Notice
    reference: str
    url: str
    url_defanged: str
    deadline_at: datetime  # the deadline the notice gave, never one a hold moved
    status: str  # as the provider sees it: open, overdue, removed, withdrawn
    answerable: bool


def answer_page_entries(link: AnswerLink) -> list[AnswerEntry]:
    return [
        AnswerEntry(
            notice=notice,
            reference=notice.report.reference,
            url=notice.report.canonical_url,
            url_defanged=defang(notice.report.canonical_url),
            deadline_at=notice.stated_deadline_at,
            status=notice.provider_status,
            answerable=notice.status in ANSWERABLE_NOTICE_STATUSES,
        )
        for notice in answer_link_notices(link)
    ]
