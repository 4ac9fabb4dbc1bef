"""A provider's answers from the one-click answer page (the personal link in each notice e-mail).

They are the provider API's own transitions, acting for the link's provider
(``Actor.provider_link``): the workflow checks the notice is that provider's and still
answerable, under the report's lock, exactly as for a key; the audit trail names the page.
"""

from datetime import datetime

from hotline.actors import Actor
from reports.models import AnswerLink, Notice
from reports.workflow import notice_acknowledge, notice_confirm_removed, notice_dispute

ANSWER_REMOVED = "removed"
ANSWER_ACKNOWLEDGE = "acknowledge"
ANSWER_DISPUTE = "dispute"
NOTICE_ANSWERS = (ANSWER_REMOVED, ANSWER_ACKNOWLEDGE, ANSWER_DISPUTE)


def notice_answer(
    link: AnswerLink,
    notice: Notice,
    answer: str,
    *,
    removed_at: datetime | None = None,
    reason: str = "",
) -> Notice:
    """Record ``answer`` (one of NOTICE_ANSWERS) on the notice; raises the workflow's
    DomainError (NoticeClosed for a notice that can no longer be answered)."""
    actor = Actor.provider_link(link.provider)
    if answer == ANSWER_REMOVED:
        return notice_confirm_removed(notice.pk, actor=actor, removed_at=removed_at)
    if answer == ANSWER_ACKNOWLEDGE:
        return notice_acknowledge(notice.pk, actor=actor)
    if answer == ANSWER_DISPUTE:
        return notice_dispute(notice.pk, actor=actor, reason=reason)
    raise ValueError(f"unknown answer {answer!r}")
