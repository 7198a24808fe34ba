"""Local stand-in servers for the trackers' REST APIs, used through the real client libraries."""
