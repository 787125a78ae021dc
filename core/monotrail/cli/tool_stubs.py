"""cleo entries for ``ppipx`` and ``from-git``, so that ``monotrail list`` and ``help`` show them.

Both are dispatched before cleo (cli/main.py), so that the app's or program's arguments pass
through untouched; these entries only print the commands' help.
"""

from __future__ import annotations

from cleo.helpers import argument

from monotrail.cli.base import MonotrailCommand
from monotrail.cli.from_git_args import FROM_GIT_HELP
from monotrail.cli.ppipx_args import PPIPX_HELP


class PpipxCommand(MonotrailCommand):
    name = "ppipx"
    description = "Run an app from the package index, installed only into the store (pipx/uvx)."
    help = PPIPX_HELP
    arguments = [argument("args", "[OPTIONS] PACKAGE [ARGS...]", multiple=True, optional=True)]

    def handle(self) -> int:
        self.line(PPIPX_HELP)
        return 0


class FromGitCommand(MonotrailCommand):
    name = "from-git"
    description = "Run python or a command with a git repository at a revision and its deps."
    help = FROM_GIT_HELP
    arguments = [argument("args", "URL REV python|command ...", multiple=True, optional=True)]

    def handle(self) -> int:
        self.line(FROM_GIT_HELP)
        return 0
