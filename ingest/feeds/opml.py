"""OPML subscription lists: read (safely, no entities) and write."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from config.errors import WirefeedError


class OPMLError(WirefeedError, ValueError):
    """The file is not a readable OPML document (still a ValueError, as callers before the tree caught it)."""

    kind = "opml"


@dataclass(frozen=True, slots=True)
class Subscription:
    """One feed of an OPML list."""

    url: str
    title: str | None = None


def read_opml(data: bytes) -> list[Subscription]:
    """Every outline with an xmlUrl, in document order, without repeats."""
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise OPMLError(f"not a valid OPML file: {exc}") from exc
    except LookupError as exc:  # `<?xml encoding="x-nope"?>`: expat asks Python for a codec that does not exist
        raise OPMLError(f"not a readable OPML file: {exc}") from exc
    if root.tag.lower() != "opml":
        raise OPMLError(f"not an OPML file: root element is <{root.tag}>")
    seen: set[str] = set()
    subs = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url and url not in seen:
            seen.add(url)
            subs.append(Subscription(url, outline.get("title") or outline.get("text")))
    return subs


# What XML 1.0 cannot hold, escaped or not: a title (or URL) with one would make a file no reader opens,
# `feeds import` included.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def write_opml(subs: list[Subscription]) -> str:
    """An OPML 2.0 document listing the subscriptions."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "wirefeed subscriptions"
    ET.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = ET.SubElement(root, "body")
    for sub in subs:
        url, title = _xml_text(sub.url), _xml_text(sub.title or "")
        attrs = {"type": "rss", "xmlUrl": url, "text": title or url}
        if title:
            attrs["title"] = title
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
