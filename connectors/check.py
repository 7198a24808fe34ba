"""What `followthrough check` reports: one finding per problem with a tracker destination."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, as one line; `unreachable` when the tracker could not be asked at all."""

    where: str  # e.g. "jira OPS" or "github acme/ops"
    problem: str
    unreachable: bool = False

    def line(self) -> str:
        return f"{self.where}: {self.problem}"
