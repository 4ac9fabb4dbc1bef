"""Deadline policy: how long a provider has, when to remind, repeat and escalate.

Durations are written like ``24h``, ``90m``, ``30s`` or ``2d`` in the environment, so that tests
and demos can use seconds where production uses hours.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.checks import Error, register
from django.db import models
from django.utils.translation import gettext_lazy as _

DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# Empty means the feature is off.
OPTIONAL_DURATIONS = ("HOTLINE_REMINDER_BEFORE", "HOTLINE_ESCALATE_AFTER", "HOTLINE_LEA_WINDOW")
DURATION_SETTINGS = (
    "HOTLINE_TAKEDOWN_DEADLINE",
    "HOTLINE_LEGAL_ORDER_DEADLINE",
    "HOTLINE_REMINDER_BEFORE",
    "HOTLINE_REPEAT_INTERVAL",
    "HOTLINE_ESCALATE_AFTER",
    "HOTLINE_LEA_WINDOW",
    "HOTLINE_WAKE_HORIZON",
    "HOTLINE_LOOKUP_TTL",
    "HOTLINE_CHECK_INTERVAL",
    "HOTLINE_GONE_SPACING",
    "HOTLINE_NOTICE_GROUP_WINDOW",
    "HOTLINE_DELIVERY_GIVE_UP",
    "HOTLINE_DELIVERY_ALERT_AFTER",
)
MUST_BE_POSITIVE = (
    "HOTLINE_TAKEDOWN_DEADLINE",
    "HOTLINE_LEGAL_ORDER_DEADLINE",
    "HOTLINE_REPEAT_INTERVAL",
    "HOTLINE_DELIVERY_GIVE_UP",
    "HOTLINE_DELIVERY_ALERT_AFTER",
)


def duration_parse(text: str) -> timedelta:
    if (text or "").strip() == "0":
        return timedelta(0)  # e.g. HOTLINE_NOTICE_GROUP_WINDOW=0: no waiting
    match = DURATION.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 24h, 90m, 30s or 2d")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def duration_setting(name: str) -> timedelta | None:
    """The setting as a duration; None when it is empty (the feature is off)."""
    value = getattr(settings, name)
    return duration_parse(value) if value else None


class NoticeKind(models.TextChoices):
    """What a notice rests on, which decides its deadline (deadline_for)."""

    VOLUNTARY = "voluntary", _("voluntary (industry commitment)")
    LEGAL_ORDER = "legal_order", _("legal order")


@dataclass(frozen=True)
class Deadline:
    length: timedelta
    policy: str  # how it was chosen, stored on the notice


def deadline_for(provider, kind: str) -> Deadline:
    """A legal order's statutory deadline; otherwise the provider's own, or the default."""
    if kind == NoticeKind.LEGAL_ORDER:
        length = duration_setting("HOTLINE_LEGAL_ORDER_DEADLINE")
        return Deadline(length, f"legal order: {settings.HOTLINE_LEGAL_ORDER_DEADLINE}")
    if provider.deadline_hours:
        return Deadline(
            timedelta(hours=provider.deadline_hours),
            f"provider {provider.name}: {provider.deadline_hours}h",
        )
    length = duration_setting("HOTLINE_TAKEDOWN_DEADLINE")
    return Deadline(length, f"default: {settings.HOTLINE_TAKEDOWN_DEADLINE}")


@register()
def check_durations(app_configs, **kwargs):
    errors = []
    for name in DURATION_SETTINGS:
        value = getattr(settings, name)
        if name in OPTIONAL_DURATIONS and not value:
            continue
        try:
            length = duration_parse(value)
        except ValueError as exc:
            errors.append(Error(f"{name}: {exc}.", id="hotline.E001"))
            continue
        if not length and name in MUST_BE_POSITIVE:
            # A zero deadline fires at once; a zero repeat interval cannot be divided by.
            errors.append(Error(f"{name}: {value!r} must be longer than zero.", id="hotline.E001"))
    return errors
