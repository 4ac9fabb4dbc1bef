"""Queueing Celery tasks: a shortcut that wakes things up sooner, never the guarantee.

Whatever a lost or unsent task would have done, the beat sweep finds in the database.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from celery import current_app

logger = logging.getLogger(__name__)
_quiet = ContextVar("broker_quiet", default=False)


@contextmanager
def broker_quiet():
    """Record work without queueing tasks, e.g. while importing history: the sweep takes over."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def broker_send(task: str, args: list, eta: datetime | None = None) -> bool:
    if _quiet.get():
        return False
    try:
        current_app.send_task(task, args=args, eta=eta)
    except Exception:
        logger.warning("could not queue %s%s; the sweep will do it", task, args)
        return False
    return True
