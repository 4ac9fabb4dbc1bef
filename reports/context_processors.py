"""Template context for the admin's pages: the delivery-alert banner."""

from django.utils.functional import SimpleLazyObject

from reports.selectors.outbox import delivery_alerts_open


def delivery_alerts(request) -> dict:
    """Staff see every open delivery alert on every admin page; the query runs only where a
    template shows the banner."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}
    return {"delivery_alerts": SimpleLazyObject(delivery_alerts_open)}
