"""structlog set-up: readable on a terminal, JSON lines otherwise, always to stderr, never a password."""

from __future__ import annotations

import importlib
import logging
import sys
import traceback
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import structlog

from ingest.urls import mask_secrets

# Libraries whose stdlib log records are re-emitted as structlog events (one line each), warnings and up;
# any other library's records reach the root logger, which is bridged the same way.
BRIDGED_LOGGERS = ("apscheduler", "asyncio", "warcio")
# Library modules that write to sys.stderr directly instead of logging (warcio prints `WARNING: Record not
# followed by newline ... Remainder: b'...'` and zlib errors): their writes become `library_log` events.
STDERR_WRITERS = {
    "warcio": ("warcio.archiveiterator", "warcio.bufferedreaders", "warcio.digestverifyingreader"),
}
# A library's message is cut here: warcio's Remainder is the rest of a damaged record, kilobytes of bytes.
MAX_LIBRARY_MESSAGE = 500


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
    bridge_stdlib_logger("")  # the root logger: whatever any other library logs
    for library, modules in STDERR_WRITERS.items():
        for module in modules:
            bridge_stderr_writes(module, library)


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
            fields: dict[str, Any] = {"logger": record.name, "message": _shortened(record.getMessage())}
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
    """Send a library's stdlib logger through structlog, once: no multi-line text among the JSON lines.

    The root logger (`""`) keeps its own level and propagation; only its warnings and up are bridged.
    """
    stdlib = logging.getLogger(name)
    for handler in [h for h in stdlib.handlers if isinstance(h, StructlogHandler)]:
        stdlib.removeHandler(handler)
    if not name:
        stdlib.addHandler(StructlogHandler(level))
        return
    stdlib.addHandler(StructlogHandler())
    stdlib.setLevel(level)
    stdlib.propagate = False


class LibraryStderr:
    """A stderr for one library: each message it writes (up to a line end) is one `library_log` warning."""

    def __init__(self, library: str) -> None:
        self.library = library
        self._pending = ""

    def write(self, text: str) -> int:
        """Collect text; a write that ends a line ends the message (warcio writes a message in one call)."""
        self._pending += text
        if self._pending.endswith("\n"):
            self.flush()
        return len(text)

    def flush(self) -> None:
        """Log what was written since the last message, if anything."""
        message, self._pending = self._pending.strip(), ""
        if message:
            structlog.get_logger("wirefeed.library").warning(
                "library_log", logger=self.library, message=_shortened(message)
            )


class _SysWithStderr(ModuleType):
    """`sys` as one library module sees it: the real module, except that stderr is its LibraryStderr."""

    def __init__(self, library: str) -> None:
        super().__init__("sys")
        self.stderr = LibraryStderr(library)

    def __getattr__(self, name: str) -> Any:
        return getattr(sys, name)


def bridge_stderr_writes(module_name: str, library: str) -> None:
    """Make a library module's `sys.stderr.write(...)` a structlog event (it calls no logger we could bridge)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:  # the library is not installed: nothing of it can write
        return
    if getattr(module, "sys", None) is sys or isinstance(getattr(module, "sys", None), _SysWithStderr):
        module.sys = _SysWithStderr(library)  # type: ignore[attr-defined]


def _shortened(message: str) -> str:
    return message if len(message) <= MAX_LIBRARY_MESSAGE else message[:MAX_LIBRARY_MESSAGE] + "..."
