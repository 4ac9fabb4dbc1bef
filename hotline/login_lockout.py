"""Sign-in lockout (django-axes) with a threshold per kind of failure.

Axes counts the failures of each lockout parameter group (the user name and address pair, the
user name alone, the address alone) and compares the largest count with one limit. The limit is
therefore computed per request: the largest count plus the failures still missing to the nearest
threshold, so that a sign-in is locked exactly when one group has reached its own threshold (5
for a pair, 20 for a name from any addresses, 50 for an address whatever the names), and one
mistyped name does not lock out an office behind one address.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import admin
from django.db.models import Sum
from django.shortcuts import render
from django.utils.translation import gettext as _


def _thresholds() -> list[int]:
    """In the order of settings.AXES_LOCKOUT_PARAMETERS: pair, user name, address."""
    return [
        settings.HOTLINE_LOGIN_FAILURE_LIMIT,
        settings.HOTLINE_LOGIN_USERNAME_FAILURE_LIMIT,
        settings.HOTLINE_LOGIN_ADDRESS_FAILURE_LIMIT,
    ]


def failure_limit(request, credentials) -> int:
    """AXES_FAILURE_LIMIT: the count (as axes compares it) at which this sign-in is locked."""
    groups = AxesDatabaseHandler().get_user_attempts(request, credentials)
    counts = [attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0 for attempts in groups]
    return max(counts) + min(
        threshold - count for threshold, count in zip(_thresholds(), counts, strict=True)
    )


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the hotline's own page, saying how long and whom to ask."""
    hours = float(settings.AXES_COOLOFF_TIME)
    context = {
        **admin.site.each_context(request),
        "title": _("Signing in is locked for now"),
        "staff_help": settings.HOTLINE_STAFF_HELP,
        "hours": int(hours) if hours.is_integer() else hours,
    }
    return render(request, "hotline/locked_out.html", context, status=429)
