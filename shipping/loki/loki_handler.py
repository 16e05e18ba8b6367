"""Send installer records to Loki from a Python installer, with python-logging-loki.

Each record goes to Loki in the installer log format that `rca` reads
(``2026-12-03T01:04:35.164Z ERROR txn=run-0101 step=go-install msg="..."``), with
the labels ``job``, ``host`` and ``transaction_id``. Usage in an installer::

    logger = logging.getLogger("fleet.install")
    logger.addHandler(make_loki_handler(node=socket.gethostname()))
    log = run_logger(logger, "run-0101")
    log.error("dial tcp 142.250.72.17:443: i/o timeout", extra={"step": "go-install"})

The Loki address comes from the `url` argument or the ``RCA_LOKI_URL`` environment
variable. The default, http://127.0.0.1:3100, is for a Loki started locally for
testing only: set the real address on every node.

NOTE: the transaction id as a label makes one Loki stream per run. That suits a
fleet that runs hundreds of installs a day. At a much higher rate, drop the label and
keep the id only in the line, where rca reads it from ``txn=``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import MutableMapping
from typing import Any

import logging_loki  # type: ignore[import-untyped]  # the package ships no type hints

DEFAULT_LOKI_URL = "http://127.0.0.1:3100"
PUSH_PATH = "/loki/api/v1/push"

_LEVEL_NAMES = {"WARNING": "WARN", "CRITICAL": "FATAL"}


def loki_push_url(url: str | None = None) -> str:
    """Return the push endpoint for `url`, ``RCA_LOKI_URL`` or the local default."""
    base = url or os.environ.get("RCA_LOKI_URL") or DEFAULT_LOKI_URL
    base = base.rstrip("/")
    return base if base.endswith(PUSH_PATH) else base + PUSH_PATH


def logfmt_value(value: str) -> str:
    """Quote a logfmt value that contains a space, a quote, an equals sign or a backslash."""
    if value and not any(char in value for char in ' \t"=\\'):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class InstallerFormatter(logging.Formatter):
    """Format a record as one line of the installer log format.

    The record's ``txn``, ``step``, ``exit`` and ``cmd`` attributes (set through
    `extra`) become fields. The message is the ``msg`` field and comes last.
    """

    def format(self, record: logging.LogRecord) -> str:
        moment = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        level = _LEVEL_NAMES.get(record.levelname, record.levelname)
        fields = []
        for key in ("txn", "step", "exit", "cmd"):
            value = getattr(record, key, None)
            if value is not None:
                fields.append(f"{key}={logfmt_value(str(value))}")
        fields.append(f"msg={logfmt_value(record.getMessage())}")
        return f"{stamp} {level} " + " ".join(fields)


def make_loki_handler(
    node: str, url: str | None = None, auth: tuple[str, str] | None = None
) -> logging_loki.LokiHandler:
    """Create a handler that pushes installer records of `node` to Loki.

    Nothing is sent until a record is logged. The handler posts each record
    synchronously, so an installer that must not wait on Loki can wrap it in a
    `logging.handlers.QueueHandler`.
    """
    handler = logging_loki.LokiHandler(
        url=loki_push_url(url),
        tags={"job": "fleet-install", "host": node},
        auth=auth,
        version="1",
    )
    handler.setFormatter(InstallerFormatter())
    return handler


class RunLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger for one install run: adds ``txn`` to every record and the Loki label."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        txn = str(self.extra["txn"]) if self.extra else ""
        extra = dict(kwargs.get("extra") or {})
        extra.setdefault("txn", txn)
        extra["tags"] = {**extra.get("tags", {}), "transaction_id": txn}
        kwargs["extra"] = extra
        return msg, kwargs


def run_logger(logger: logging.Logger, txn: str) -> RunLogger:
    """Wrap `logger` so that every record carries the transaction id `txn`."""
    return RunLogger(logger, {"txn": txn})
