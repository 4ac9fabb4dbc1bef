"""The report's timeline as sentences: one presenter per verb the workflow and the services write.

"Notice sent to Example Images BV", "Claimed by ann", "Assessed illegal: baseline, A1, image,
image host, non-commercial". An event's data names a notice by its id; the sentence names its
provider instead (the report's notices, read once per page). Times are the hotline's zone's
(hotline.times). The recorded data stays as it was, for auditors (the Event admin, and a
collapsed detail on the report page).

``PRESENTERS`` covers every verb written for a report (tests/reports/workbench/
test_timeline_sentences.py fails for a verb without one); an unknown verb still reads as its
transition's label rather than breaking the page.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from hotline.times import duration_text, local_text
from reports.models import (
    AgeGroup,
    Commerciality,
    ContentType,
    DeliveryChannel,
    Escalation,
    Event,
    Gender,
    LegalStatus,
    MessageKind,
    NotActionableReason,
    Notice,
    NotIllegalReason,
    RemovalCheck,
    SiteType,
)
from reports.models import ReportStatus as S

Presenter = Callable[[Event, dict[int, Notice]], str]
PRESENTERS: dict[str, Presenter] = {}


def _presents(*verbs: str):
    def register(function: Presenter) -> Presenter:
        for verb in verbs:
            PRESENTERS[verb] = function
        return function

    return register


def event_sentence(event: Event, notices: dict[int, Notice]) -> str:
    """What happened, in one sentence; ``notices``: the report's notices by id."""
    presenter = PRESENTERS.get(event.verb)
    if presenter is None:
        from reports.workflow import TRANSITIONS

        transition = TRANSITIONS.get(event.verb)
        label = transition.label if transition else event.verb.replace("_", " ").capitalize()
        return f"{label} {_by(event)}"
    return presenter(event, notices)


# --- pieces ---------------------------------------------------------------------------------


def _by(event: Event) -> str:
    return _("by %(who)s") % {"who": event.actor_label or _("the system")}


def _when(value: str | None) -> str:
    return local_text(datetime.fromisoformat(value)) if value else "—"


def _provider(event: Event, notices: dict[int, Notice]) -> str:
    notice = notices.get(event.data.get("notice"))
    if notice is not None:
        return notice.provider.name
    return event.data.get("provider") or _("the provider")


def _label(choices, value) -> str:
    """The choice's label without its explanation: "baseline", not "baseline (illegal ...)"."""
    return str(dict(choices.choices).get(value, value)).split(" (")[0] if value else ""


def _channel(event: Event) -> str:
    return _label(DeliveryChannel, event.data.get("channel")) or _("a channel")


# --- triage -------------------------------------------------------------------------------


@_presents("received")
def _received(event, notices):
    sentence = _("Received by %(channel)s") % {"channel": event.data.get("channel", "—")}
    if event.to_status == S.DUPLICATE:
        sentence += _(", a duplicate of an open report")
    return sentence


@_presents("claim")
def _claim(event, notices):
    return _("Claimed by %(who)s") % {"who": event.actor_label}


@_presents("release")
def _release(event, notices):
    released = event.data.get("released")
    if released and released != event.actor_label:
        return _("%(who)s's claim released by %(by)s") % {"who": released, "by": event.actor_label}
    return _("Released by %(who)s") % {"who": event.actor_label}


@_presents("take_over")
def _take_over(event, notices):
    previous = event.data.get("from") or _("nobody")
    return _("Taken over from %(previous)s by %(who)s") % {
        "previous": previous,
        "who": event.actor_label,
    }


@_presents("confirm_assessment")
def _confirm_assessment(event, notices):
    return _("Assessment confirmed %(by)s (the second pair of eyes; assessed by %(first)s)") % {
        "by": _by(event),
        "first": event.data.get("assessed_by") or "—",
    }


@_presents("assess_illegal")
def _assess_illegal(event, notices):
    data = event.data
    parts = [
        _label(LegalStatus, data.get("legal_status")),
        data.get("industry_category", ""),
        _label(ContentType, data.get("content_type")),
        _label(SiteType, data.get("site_type")),
        _label(Commerciality, data.get("commerciality")),
        _label(AgeGroup, data.get("age_group")),
        _label(Gender, data.get("gender")),
    ]
    flags = {
        "is_virtual": _("virtual"),
        "is_user_generated": _("user-generated"),
        "is_child_modeling": _("child modelling"),
    }
    parts += [text for key, text in flags.items() if data.get(key)]
    shown = ", ".join(part for part in parts if part)
    return _("Assessed illegal: %(assessment)s, %(by)s") % {"assessment": shown, "by": _by(event)}


@_presents("assess_not_actionable")
def _assess_not_actionable(event, notices):
    reason = _label(NotActionableReason, event.data.get("reason"))
    why = _label(NotIllegalReason, event.data.get("not_illegal_reason"))
    if why:
        reason = f"{reason} ({why})"
    return _("Assessed not actionable: %(reason)s, %(by)s") % {"reason": reason, "by": _by(event)}


@_presents("mark_duplicate")
def _mark_duplicate(event, notices):
    return _("Marked a duplicate of %(original)s %(by)s") % {
        "original": event.data.get("duplicate_of", "—"),
        "by": _by(event),
    }


@_presents("set_hosting")
def _set_hosting(event, notices):
    provider = event.data.get("provider") or _("no provider")
    country = event.data.get("country") or _("country unknown")
    return _("Hosting set: %(provider)s (%(country)s) %(by)s") % {
        "provider": provider,
        "country": country,
        "by": _by(event),
    }


@_presents("forward")
def _forward(event, notices):
    return _("Forwarded to %(partner)s (their reference %(reference)s) %(by)s") % {
        "partner": event.data.get("partner", "—"),
        "reference": event.data.get("partner_reference") or "—",
        "by": _by(event),
    }


@_presents("stop_checks")
def _stop_checks(event, notices):
    return _("Removal checks stopped %(by)s: %(reason)s") % {
        "by": _by(event),
        "reason": event.data.get("reason", ""),
    }


# --- police -------------------------------------------------------------------------------


@_presents("escalate", "escalate_urgent")
def _escalate(event, notices):
    data = event.data
    kind = _label(Escalation.Kind, data.get("kind")) or _("escalation")
    sentence = _("%(kind)s to %(agency)s by %(channel)s %(by)s") % {
        "kind": kind.capitalize(),
        "agency": data.get("agency", "—"),
        "channel": _label(Escalation.Channel, data.get("channel")) or "—",
        "by": _by(event),
    }
    if data.get("agency_reference"):
        sentence += _(" (their reference %(reference)s)") % {"reference": data["agency_reference"]}
    if data.get("corrects"):
        sentence += _(", correcting an earlier one")
    return sentence


@_presents("hold")
def _hold(event, notices):
    return _("Put on hold for %(agency)s until %(until)s %(by)s") % {
        "agency": event.data.get("agency", "—"),
        "until": _when(event.data.get("until")),
        "by": _by(event),
    }


@_presents("release_hold")
def _release_hold(event, notices):
    held = duration_text(timedelta(seconds=event.data.get("held_seconds") or 0))
    if event.data.get("expired"):
        sentence = _("Hold ended at its end date after %(held)s") % {"held": held}
    else:
        sentence = _("Hold released %(by)s after %(held)s") % {"by": _by(event), "held": held}
    if event.data.get("deadline_at"):
        sentence += _("; deadline now %(deadline)s") % {
            "deadline": _when(event.data["deadline_at"])
        }
    return sentence


# --- notices ------------------------------------------------------------------------------


@_presents("schedule_notice")
def _schedule_notice(event, notices):
    return _("Notice to %(provider)s scheduled for %(at)s (police window) %(by)s") % {
        "provider": _provider(event, notices),
        "at": _when(event.data.get("scheduled_for")),
        "by": _by(event),
    }


@_presents("send_notice")
def _send_notice(event, notices):
    return _("Notice sent to %(provider)s %(by)s; the clock starts when it is accepted") % {
        "provider": _provider(event, notices),
        "by": _by(event),
    }


@_presents("hand_off_notice")
def _hand_off_notice(event, notices):
    if event.data.get("already"):
        return _("Notice to %(provider)s accepted by a second channel") % {
            "provider": _provider(event, notices)
        }
    return _("Notice accepted by %(provider)s (%(channel)s), deadline %(deadline)s") % {
        "provider": _provider(event, notices),
        "channel": _channel(event),
        "deadline": _when(event.data.get("deadline_at")),
    }


@_presents("undeliverable_notice")
def _undeliverable_notice(event, notices):
    if event.data.get("already"):
        return _("A channel to %(provider)s failed; the notice went another way") % {
            "provider": _provider(event, notices)
        }
    return _("Notice to %(provider)s could not be delivered: %(error)s") % {
        "provider": _provider(event, notices),
        "error": event.data.get("error") or _("no error recorded"),
    }


@_presents("redeliver_notice")
def _redeliver_notice(event, notices):
    return _("Notice to %(provider)s delivered again (attempt %(attempt)s) %(by)s") % {
        "provider": _provider(event, notices),
        "attempt": event.data.get("attempt", "—"),
        "by": _by(event),
    }


@_presents("notice_timer")
def _notice_timer(event, notices):
    if event.data.get("message") == "reminder":
        return _("Reminder sent to %(provider)s") % {"provider": _provider(event, notices)}
    return _("Repeat %(count)s sent to %(provider)s") % {
        "count": event.data.get("repeats_sent", "—"),
        "provider": _provider(event, notices),
    }


@_presents("mark_overdue")
def _mark_overdue(event, notices):
    return _("Overdue: %(provider)s missed the deadline of %(deadline)s") % {
        "provider": _provider(event, notices),
        "deadline": _when(event.data.get("deadline_at")),
    }


@_presents("withdraw_notice")
def _withdraw_notice(event, notices):
    return _("Notice to %(provider)s withdrawn %(by)s: %(reason)s") % {
        "provider": _provider(event, notices),
        "by": _by(event),
        "reason": event.data.get("reason") or "—",
    }


@_presents("uphold_dispute")
def _uphold_dispute(event, notices):
    return _("Dispute upheld %(by)s: the notice to %(provider)s is withdrawn (%(reason)s)") % {
        "provider": _provider(event, notices),
        "by": _by(event),
        "reason": event.data.get("reason") or "—",
    }


@_presents("reject_dispute")
def _reject_dispute(event, notices):
    return _(
        "Dispute rejected %(by)s: the notice to %(provider)s runs on, and %(provider)s is told why"
    ) % {
        "provider": _provider(event, notices),
        "by": _by(event),
    }


@_presents("acknowledge_notice")
def _acknowledge_notice(event, notices):
    return _("%(provider)s acknowledged the notice") % {"provider": _provider(event, notices)}


@_presents("dispute_notice")
def _dispute_notice(event, notices):
    return _("%(provider)s disputed the notice (the reason is on the notice)") % {
        "provider": _provider(event, notices)
    }


@_presents("claim_removal")
def _claim_removal(event, notices):
    return _("%(provider)s said it was removed at %(at)s; checks will verify") % {
        "provider": _provider(event, notices),
        "at": _when(event.data.get("claimed_removed_at")),
    }


@_presents("contest_removal")
def _contest_removal(event, notices):
    return _("A check still found it online after %(provider)s said removed (%(at)s)") % {
        "provider": _provider(event, notices),
        "at": _when(event.data.get("claimed_removed_at")),
    }


@_presents("confirm_removal", "verify_removal")
def _removal(event, notices):
    sources = {
        "provider": _("as %(provider)s confirmed"),
        "analyst": _("confirmed %(by)s"),
        "verification": _("verified by a check"),
    }
    source = sources.get(event.data.get("source"), _("confirmed %(by)s")) % {
        "provider": _provider(event, notices),
        "by": _by(event),
    }
    sentence = _("Removed at %(at)s, %(source)s") % {
        "at": _when(event.data.get("removed_at")),
        "source": source,
    }
    if event.data.get("late"):
        sentence += _(" (after the deadline)")
    return sentence


@_presents("removal_verified")
def _removal_verified(event, notices):
    return _("A check confirmed the removal")


@_presents("removal_check")
def _removal_check(event, notices):
    return _("Check %(purpose)s: %(outcome)s (HTTP %(code)s)") % {
        "purpose": _label(RemovalCheck.Purpose, event.data.get("purpose")),
        "outcome": _label(RemovalCheck.Outcome, event.data.get("outcome")) or "—",
        "code": event.data.get("status_code") or "—",
    }


# --- hosting ------------------------------------------------------------------------------


@_presents("hosting_lookup_request")
def _hosting_lookup_request(event, notices):
    return _("Hosting lookup asked for %(by)s") % {"by": _by(event)}


@_presents("hosting_looked_up")
def _hosting_looked_up(event, notices):
    data = event.data
    found = data.get("provider") or (
        _("a provider candidate") if data.get("candidate") else _("no provider")
    )
    sentence = _("Hosting looked up: %(found)s (%(country)s)") % {
        "found": found,
        "country": data.get("country") or _("country unknown"),
    }
    if data.get("behind_cdn"):
        sentence += _(", behind a CDN")
    return sentence


@_presents("hosting_changed")
def _hosting_changed(event, notices):
    return _("Before the hand-off the host was found at %(provider)s (%(country)s)") % {
        "provider": event.data.get("provider") or _("a provider not in the directory"),
        "country": event.data.get("country") or _("country unknown"),
    }


@_presents("hosting_move_follow")
def _hosting_move_follow(event, notices):
    return _("Followed the move to %(where)s %(by)s") % {
        "where": event.data.get("provider", "—"),
        "by": _by(event),
    }


@_presents("hosting_move_dismiss")
def _hosting_move_dismiss(event, notices):
    return _("Hosting change dismissed %(by)s: %(reason)s") % {
        "by": _by(event),
        "reason": event.data.get("reason", ""),
    }


# --- messages and retention -----------------------------------------------------------------


@_presents("message_handed_off", "message_gave_up")
def _message(event, notices):
    kind = _label(MessageKind, event.data.get("kind")) or _("message")
    if event.verb == "message_gave_up":
        return _("%(kind)s could not be delivered by %(channel)s: %(error)s") % {
            "kind": kind.capitalize(),
            "channel": _channel(event),
            "error": event.data.get("error") or _("no error recorded"),
        }
    return _("%(kind)s accepted by %(channel)s") % {
        "kind": kind.capitalize(),
        "channel": _channel(event),
    }


@_presents("personal_data_erased")
def _personal_data_erased(event, notices):
    return _("The reporter's personal data erased (retention period over)")
