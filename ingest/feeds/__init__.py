"""Feeds: bytes to items (`parse`), subscribing to a URL or a home page (`subscribe`), OPML in and out
(`opml`) and when to poll a feed next (`schedule`)."""
