"""`wirefeed extract`: one page (file or URL) to clean text."""

from __future__ import annotations

import asyncio
import gzip
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.cli.context import App, FileAccessError, add_command, dump_json, read_file

if TYPE_CHECKING:
    from config.settings import FetchSettings
    from ingest.extract.page import Extracted


def add_extract_parser(sub: Any) -> None:
    """The `extract` subcommand."""
    p = add_command(
        sub,
        "extract",
        cmd_extract,
        "Extract one page (file or URL) to clean text.",
        "wirefeed extract page.html --url https://example.org/a --json",
    )
    p.add_argument("source", metavar="PATH|URL")
    p.add_argument("--url", help="the page's URL (for relative links and metadata) when extracting a file")
    p.add_argument("--json", action="store_true", help="JSON with metadata and the removed blocks")


def cmd_extract(app: App) -> int:
    """Extract one page (file or URL) to clean text."""
    from ingest.extract.page import extract_page

    source: str = app.args.source
    headers: dict[str, str] = {}
    url = app.args.url
    if re.match(r"^https?://", source):
        body, headers, final = asyncio.run(_fetch(source, app.settings.fetch))
        url = url or final
    else:
        body = _read_page(Path(source))
    result = extract_page(body, url=url, headers=headers)
    if app.args.json:
        print(dump_json(_result_record(result)))
    else:
        if result.title:
            print(result.title, end="\n\n")
        print(result.text)
    return 0


async def _fetch(url: str, settings: FetchSettings) -> tuple[bytes, dict[str, str], str]:
    """The page's body, headers and final URL (after redirects)."""
    from ingest.fetch.client import Fetcher

    async with Fetcher(settings) as fetcher:
        response = await fetcher.get(url, trusted=True)
        return response.body, response.headers, response.url


def _read_page(path: Path) -> bytes:
    """A saved page, gunzipped when its name ends in .gz."""
    body = read_file(path)
    if path.suffix != ".gz":
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
