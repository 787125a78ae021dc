"""What monotrail's cleo commands share: errors as one line, and choosing a project's env.

A MonotrailError becomes one ``error:`` line and exit code 2. Commands on a project's
environment (``install``, ``export-venv``) take the same options and prepare it the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cleo.commands.command import Command
from cleo.helpers import option

from monotrail.errors import MonotrailError

if TYPE_CHECKING:
    from monotrail.api import Environment, Project


#: The group options of ``run`` (cli/run_args.py) and of the commands on a project.
GROUP_OPTIONS = [
    option("group", None, "Also install this dependency group.", flag=False, multiple=True),
    option("no-group", None, "Leave this dependency group out.", flag=False, multiple=True),
    option("no-default-groups", None, "Leave out the default dependency groups."),
    option(
        "only-group",
        None,
        "Only this group, not the project's own dependencies.",
        flag=False,
        multiple=True,
    ),
    option("all-groups", None, "Install every dependency group."),
]


class MonotrailCommand(Command):  # type: ignore[misc]
    """A command whose MonotrailError becomes one ``error:`` line and exit code 2."""

    def execute(self, io: Any) -> int:
        from monotrail import log, progress

        log.configure(2 if io.is_debug() else (1 if io.is_very_verbose() else 0))
        progress.configure(quiet=io.output.is_quiet(), ansi=io.error_output.is_decorated())
        try:
            return int(super().execute(io) or 0)
        except MonotrailError as err:
            io.write_error_line(f"<error>error: {err}</error>")
            return err.exit_code


def extras_and_groups(command: MonotrailCommand) -> tuple[list[str], list[str]]:
    """The extras (``-E``) and the group words (GROUP_OPTIONS) the options of ``command``
    name."""
    from monotrail.lockfile import dependency_groups as words

    extras = [e for value in command.option("extras") for e in value.replace(",", " ").split()]
    groups = list(command.option("group"))
    groups += [f"!{name}" for name in command.option("no-group")]
    if command.option("only-group"):
        groups += [words.ONLY, *command.option("only-group")]
    groups += [words.NO_DEFAULT] if command.option("no-default-groups") else []
    groups += [words.ALL] if command.option("all-groups") else []
    return extras, groups


class ProjectCommand(MonotrailCommand):
    """A command on the environment of a project, chosen by the options below."""

    options = [
        option("extras", "E", "Install this extra (repeatable).", flag=False, multiple=True),
        *GROUP_OPTIONS,
        option("project", None, "The project directory.", flag=False),
        option("python", "p", "The interpreter to install for (a path).", flag=False),
        option("refresh", None, "Resolve again what monotrail resolved itself."),
        option("frozen", None, "Accepted for uv users: a lock is always used as it is."),
        option("no-compile", None, "Do not compile bytecode."),
    ]

    def selection(self) -> tuple[Project, str, list[str], list[str]]:
        """The project, its interpreter, the extras and the group words the options name."""
        from monotrail import api
        from monotrail.python import choice

        found = api.find_project(self.option("project"))
        executable = choice.for_project(self.option("python"), found.root_dir)
        return found, executable, *extras_and_groups(self)

    def prepare(self) -> Environment:
        """The project's environment."""
        from monotrail import api

        found, executable, extras, groups = self.selection()
        return api.prepare_project(
            found,
            executable,
            extras,
            groups,
            not self.option("no-compile"),
            refresh=bool(self.option("refresh")),
        )
