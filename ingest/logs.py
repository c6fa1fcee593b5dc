"""structlog set-up: readable on a terminal, JSON lines otherwise, always to stderr, never a password."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Mapping
from typing import Any

import structlog

from ingest.urls import mask_secrets

# Libraries whose stdlib log records are re-emitted as structlog events (one line each), warnings and up.
BRIDGED_LOGGERS = ("apscheduler", "asyncio")


def configure_logging(fmt: str = "auto", level: str = "info") -> None:
    """Route structlog to stderr as console lines on a TTY (or `console`), JSON lines otherwise."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor
    if use_json:
        processors.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    processors.append(mask_credentials)
    structlog.configure(
        processors=[*processors, MaskedRenderer(renderer)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    for name in BRIDGED_LOGGERS:
        bridge_stdlib_logger(name)


def mask_credentials(_logger: Any, _method: str, event_dict: structlog.typing.EventDict) -> structlog.typing.EventDict:
    """Mask `user:password@` in every string of an event: its values, nested lists and dicts, the event name."""
    return {key: _masked(value) for key, value in event_dict.items()}


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, Mapping):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value  # exc_info tuples and other objects: the rendered line is masked as a whole


class MaskedRenderer:
    """A renderer whose output line is masked too: covers what only the renderer turns into text
    (an exception object's repr, a console traceback)."""

    def __init__(self, renderer: structlog.typing.Processor) -> None:
        self.renderer = renderer

    def __call__(self, logger: Any, method: str, event_dict: structlog.typing.EventDict) -> Any:
        """Render, then mask."""
        rendered = self.renderer(logger, method, event_dict)
        return mask_secrets(rendered) if isinstance(rendered, str) else rendered


class StructlogHandler(logging.Handler):
    """Re-emit a library's stdlib log record as one structlog event (`library_log`, traceback as a field)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Log the record through structlog at its own level."""
        try:
            fields: dict[str, Any] = {"logger": record.name, "message": record.getMessage()}
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                fields["error"] = f"{type(error).__name__}: {error}"
                fields["traceback"] = "".join(traceback.format_exception(error)).rstrip()
            method = record.levelname.lower()
            if method not in {"debug", "info", "warning", "error", "critical"}:
                method = "warning"
            getattr(structlog.get_logger("wirefeed.library"), method)("library_log", **fields)
        except Exception:  # a broken log record must not break the caller (logging's own rule)
            self.handleError(record)


def bridge_stdlib_logger(name: str, level: int = logging.WARNING) -> None:
    """Send a library's stdlib logger through structlog, once: no multi-line text among the JSON lines."""
    stdlib = logging.getLogger(name)
    for handler in [h for h in stdlib.handlers if isinstance(h, StructlogHandler)]:
        stdlib.removeHandler(handler)
    stdlib.addHandler(StructlogHandler())
    stdlib.setLevel(level)
    stdlib.propagate = False
