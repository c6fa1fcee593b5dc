"""wirefeed: config."""
