"""`wirefeed extract`: one page (file or URL) to clean text."""

from __future__ import annotations

import re
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.cli.context import App, FileAccessError, UsageError, add_command, dump_json, read_file, report_error
from ingest.errors import FetchError

if TYPE_CHECKING:
    from config.settings import FetchSettings
    from ingest.extract.page import Extracted


def add_extract_parser(sub: Any) -> None:
    """The `extract` subcommand."""
    p = add_command(
        sub,
        "extract",
        cmd_extract,
        "Extract pages (files, URLs, or - for standard input) to clean text, in one process. "
        "Exit 1 when a source cannot be read or holds no article (the others are still extracted).",
        "wirefeed extract page.html --url https://example.org/a --json",
    )
    p.add_argument(
        "sources", nargs="+", metavar="PATH|URL|-", help="saved pages (.gz gunzipped), http(s) URLs, or - (stdin)"
    )
    p.add_argument("--url", help="the page's URL (for relative links and metadata) when extracting one file")
    p.add_argument(
        "--json", action="store_true", help="JSON with metadata and the removed blocks (one line per source)"
    )


def cmd_extract(app: App) -> int:
    """Extract pages (files, URLs or stdin) to clean text; 1 when one cannot be read or is no article."""
    from ingest.extract.page import extract_page

    sources: list[str] = app.args.sources
    if app.args.url and len(sources) > 1:
        raise UsageError("--url names one page: give one source with it")
    if sources.count("-") > 1:
        raise UsageError("standard input (-) can be read once")
    status = 0
    for index, source in enumerate(sources):
        try:
            body, headers, url = _source(app, source)
        except (FileAccessError, FetchError) as exc:
            if len(sources) == 1:
                raise  # one line from main, as for any error of ours
            # Named as a page that is no article is: which of the sources failed (a file's message names it).
            report_error(f"{exc}" if isinstance(exc, FileAccessError) else f"{source}: {exc.kind}: {exc}", 1)
            status = 1
            continue
        result = extract_page(body, url=url, headers=headers)
        if not result.is_article:
            report_error(f"{source}: no article found ({result.not_article_reason or 'no text'})", 1)
            status = 1
        if app.args.json:
            print(dump_json(_result_record(result)))
        elif result.is_article:
            if len(sources) > 1:
                print(f"{chr(10) if index else ''}==> {source} <==")
            if result.title:
                print(result.title, end="\n\n")
            print(result.text)
        sys.stdout.flush()  # each page as soon as it is extracted; a reader gone is met here
    return status


def _source(app: App, source: str) -> tuple[bytes, dict[str, str], str | None]:
    """A source's bytes, the HTTP headers (for a URL) and the page's URL."""
    if re.match(r"^https?://", source):
        import asyncio

        body, headers, final = asyncio.run(_fetch(source, app.settings.fetch))
        return body, headers, app.args.url or final
    return _read_page(Path(source)), {}, app.args.url


async def _fetch(url: str, settings: FetchSettings) -> tuple[bytes, dict[str, str], str]:
    """The page's body, headers and final URL (after redirects)."""
    from ingest.fetch.client import Fetcher

    async with Fetcher(settings) as fetcher:
        response = await fetcher.get(url, trusted=True)
        return response.body, response.headers, response.url


def _read_page(path: Path) -> bytes:
    """A saved page, gunzipped when its name ends in .gz."""
    import gzip

    body = read_file(path)
    if path.suffix != ".gz" and not body.startswith(b"\x1f\x8b"):
        return body
    try:
        return gzip.decompress(body)
    except (OSError, EOFError, zlib.error) as exc:  # not gzip, or cut short
        raise FileAccessError(f"cannot read {path}: not a complete gzip file ({exc})") from exc


def _result_record(result: Extracted) -> dict[str, object]:
    """`extract --json`: the text, its metadata and the blocks cleaning removed."""
    return {
        "url": result.url,
        "canonical_url": result.canonical_url,
        "title": result.title,
        "text": result.text,
        "author": result.author,
        "published": result.published,
        "modified": result.modified,
        "language": result.language,
        "site_name": result.site_name,
        "description": result.description,
        "is_article": result.is_article,
        "not_article_reason": result.not_article_reason,
        "removed": [{"text": r.text, "why": r.why} for r in result.removed],
        "extractor": result.extractor,
        "extractor_version": result.extractor_version,
    }
