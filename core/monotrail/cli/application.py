"""The cleo application: every command but the fast ``run`` dispatch."""

from __future__ import annotations

from cleo.application import Application
from cleo.helpers import argument, option

from monotrail import __version__
from monotrail.cli.base import GROUP_OPTIONS, MonotrailCommand, ProjectCommand


class RunCommand(MonotrailCommand):
    name = "run"
    description = "Run python or a console script with the project's locked dependencies."
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
        from monotrail.cli import run_args

        self.line(run_args.RUN_HELP)
        return 0


class InstallCommand(ProjectCommand):
    name = "install"
    description = "Fill the store with the project's locked packages and say what was added."
    help = (
        "Resolves when the project has no valid lock (Poetry's solver for Poetry projects, pip's\n"
        "resolver for requirements.txt), then downloads, unpacks and compiles every package the\n"
        "target interpreter needs into the global store. Nothing is installed anywhere else."
    )

    def handle(self) -> int:
        import time

        started = time.perf_counter()
        env = self.prepare()
        for name in env.added:
            self.line(f"  <fg=green>+</> {name}")
        self.line(env.summary(time.perf_counter() - started))
        return 0


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
    return app
