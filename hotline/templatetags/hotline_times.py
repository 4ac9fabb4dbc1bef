from django import template

from hotline.times import time_html

register = template.Library()


@register.filter
def hotline_time(moment):
    """``2 Dec 14:00 CET`` in the hotline's zone, its UTC on hover; "—" for none."""
    return time_html(moment)
