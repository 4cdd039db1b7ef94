"""Log lines as JSON objects, one per line: the formatter and the logging set-up that the app and
gunicorn.conf.py share. Outside the app package on purpose: gunicorn's master imports it, and a
module the master has imported is not reloaded by a graceful restart (HUP), so the app must not be.
"""
from __future__ import annotations

import logging
import time

import orjson


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's `extra` fields."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
    converter = time.gmtime  # timestamps in UTC, as the Z says

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry.update((key, value) for key, value in vars(record).items() if key not in self._STANDARD)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def logging_config(*, json: bool, level: str = "INFO") -> dict:
    """A logging.config.dictConfig for the shop and gunicorn: every line to stderr, as JSON or text."""
    formatter = {"()": JsonFormatter} if json else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"shop": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "shop", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        # gunicorn's messages go through the root handler, so every line has one format; its access
        # log (ACCESS_LOG in gunicorn.conf.py) keeps its own file and format.
        "loggers": {"gunicorn.error": {"handlers": [], "propagate": True}},
    }
