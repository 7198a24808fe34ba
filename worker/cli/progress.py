"""Progress on stderr while long work runs, shown only when stderr is a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


def _stderr() -> Console:
    return Console(stderr=True)


@contextmanager
def spinner(text: str) -> Iterator[None]:
    """A spinner with the elapsed time for work of unknown length (a sync, a status refresh)."""
    console = _stderr()
    if not console.is_terminal:
        yield
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        progress.add_task(text, total=None)
        yield


@contextmanager
def bar(text: str, total: int) -> Iterator[Progress]:
    """A bar with done/total and elapsed time; advance it with `progress.advance(progress.task_ids[0])`."""
    console = _stderr()
    with Progress(TextColumn(text, markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as progress:
        progress.add_task(text, total=total)
        yield progress
