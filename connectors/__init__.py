"""Every outside system Followthrough talks to: trackers, document sources, notification channels."""
