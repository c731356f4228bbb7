"""Where the service's logs go, and how each line reads: ``configure(settings.observability)``.

Everything goes through the standard ``logging`` module to one handler on the root logger
(standard error): Sanic's, uvicorn's and the libraries' records as well as ours.
``LOG_FORMAT=json`` (what ``serve`` writes) makes each record one JSON object a line
(python-json-logger): ``time`` (UTC, RFC 3339), ``level``, ``logger``, ``message``, the
record's extra fields, ``exc_info`` for a traceback. ``LOG_FORMAT=text`` (``dev``) writes
lines for people, the same fields as ``key=value``. ``LOG_LEVEL`` is the root's level.

A record made while a request is served carries its ``requestId`` (from
``service.request_context``), whatever logger made it. The access log (``armory.access``,
one line per request, ``http.observability``) adds ``operationId``, ``account``,
``containerId``, ``method``, ``status``, ``durationMs`` and ``wapMs``. No line carries a
header, a body or a query: credentials and environment values never reach the logs.
"""

from __future__ import annotations

import logging
import sys
import time
from json.encoder import encode_basestring_ascii  # the C one
from typing import IO, Any

from pythonjsonlogger.json import JsonEncoder, JsonFormatter

from service.request_context import current_request_id
from service.settings import Observability

ACCESS_LOGGER = "armory.access"
# The fields each access log record carries (all of them, always), in the order shown.
ACCESS_FIELDS = (
    "requestId",
    "method",
    "operationId",
    "account",
    "containerId",
    "status",
    "durationMs",
    "wapMs",
)
_MARK = "_armory_handler"  # on the handler ``configure`` installs (so it replaces it)
_ENCODE = JsonEncoder().encode  # python-json-logger's (datetimes, exceptions...), made once
_second: tuple[int, str] = (0, "")  # the last whole second formatted, and its text


def _utc(record: logging.LogRecord) -> str:
    global _second
    whole, text = _second
    if int(record.created) != whole:  # one strftime a second, not one a line
        whole = int(record.created)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second = (whole, text)
    return f"{text}.{int(record.msecs):03d}Z"


def _serialize(data: dict[str, Any], **options: Any) -> str:
    return _ENCODE(data)


def _json(value: Any) -> str:
    """A field of the access line as JSON (a string, a number or null), as ``json`` writes it."""
    if type(value) is str:
        return str(encode_basestring_ascii(value))
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return _ENCODE(value)


class JsonLines(JsonFormatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``message``, then extras.

    An access log record (one per request: the hot path) is written straight from the
    fields it is known to carry (``ACCESS_FIELDS``), each escaped as ``json`` escapes it,
    in the same order and with the same separators as every other line."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name != ACCESS_LOGGER or record.args or record.exc_info or record.stack_info:
            return super().format(record)
        f = record.__dict__
        return (
            f'{{"time": "{_utc(record)}", "level": "{record.levelname}", '
            f'"logger": "{ACCESS_LOGGER}", "message": {_json(record.msg)}, '
            f'"requestId": {_json(f["requestId"])}, "method": {_json(f["method"])}, '
            f'"operationId": {_json(f["operationId"])}, "account": {_json(f["account"])}, '
            f'"containerId": {_json(f["containerId"])}, "status": {_json(f["status"])}, '
            f'"durationMs": {_json(f["durationMs"])}, "wapMs": {_json(f["wapMs"])}}}'
        )

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_serializer=_serialize,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _utc(record)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        if record.name != ACCESS_LOGGER or message_dict:
            super().add_fields(log_data, record, message_dict)
            return
        fields = record.__dict__
        log_data["time"] = fields["asctime"]
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        for name in ACCESS_FIELDS:
            log_data[name] = fields[name]


class TextLines(logging.Formatter):
    """``time level logger: message key=value ...`` (the fields ``ACCESS_FIELDS`` names)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _utc(record)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802
        line = super().formatMessage(record)
        fields = record.__dict__
        pairs = [f"{name}={fields[name]}" for name in ACCESS_FIELDS if fields.get(name) is not None]
        return f"{line} {' '.join(pairs)}" if pairs else line


class RequestIdFilter(logging.Filter):
    """Gives a record made while a request is served that request's ``requestId``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "requestId" not in record.__dict__:
            request_id = current_request_id()
            if request_id is not None:
                record.requestId = request_id
        return True


def handler(settings: Observability, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing to ``stream`` (standard error) in ``settings.log_format``."""
    made = logging.StreamHandler(stream if stream is not None else sys.stderr)
    made.setFormatter(JsonLines() if settings.log_format == "json" else TextLines())
    made.addFilter(RequestIdFilter())
    return made


def configure(settings: Observability, stream: IO[str] | None = None) -> logging.Handler:
    """Install ``handler(settings, stream)`` on the root logger, replacing the one an earlier
    call installed, and set the root's level to ``LOG_LEVEL``."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, _MARK, False):
            root.removeHandler(old)
            old.close()
    installed: Any = handler(settings, stream)
    setattr(installed, _MARK, True)
    root.addHandler(installed)
    root.setLevel(settings.log_level)
    # No line shows a thread's or a process's name: LogRecord need not look them up.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    return installed  # type: ignore[no-any-return]
