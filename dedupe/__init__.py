"""wirefeed: dedupe."""
