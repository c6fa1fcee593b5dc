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

from config.errors import WirefeedError
from config.secrets import mask_secrets, mask_url
from ingest.cli.context import (
    App,
    Parser,
    UsageError,
    add_command,
    global_options,
    output,
    parse_duration,
    poll_interval,
    report_error,
)

# `output`, `parse_duration` and `poll_interval` are imported from here by tests and scripts.
__all__ = ["App", "UsageError", "build_parser", "main", "output", "parse_duration", "poll_interval"]

def cmd_init(app: App) -> int:
    """Create or upgrade the schema."""
    from store.db import Store, ensure_schema

    store = Store(app.database_url, migrate=False)
    try:
        applied = ensure_schema(store.engine)
    finally:
        store.close()
    print(f"database ready: {mask_url(app.database_url)}" + (" (schema created/upgraded)" if applied else ""))
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


# Each family is a module whose function registers its commands: (module, function, commands). A new family
# (say `sources`, `prune`) is one module and one line here. Only the family of the command being run is
# imported (`wirefeed stats` loads no feed, backfill or dedupe code); help and usage errors load them all.
FAMILIES = (
    ("ingest.cli.app", "add_init_parser", ("init",)),
    ("ingest.cli.feeds", "add_feeds_parser", ("feeds",)),
    ("ingest.cli.ingest", "add_ingest_parsers", ("ingest", "run")),
    ("ingest.cli.extract", "add_extract_parser", ("extract",)),
    ("ingest.cli.dedupe", "add_dedupe_parser", ("dedupe",)),
    ("ingest.cli.stories", "add_stories_parsers", ("stories", "export", "stats")),
    ("ingest.cli.demo", "add_demo_parser", ("demo",)),
    ("ingest.cli.backfill", "add_backfill_parser", ("backfill",)),
    ("ingest.cli.sources", "add_sources_parser", ("sources",)),
    ("ingest.cli.prune", "add_prune_parser", ("prune",)),
)
GLOBAL_VALUES = frozenset({"--config", "--db", "--log-format"})  # global options that take a value


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser: every command, or only the family of the command `argv` names."""
    import importlib

    parser = Parser(
        prog="wirefeed",
        description="Ingest news feeds, extract clean article text and group republished copies into stories.",
        epilog="global options are taken before or after the command (wirefeed stats --db news.db).\n\n"
        "example:\n  wirefeed feeds add https://example.org/rss.xml && wirefeed ingest && wirefeed stories",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    global_options(parser, top=True)
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _command_named(argv)
    for module, function, commands in FAMILIES:
        if chosen is None or chosen in commands:
            getattr(importlib.import_module(module), function)(sub)
    if "dedupe" in sub.choices:
        corpus = "the corpus: a JSON object a line, {id, title, text, [url], [published]}"
        _help_for(sub.choices["dedupe"], "input", corpus)
    return parser


def _command_named(argv: Sequence[str] | None) -> str | None:
    """The command `argv` runs when it names one (after any global options), else None (no argv: None)."""
    tokens = list(argv or ())
    known = {name for _, _, commands in FAMILIES for name in commands}
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif token in GLOBAL_VALUES:
            skip = True
        elif not token.startswith("-"):
            return token if token in known else None
    return None


def _help_for(parser: argparse.ArgumentParser, dest: str, text: str) -> None:
    """Give an argument that a command module registers without help its help text."""
    for action in parser._actions:
        if action.dest == dest and not action.help:
            action.help = text


class _Version(argparse.Action):
    """--version, looked up only when asked (importlib.metadata costs every other command's start-up)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any) -> None:
        print(f"wirefeed {_version()}")
        parser.exit()


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
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    app: App | None = None
    try:
        app = App(args)
        status = int(args.func(app))
        sys.stdout.flush()  # here, so a reader that went away is met inside the try, not at exit
        return status
    except UsageError as exc:
        return report_error(str(exc), 2)
    except WirefeedError as exc:
        # A configuration, store or file error reads well alone; others are prefixed with their kind.
        plain = exc.kind in {"config", "store", "file"}
        return report_error(str(exc) if plain else f"{exc.kind}: {exc}", 1)
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:
        print("wirefeed: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")  # loaded if SQLAlchemy raised it
        if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError):
            # What Store.session leaves to its caller (refused data, bad SQL).
            from store.db import describe

            return report_error(f"database error: {describe(exc)}", 1)
        return _internal_error(exc, app)  # a bug: said so in one line, the traceback goes to the log
    finally:
        if app is not None:
            app.close()


def _internal_error(exc: Exception, app: App | None) -> int:
    """A bug stopped the run: one line saying so on stderr, the traceback in the log; exit status 1."""
    if app is not None:
        app.ensure_logging()
    message = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__
    import structlog

    log = structlog.get_logger("wirefeed.cli")
    log.error("internal_error", unit="command", error=mask_secrets(detail), exc_info=exc)
    print(
        f"wirefeed: internal error: {mask_secrets(detail)}; this is a bug, the traceback is in the log",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
