"""`wirefeed demo`: the bundled news world (`demo_world`) ingested into a database of its own, and its stories."""

from __future__ import annotations

from typing import Any

from ingest.cli.context import App, add_command, describe_database


def add_demo_parser(sub: Any) -> None:
    """The `demo` subcommand."""
    p = add_command(
        sub,
        "demo",
        cmd_demo,
        "Serve bundled sample feeds on 127.0.0.1, ingest them into a temporary database (or the one --db names) "
        "and print the stories. Never touches your configured database.",
        "wirefeed demo",
    )
    p.add_argument("--port", type=_port, default=None, metavar="N",
                   help="the first outlet's port (the others follow; default 18765, any free one when taken): "
                   "a second run into the same --db finds its articles known when the ports are the same")
    p.set_defaults(quiet_database=True)  # it says itself which database it uses


def _port(value: str) -> int:
    """--port: a TCP port with room for the outlets after it."""
    import argparse

    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 1 <= port <= 65_000:
        raise argparse.ArgumentTypeError(f"{port} is out of range: give 1 to 65000 (the outlets take the ports after)")
    return port


def cmd_demo(app: App) -> int:
    """Serve the bundled sample feeds on 127.0.0.1, ingest them and print the stories."""
    import tempfile

    from ingest.cli.demo_world import load_world, run_demo
    from ingest.cli.stories import print_stories
    from ingest.logs import configure_logging
    from store.db import Store

    if not app.args.verbose:
        # The demo is read by a person: show warnings only, and the stories at the end.
        configure_logging(app.args.log_format or "console", "warning")
    # Only a database named by --db on this command line: the configured one (the environment, the config
    # file, ./wirefeed.db) is the user's real store, and three dead 127.0.0.1 feeds do not belong there.
    with tempfile.TemporaryDirectory(prefix="wirefeed-demo-") as scratch:
        url = app.database_url if app.args.db else f"sqlite:///{scratch}/demo.db"
        where = describe_database(url) if app.args.db else "a temporary database (deleted at exit; keep one with --db)"
        print(f"serving {len(load_world()['outlets'])} demo feeds on 127.0.0.1; ingesting into {where}")
        store = Store(url)
        try:
            done = run_demo(store, app.settings, port=app.args.port)
            summary = done.summary
            if summary.items_new == 0 and summary.feeds_failed == 0:
                print("no new items: this database holds the demo feeds' articles from an earlier run\n")
            else:
                print(
                    f"stored {summary.stored} articles ({summary.duplicates} already known, "
                    f"{summary.pages_failed} failed), {summary.stories_new} new stories\n"
                )
            if done.removed:
                removed = ", ".join(f"{n} x {why}" for why, n in sorted(done.removed.items()))
                print(f"cleaning removed (from the database's articles): {removed}\n")
            print_stories(store)
        finally:
            store.close()
    return 0
