"""Renderers of a `TeamReport`, one module per target; every one escapes document text for its target."""
