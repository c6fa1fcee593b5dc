"""History through the same pipeline: a resumable, claimed backfill run (`run`) over sitemaps
(`sitemaps`), URL lists (`urllist`), WARC files (`warc`) or stored raw pages (re-extraction)."""
