"""``poetry monotrail run`` and ``poetry monotrail install``: Poetry's project, monotrail's core.

Poetry contributes what only it knows: the project it found (``-C``/``-P``), its sources and
their credentials (for locking; downloads ask Poetry's authenticator in the core), its group
selection (``--with``/``--without``/``--only``, Poetry's own ``GroupCommand``), its extras, and
its solver and locker when ``poetry.lock`` is missing or stale. Everything after that is
monotrail's public API, as for ``monotrail run`` and ``monotrail install``; no virtualenv is
created or needed.
"""

from __future__ import annotations

import re
import time
from typing import Any

from cleo.helpers import argument, option
from monotrail import api
from monotrail.errors import MonotrailError
from poetry.console.commands.group_command import GroupCommand


class _MonotrailCommand(GroupCommand):  # type: ignore[misc]
    """Shared options, and the project's environment as Poetry selects it."""

    def _selection(self) -> tuple[list[str], list[str]]:
        """Poetry's extras and groups as monotrail's (``!NAME`` leaves a group out)."""
        poetry = self.poetry
        non_optional = set(self.non_optional_groups)
        activated = set(self.activated_groups)
        names = {str(g.name): g.pretty_name for g in poetry.package._dependency_groups.values()}
        groups = [names.get(g, g) for g in sorted(activated - non_optional)]
        groups += [f"!{names.get(g, g)}" for g in sorted(non_optional - activated)]
        extras = sorted(map(str, poetry.package.extras)) if self.option("all-extras") else []
        extras += [e for value in self.option("extras") for e in re.split(r"[,\s]+", value) if e]
        return extras, groups

    def _lock(self) -> None:
        """Lock with Poetry's own objects (its sources, credentials, config) when needed."""
        api.lock_poetry_project(self.poetry.pyproject_path.parent, poetry=self.poetry)

    def _project(self) -> tuple[api.Project, str]:
        """Poetry's project, and the interpreter it runs with."""
        project = api.find_project(self.poetry.pyproject_path.parent)
        return project, api.choose_python(self.option("python"), project.root_dir)

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


def _program(words: list[str]) -> tuple[str | None, list[str]]:
    """``python ARGS`` as (None, ARGS); ``command NAME ARGS`` as (NAME, ARGS)."""
    if not words:
        raise MonotrailError("run: say what to run: `python ARGS...` or `command NAME ARGS...`")
    if words[0] == "python":
        return None, words[1:]
    if words[0] == "command":
        if len(words) < 2:
            raise MonotrailError("run command: name the console script to run, e.g. pytest")
        return words[1], words[2:]
    if words[0].startswith("-"):
        raise MonotrailError(f"run: unknown option {words[0]} (see `monotrail run --help`)")
    raise MonotrailError(
        f"run: expected `python` or `command NAME`, got {words[0]!r} (see `monotrail run --help`)"
    )


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
        # The words after the program reach here untouched: see passthrough.py.
        self._lock()
        extras, groups = self._selection()
        command, argv = _program(self.argument("args"))
        if self.io.is_verbose():
            api.set_debug()
        project, python = self._project()
        record = api.env_record(project, python, extras, groups)
        if command is None:
            api.exec_in(record, argv)
        else:
            api.exec_command(record, command, argv)
        return 0  # not reached: exec replaced the process


class InstallCommand(_MonotrailCommand):
    name = "monotrail install"
    description = "Fill monotrail's store with the project's locked packages (no venv)."
    options = [*_selection_option_definitions(), option("no-compile", None, "No bytecode.")]

    def _handle(self) -> int:
        self._lock()
        extras, groups = self._selection()
        api.configure_logging(1 if self.io.is_verbose() else 0)
        started = time.perf_counter()
        project, python = self._project()
        env = api.prepare_project(project, python, extras, groups, not self.option("no-compile"))
        for name in env.added:
            self.line(f"  <fg=green>+</> {name}")
        self.line(env.summary(time.perf_counter() - started))
        return 0
