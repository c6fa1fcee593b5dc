"""The `wirefeed` command line: thin callers of the pipeline and the store.

`app` holds the global options, builds the parser and runs `main`; `context` what every command shares (the
`App`, the usage error, argument types, output); one module per command family registers its subcommands:
`feeds`, `ingest` (ingest, run), `extract`, `dedupe`, `stories` (stories, export, stats), `backfill` and
`demo` (with the bundled sample world it serves).
"""

from ingest.cli.app import main

__all__ = ["main"]
