"""Fetching over HTTP: the client with its caps, SSRF guard and per-origin politeness (`client`),
robots.txt (`robots`) and the charset of fetched bytes (`charset`). Knows nothing of feeds or the store."""
