"""The dashboard's overdue lines: `worker.followup.overdue`, the one definition every view shares."""

from worker.followup.overdue import OverdueLine, latest_today, overdue_lines

__all__ = ["OverdueLine", "latest_today", "overdue_lines"]
