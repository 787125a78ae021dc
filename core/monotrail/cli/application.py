"""The cleo application: every command but the fast ``run`` dispatch."""

from __future__ import annotations

from cleo.application import Application
from cleo.commands.completions_command import CompletionsCommand
from cleo.helpers import argument, option

from monotrail import __version__
from monotrail.cli.base import GROUP_OPTIONS, MonotrailCommand, ProjectCommand
from monotrail.cli.run_args import RUN_HELP


class RunCommand(MonotrailCommand):
    name = "run"
    description = "Run python or a console script with the project's locked dependencies."
    help = RUN_HELP
    arguments = [
        argument("args", "python ARGS... or command NAME ARGS...", multiple=True, optional=True)
    ]
    options = [
        option("extras", "E", "Install this extra (repeatable).", flag=False, multiple=True),
        *GROUP_OPTIONS,
        option("project", None, "The project directory.", flag=False),
        option("python", "p", "The interpreter to run.", flag=False),
        option("refresh", None, "Resolve again what monotrail resolved itself."),
    ]

    def handle(self) -> int:
        # Reached only through `monotrail help run`-style paths; `monotrail run` is dispatched
        # before cleo so that its arguments pass through untouched.
        self.line(RUN_HELP)
        return 0


class InstallCommand(ProjectCommand):
    name = "install"
    description = "Fill the store with the project's locked packages and say what was added."
    help = (
        "Resolves when the project has no valid lock (Poetry's solver for Poetry projects, pip's\n"
        "resolver for requirements.txt), then downloads, unpacks and compiles every package the\n"
        "target interpreter needs into the global store. Nothing is installed anywhere else.\n"
        "On a terminal each phase is drawn while it runs; one summary line per phase stays.\n\n"
        "Examples:\n"
        "  monotrail install                     # the project of the working directory\n"
        "  monotrail install -E plotting --group docs\n"
        "  monotrail install -p 3.12 --project ~/src/app\n"
        "  monotrail install -q                  # only the summary lines"
    )

    def handle(self) -> int:
        import time

        started = time.perf_counter()
        env = self.prepare()
        for name in env.added:
            self.line(f"  <fg=green>+</> {name}")
        self.line(env.summary(time.perf_counter() - started))
        return 0


class ShellCompletionsCommand(CompletionsCommand):  # type: ignore[misc]
    """cleo's completion scripts, listed among the commands, with examples."""

    hidden = False
    description = "Print a shell completion script for bash, zsh or fish."
    help = (
        "The script completes monotrail's commands and their options. Write it where your\n"
        "shell looks for completions, then start a new shell.\n\n"
        "Examples:\n"
        "  monotrail completions bash > ~/.local/share/bash-completion/completions/monotrail\n"
        "  monotrail completions zsh > ~/.zfunc/_monotrail   # with fpath+=~/.zfunc in .zshrc\n"
        "  monotrail completions fish > ~/.config/fish/completions/monotrail.fish"
    )


def application() -> Application:
    from monotrail.cli.show_command import ShowCommand
    from monotrail.cli.venv_commands import ExportVenvCommand, VenvInstallCommand

    app = Application("monotrail", __version__)
    for command in (RunCommand(), InstallCommand(), VenvInstallCommand(), ExportVenvCommand()):
        app.add(command)
    app.add(ShowCommand())
    from monotrail.cli.store_commands import COMMANDS as STORE_COMMANDS

    for store_command in STORE_COMMANDS:
        app.add(store_command())
    from monotrail.cli.python_commands import python_commands

    for python_command in python_commands():
        app.add(python_command)
    from monotrail.cli.tool_stubs import FromGitCommand, PpipxCommand

    app.add(PpipxCommand())
    app.add(FromGitCommand())
    app.add(ShellCompletionsCommand())
    return app
