"""Log lines never carry an answer-page token: Django logs every 4xx response with its path (a
throttled answer page, a notice not on it), and the path is the provider's key."""

import logging
import re

ANSWER_PAGE_PATH = re.compile(r"/notice/[^/\s]+/")


class AnswerTokenRedaction(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/notice/" in message:
            record.msg, record.args = ANSWER_PAGE_PATH.sub("/notice/<token>/", message), None
        return True
