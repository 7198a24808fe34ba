"""Reading Prometheus text the way a scraper does, for the observability tests."""

from __future__ import annotations

import socket

from prometheus_client.parser import text_string_to_metric_families


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample `name` with exactly these labels in a scrape, or None when absent."""
    for family in text_string_to_metric_families(text):
        for entry in family.samples:
            if entry.name == name and entry.labels == labels:
                return float(entry.value)
    return None


def count(text: str, name: str, **labels: str) -> float:
    """A counter's value (0 when it has no sample yet)."""
    value = sample(text, name, **labels)
    return 0.0 if value is None else value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
