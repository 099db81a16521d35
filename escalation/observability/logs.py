"""Log lines: one JSON object per line in production, plain text on a developer's machine.

A JSON line holds the time (UTC), level, logger, message, request id and user id, and for an error the
exception's type and where it was raised. It never holds personal data: the app's own messages name
records by id or reference only; e-mail addresses (a mail server's refusal quotes them) are masked in every
message; an exception's message (a database error can quote a row) is left out, its type and frames kept.
"""

import datetime
import json
import logging
import re
import traceback

from celery import current_task

from escalation.observability import context

EMAIL_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
#: Frames kept from the end of a traceback: where it went wrong, not the whole way down.
FRAMES_KEPT = 20


def mask_email_addresses(text: str) -> str:
    return EMAIL_ADDRESS.sub("[e-mail address]", text)


class RequestContextFilter(logging.Filter):
    """Puts the current request id and user id on every record (None outside a request; in a Celery task the
    request id is the task's id, so a worker's lines for one run of a task can be followed).

    Django logs a 4xx or 5xx response after the middleware has finished, naming the request on the record:
    the ids are then read from that request.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = context.request_id.get() or getattr(request, "request_id", None) or _task_id()
        record.user_id = context.user_id.get() or getattr(request, "log_user_id", None)
        return True


def _task_id() -> str | None:
    task = current_task
    return getattr(task.request, "id", None) if task else None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_email_addresses(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            line["exc_type"] = f"{kind.__module__}.{kind.__qualname__}"
            line["exc_frames"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(trace)[-FRAMES_KEPT:]
            ]
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The developer's format: readable, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request = f" [{request_id[:8]}]" if request_id else ""
        return super().format(record)


def logging_config(log_format: str, level: str) -> dict:
    """Django's LOGGING for the given format ("json" or "text")."""
    if log_format not in {"json", "text"}:
        raise ValueError(f'LOG_FORMAT must be "json" or "text", not {log_format!r}')
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": RequestContextFilter}},
        "formatters": {"app": {"()": formatter}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "app", "filters": ["request_context"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers would print a second, unformatted copy of each request error.
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            "weasyprint.progress": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
        },
    }


def lockout_client_str(username: str, ip_address: str, user_agent: str, path_info: str, request) -> str:
    """How django-axes names a locked-out sign-in in its log lines: by the request id only."""
    return f"a sign-in (request {context.request_id.get() or 'unknown'})"
