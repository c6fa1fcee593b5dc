"""The `wirefeed` command line: the global options, the parser built from each command family, and `main`.

Each family registers its own subcommands (`feeds`, `ingest`, `extract`, `dedupe`, `stories`, `backfill`,
`demo`); `main` runs the chosen one and turns what stops it into one line on stderr and an exit status.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from config.settings import ConfigError
from ingest.cli.backfill import add_backfill_parser
from ingest.cli.context import (
    App,
    UsageError,
    add_command,
    output,
    parse_duration,
    poll_interval,
    report_error,
)
from ingest.cli.dedupe import add_dedupe_parser
from ingest.cli.demo import add_demo_parser
from ingest.cli.extract import add_extract_parser
from ingest.cli.feeds import add_feeds_parser
from ingest.cli.ingest import add_ingest_parsers
from ingest.cli.stories import add_stories_parsers
from ingest.errors import WirefeedError
from ingest.urls import mask_secrets, mask_url
from store.db import Store, StoreError, describe, secret_value

# `output`, `parse_duration` and `poll_interval` are imported from here by tests and scripts.
__all__ = ["App", "UsageError", "build_parser", "main", "output", "parse_duration", "poll_interval"]

log = structlog.get_logger("wirefeed.cli")


def cmd_init(app: App) -> int:
    """Create or upgrade the schema."""
    from store.db import ensure_schema

    store = Store(app.settings.database.url, migrate=False)
    applied = ensure_schema(store.engine)
    store.close()
    print(
        f"database ready: {mask_url(secret_value(app.settings.database.url))}"
        + (" (schema created/upgraded)" if applied else "")
    )
    return 0


def add_init_parser(sub: Any) -> None:
    """The `init` subcommand."""
    add_command(
        sub,
        "init",
        cmd_init,
        "Create or upgrade the database schema.",
        "wirefeed --db sqlite:///news.db init",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(
        prog="wirefeed",
        description="Ingest news feeds, extract clean article text and group republished copies into stories.",
        epilog="example:\n  wirefeed feeds add https://example.org/rss.xml && wirefeed ingest && wirefeed stories",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", metavar="FILE", help="TOML config file (see config/wirefeed.example.toml)"
    )
    parser.add_argument(
        "--db", metavar="URL", help="database URL (overrides env and config; default sqlite:///wirefeed.db)"
    )
    parser.add_argument(
        "--log-format", choices=["auto", "console", "json"], help="log format (default: auto)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"wirefeed {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_init_parser(sub)
    add_feeds_parser(sub)
    add_ingest_parsers(sub)
    add_extract_parser(sub)
    add_dedupe_parser(sub)
    add_stories_parsers(sub)
    add_demo_parser(sub)
    add_backfill_parser(sub)
    return parser


def _version() -> str:
    """The installed distribution's version (the source tree's, when run without installing)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wirefeed")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _reader_gone() -> int:
    """stdout's reader went away (`wirefeed stories --json | head`): stop quietly, as other tools do."""
    try:
        # Output still buffered would fail again at exit, with a message: send it nowhere instead.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # stdout is no file (tests capture it): nothing left to flush
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run one command; an error that stops the run is one line on stderr, no traceback.

    Exit status 2 for bad input on the command line, 1 for any error of wirefeed's own (a configuration
    that cannot be used, a store, a fetch, a source that cannot be read); anything else is a bug, reported
    as one line saying so, with the traceback in the log.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    app: App | None = None
    try:
        app = App(args)
        status = int(args.func(app))
        sys.stdout.flush()  # here, so a reader that went away is met inside the try, not at exit
        return status
    except UsageError as exc:
        return report_error(str(exc), 2)
    except ConfigError as exc:
        return report_error(str(exc), 1)
    except StoreError as exc:
        return report_error(str(exc), 1)
    except SQLAlchemyError as exc:  # what Store.session leaves to its caller (refused data, bad SQL)
        return report_error(f"database error: {describe(exc)}", 1)
    except WirefeedError as exc:
        return report_error(f"{exc.kind}: {exc}", 1)
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:
        print("wirefeed: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: said so in one line, the traceback goes to the log
        return _internal_error(exc)
    finally:
        if app is not None:
            app.close()


def _internal_error(exc: Exception) -> int:
    """A bug stopped the run: one line saying so on stderr, the traceback in the log; exit status 1."""
    message = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__
    log.error("internal_error", unit="command", error=mask_secrets(detail), exc_info=exc)
    print(
        f"wirefeed: internal error: {mask_secrets(detail)}; this is a bug, the traceback is in the log",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
