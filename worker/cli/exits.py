"""Exit codes of the `followthrough` command and its one-line error output (documented in the README)."""

from __future__ import annotations

import sys

EXIT_OK = 0
#: Some items failed or wait for a retry; a tracker refused the work.
EXIT_PARTIAL = 1
#: Bad input, usage or configuration.
EXIT_USAGE = 2
#: A service the command needs is unavailable: the broker (Redis) is down, the port is taken.
EXIT_UNAVAILABLE = 3
#: Nothing was written because the team's tracker has no credentials: the run fell back to a dry run.
EXIT_DRY_RUN_FALLBACK = 4
EXIT_INTERRUPTED = 130


def fail(message: str, code: int = EXIT_USAGE, *, prefix: str = "followthrough") -> int:
    """Print the message's first line as `followthrough: error: ...` on stderr; return `code`."""
    first_line = (message.strip().splitlines() or ["unknown error"])[0]
    print(f"{prefix}: error: {first_line}", file=sys.stderr)
    return code


def note(message: str) -> None:
    """One informational line on stderr, prefixed with the program's name."""
    print(f"followthrough: {message}", file=sys.stderr)
