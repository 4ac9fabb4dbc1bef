"""Times as the staff read them: in the hotline's zone (HOTLINE_TIME_ZONE), saying that zone,
with UTC on hover; and lengths of time in days, hours and minutes.

Storage, e-mails to providers and the API stay in UTC; only what the admin shows is local.
"""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _


def hotline_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.HOTLINE_TIME_ZONE)


def local_text(moment: datetime) -> str:
    """``2 Dec 14:00 CET``: the hotline's zone, the year only when it is not this one."""
    local = moment.astimezone(hotline_zone())
    year = "" if local.year == timezone.now().astimezone(hotline_zone()).year else " Y"
    return dateformat.format(local, f"j M{year} H:i T")


def utc_text(moment: datetime) -> str:
    """``2026-12-02 13:00 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def time_html(moment: datetime | None) -> SafeString | str:
    """The local time, its UTC on hover (and for machines in ``datetime``); "—" for none (or
    for the empty string a template gives for a missing value)."""
    if not moment:
        return "—"
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.astimezone(UTC).isoformat(timespec="seconds"),
        utc_text(moment),
        local_text(moment),
    )


def short_time_html(moment: datetime | None) -> SafeString | str:
    """For a list's narrow column: today's time (``10:00 CET``), else the day (``2 Dec``); the
    whole time and its UTC on hover."""
    if not moment:
        return "—"
    local = moment.astimezone(hotline_zone())
    today = timezone.now().astimezone(hotline_zone()).date()
    if local.date() == today:
        shown = dateformat.format(local, "H:i T")
    else:
        shown = dateformat.format(local, "j M" if local.year == today.year else "j M Y")
    return format_html(
        '<time datetime="{}" title="{} ({})">{}</time>',
        moment.astimezone(UTC).isoformat(timespec="seconds"),
        local_text(moment),
        utc_text(moment),
        shown,
    )


def duration_text(length: timedelta) -> str:
    """``1 d 3 h``, ``5 h 20 min``, ``12 min`` (rounded down to the minute; no sign). A number
    and its unit are joined by a no-break space: a narrow column wraps between them only."""
    minutes = int(abs(length.total_seconds())) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        text = _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    elif hours and minutes:
        text = _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    elif hours:
        text = _("%(hours)d h") % {"hours": hours}
    else:
        text = _("%(minutes)d min") % {"minutes": minutes}
    return re.sub(r"(\d) ", "\\1\u00a0", text)
