"""Thin Celery tasks: each takes ids, reloads from the database and calls one service."""

from celery import shared_task

from reports import audit, deadlines, hosting, outbox, retention, verification


@shared_task(ignore_result=True)
def notice_wake(notice_id: int, key: str) -> list[str]:
    return deadlines.notice_wake(notice_id, key)


@shared_task(bind=True, ignore_result=True)
def sweep_due(self) -> str:
    summary = deadlines.sweep_due().summary()
    deadlines.worker_heartbeat_record(self.request.hostname)
    return summary


@shared_task(ignore_result=True)
def outbox_drain() -> str:
    return outbox.outbox_drain().summary()


@shared_task(ignore_result=True)
def personal_data_erase() -> int:
    retention.sessions_erase()
    return retention.personal_data_erase() + retention.checks_erase()


@shared_task(ignore_result=True)
def audit_tick() -> int:
    return audit.audit_tick()


@shared_task(ignore_result=True)
def hosting_lookups_run(lookup_ids: list[int]) -> int:
    return hosting.lookups_run(lookup_ids)


@shared_task(ignore_result=True)
def hosting_intake_lookups_run(report_ids: list[int]) -> int:
    return hosting.intake_lookups_run(report_ids)


@shared_task(ignore_result=True)
def hosting_lookups_resume() -> int:
    return hosting.lookups_resume()


@shared_task(ignore_result=True)
def probes_run() -> int:
    return verification.probes_run()
