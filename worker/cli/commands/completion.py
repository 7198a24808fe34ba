"""`followthrough completion SHELL`: print the shell completion script (Click's own)."""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


@click.command(
    "completion",
    help="Print the completion script for SHELL. Enable it with, for bash: "
    'eval "$(followthrough completion bash)" (in ~/.bashrc); zsh and fish alike.',
)
@click.argument("shell", type=click.Choice(SHELLS))
def command(shell: str) -> int:
    from click.shell_completion import get_completion_class

    from worker.cli.main import COMPLETE_VAR, PROG, cli

    completion_class = get_completion_class(shell)
    assert completion_class is not None  # every name in SHELLS is one of Click's
    click.echo(completion_class(cli, {}, PROG, COMPLETE_VAR).source())
    return 0
