"""Credentials masked for output: `user:***@host` in any URL or free text (logs, errors, exports).

Here, in config/, because every package renders URLs: the settings (a database URL with a typo), the store
(its engine's URL in an error) and ingest (feed URLs everywhere).
"""

from __future__ import annotations

import re

MASK = "***"

# `//user:password@` or a lone `//token@` anywhere in a text (a log value, an error message, a traceback).
# The password runs to the last `@` of the authority, as urlsplit and httpx read it, so `p@ss` in
# `//u:p@ss@host` is masked whole, and it may hold spaces (`user:hunter2 y@host` is a URL httpx requests);
# it stops at a line end and at a `"` that ends a string (before `,` `:` `}` `]`, a space or the end), so
# masking a rendered JSON line never joins two of its strings, while `hun"ter2` is masked whole.
_CREDENTIALS = re.compile(r'//(?:(?P<user>[^:/?#@\s"]*):(?:[^/?#\r\n"]|"(?![\s,:}\]]|$))*|[^:/?#@\s"]+)@')


def mask_url(url: str) -> str:
    """The URL with the password of its userinfo replaced by `***` (`user:***@host`), for any output.

    Works on text that is not a valid URL as well (a database URL with a typo such as
    `postgresql+psycopg//user:pw@host/db`, or no scheme at all): everything between the authority's start
    and its last `@` after the first `:` is the password. A userinfo without `:` after `//` is often a
    token (`https://<token>@host/feed`) and is masked whole (`***@host`).
    """
    if "@" not in url:
        return url
    slashes = url.find("//")
    # The authority starts after `//`, or at the start when no `//` comes before the first `@`.
    start = slashes + 2 if 0 <= slashes < url.find("@") else 0
    end = len(url)
    for stop in "/?#":
        found = url.find(stop, start)
        if found >= 0:
            end = min(end, found)
    userinfo, at, host = url[start:end].rpartition("@")
    user, colon, _password = userinfo.partition(":")
    if at and colon:
        url = f"{url[:start]}{user}:{MASK}@{host}{url[end:]}"
    elif at and userinfo and start > 0:
        url = f"{url[:start]}{MASK}@{host}{url[end:]}"
    return mask_secrets(url)  # and any other `//user:password@` (e.g. after `http:///`)


def mask_secrets(text: str) -> str:
    """Every `//user:password@` (and lone `//token@`) in a free text with the password (token) masked."""
    if "@" not in text:  # the common case, and the cheap test
        return text
    return _CREDENTIALS.sub(_masked_userinfo, text)


def _masked_userinfo(match: re.Match[str]) -> str:
    user = match.group("user")
    return f"//{MASK}@" if user is None else f"//{user}:{MASK}@"
