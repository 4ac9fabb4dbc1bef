"""A mail server that takes a message and then stalls holds up only its own delivery: the deadline
sweep, in its own worker, fires what is due meanwhile (delivery never holds a report lock while
it talks to a server)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from reports.deadlines import sweep_due
from reports.models import Notice, OutgoingMessage
from tests.reports.factories import ActionableReportFactory, ProviderFactory
from tests.reports.outbox.support import drain, send
from tests.reports.support import T0

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_deadline_sweep_fires_on_time_while_the_delivery_queue_is_stuck(
    actor, clock, mail_server, settings
):
    settings.EMAIL_TIMEOUT = 60  # the delivery worker waits for the stalled server's answer
    running = [send(ActionableReportFactory(), actor) for _ in range(3)]
    assert drain() == {"sent": 3}
    deadline = T0 + timedelta(hours=24)

    mail_server.mode = "stall"
    stuck_report = ActionableReportFactory(provider=ProviderFactory(name="Slow Mail BV"))
    stuck = send(stuck_report, actor)
    delivery_outcome = {}

    def delivery_worker():
        try:
            delivery_outcome.update(drain())
        finally:
            connection.close()

    worker = threading.Thread(target=delivery_worker, daemon=True)
    worker.start()
    try:
        assert mail_server.stalled.wait(timeout=30), "the delivery never reached the server"
        clock.move_to(deadline)

        fired = sweep_due()

        assert worker.is_alive()  # still waiting for the stalled server's answer
        assert fired.notices.get("overdue") == 3
        assert fired.failed == []
        for notice in running:
            notice.refresh_from_db()
            assert notice.status == Notice.Status.OVERDUE
        assert OutgoingMessage.objects.get(provider__name="Slow Mail BV").status == "sending"
        stuck.refresh_from_db()
        assert stuck.status == Notice.Status.DELIVERING  # its own clock has not started
    finally:
        mail_server.release()
        worker.join(timeout=90)
    assert not worker.is_alive()
    assert delivery_outcome == {"sent": 1}  # answered at last
    stuck.refresh_from_db()
    # Its clock runs from the attempt the e-mail's stated deadline was written for.
    assert (stuck.status, stuck.handed_off_at) == (Notice.Status.OPEN, T0)
