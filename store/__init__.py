"""wirefeed: store."""
