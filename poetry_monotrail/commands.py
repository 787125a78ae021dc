"""``poetry monotrail run`` and ``poetry monotrail install``: Poetry's project, monotrail's core.

Poetry contributes what only it knows: the project it found (``-C``/``-P``), its sources and
their credentials (for locking; downloads ask Poetry's authenticator in the core), its group
selection (``--with``/``--without``/``--only``, Poetry's own ``GroupCommand``), its extras, and
its solver and locker when ``poetry.lock`` is missing or stale. Everything after that is the
core's ``run``/``install``, called with the equivalent monotrail options; no virtualenv is
created or needed.
"""

from __future__ import annotations

import re
from typing import Any

from cleo.helpers import argument, option
from cleo.io.inputs.argv_input import ArgvInput
from monotrail.errors import MonotrailError
from poetry.console.commands.group_command import GroupCommand


class _MonotrailCommand(GroupCommand):  # type: ignore[misc]
    """Shared options and the translation of Poetry's selection into monotrail options."""

    def _selection_options(self) -> list[str]:
        """Poetry's project, groups, extras and interpreter as monotrail options."""
        poetry = self.poetry
        options = ["--project", str(poetry.pyproject_path.parent)]
        non_optional = set(self.non_optional_groups)
        activated = set(self.activated_groups)
        names = {g.name: g.pretty_name for g in poetry.package._dependency_groups.values()}
        options += [f"--group={names.get(g, g)}" for g in sorted(activated - non_optional)]
        options += [f"--group=!{names.get(g, g)}" for g in sorted(non_optional - activated)]
        extras = sorted(poetry.package.extras) if self.option("all-extras") else []
        extras += [e for value in self.option("extras") for e in re.split(r"[,\s]+", value) if e]
        options += [f"--extras={e}" for e in extras]
        if self.option("python"):
            options += ["--python", self.option("python")]
        return options

    def _lock(self) -> None:
        """Lock with Poetry's own objects (its sources, credentials, config) when needed."""
        from monotrail.resolve import poetry_resolver

        poetry_resolver.ensure_lock(self.poetry.pyproject_path.parent, poetry=self.poetry)

    def handle(self) -> int:
        from poetry.console.exceptions import GroupNotFoundError

        try:
            return self._handle()
        except MonotrailError as err:
            self.line_error(f"error: {err}")
            return err.exit_code
        except GroupNotFoundError as err:
            message = re.sub(r"<[^>]*>", "", str(err))
            self.line_error(f"error: {self.poetry.pyproject_path}: {message}")
            return 2

    def _handle(self) -> int:
        raise NotImplementedError


def _selection_option_definitions() -> list[Any]:
    return [
        *GroupCommand._group_dependency_options(),
        option("extras", "E", "Extra to install (repeatable).", flag=False, multiple=True),
        option("all-extras", None, "Install all extras."),
        option("python", "p", "The interpreter to use (a version or a path).", flag=False),
    ]


class RunCommand(_MonotrailCommand):
    name = "monotrail run"
    description = "Run python or a console script with the project's locked packages, no venv."
    help = (
        "Usage: poetry monotrail run [options] python ARGS... | command NAME ARGS...\n\n"
        "Locks with Poetry when poetry.lock is missing or stale, fills monotrail's store and\n"
        "starts the program with exactly the locked packages. The words after `python` or\n"
        "`command NAME` pass through untouched."
    )
    arguments = [
        argument("args", "python ARGS... or command NAME ARGS...", multiple=True, optional=True)
    ]
    options = _selection_option_definitions()

    def _handle(self) -> int:
        from monotrail.cli import main

        # The words after the program reach here untouched: see passthrough.py.
        self._lock()
        verbose = ["-v"] if self.io.is_verbose() else []
        return main.run([*verbose, *self._selection_options(), *self.argument("args")])


class InstallCommand(_MonotrailCommand):
    name = "monotrail install"
    description = "Fill monotrail's store with the project's locked packages (no venv)."
    options = [*_selection_option_definitions(), option("no-compile", None, "No bytecode.")]

    def _handle(self) -> int:
        from monotrail.cli.application import application

        self._lock()
        words = ["monotrail", "install", *self._selection_options()]
        if self.option("no-compile"):
            words.append("--no-compile")
        if self.io.is_verbose():
            words.append("-vv")
        app = application()
        app.auto_exits(False)
        return int(app.run(ArgvInput(words), self.io.output, self.io.error_output))
