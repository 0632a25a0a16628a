"""No personal number in any log: ID numbers (18 digits, the last may be X) and mobile numbers
(11 digits from 13–19) are replaced in every log record before a handler sees it, whichever logger
wrote it (an access log line with `?q=<ID number>`, an SQL debug line, an exception's text).

`install()` wraps the log record factory (called from settings, so it holds in the web server, the
workers and management commands); `ScrubFilter` does the same as a filter for handlers configured
elsewhere (gunicorn's access log: gunicorn.conf.py).
"""

from __future__ import annotations

import logging
import re

PERSONAL_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")
MASK = "[已隐去]"


def scrub(text: str) -> str:
    return PERSONAL_NUMBER.sub(MASK, text)


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it to logging's own error reporting
        return record
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = scrub(record.exc_text)
    return record


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


def install() -> None:
    """Scrub every log record at creation (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "scrubs", False):
        return

    def scrubbing_factory(*args, **kwargs):
        return scrub_record(factory(*args, **kwargs))

    scrubbing_factory.scrubs = True
    logging.setLogRecordFactory(scrubbing_factory)
