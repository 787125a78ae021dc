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
import sys
from typing import Any

from cleo.helpers import argument, option
from cleo.io.inputs.argv_input import ArgvInput
from monotrail.errors import MonotrailError
from poetry.console.commands.group_command import GroupCommand


class PassThroughInput(ArgvInput):  # type: ignore[misc]
    """Argv parsing that stops reading options at ``python`` or ``command NAME``: the words
    after them belong to the program, so ``run command pytest -x -k name`` needs no ``--``
    (Poetry's own ``run`` does the same with its ``RunArgvInput``)."""

    #: Index in the tokens where the program's words start (None: no program named).
    program_start: int | None = None

    def _parse(self) -> None:
        parse_options = True
        self._parsed = self._tokens[:]
        while self._parsed:
            token = self._parsed.pop(0)
            if parse_options and token == "--":
                parse_options = False
            elif parse_options and token.startswith("--"):
                self._parse_long_option(token)
            elif parse_options and token.startswith("-") and token != "-":
                self._parse_short_option(token)
            else:
                self._parse_argument(token)
                words = self._arguments.get("args") or []
                if words[:1] == ["python"] or (words[:1] == ["command"] and len(words) > 1):
                    parse_options = False
            if not parse_options and self.program_start is None:
                self.program_start = len(self._tokens) - len(self._parsed)


def typed_tokens(fallback: list[str]) -> list[str]:
    """The words after ``poetry`` as the user typed them.

    Before plugins load, Poetry moves its global options (``-v``, ``-q``, ``-n``...) found
    anywhere, even among a program's arguments, to the front; ``sys.argv`` still has them
    where the user put them. ``monotrail run`` becomes one word, as cleo expects.
    """
    argv = sys.argv[1:]
    for i in range(len(argv) - 1):
        if argv[i : i + 2] == ["monotrail", "run"]:
            return [*argv[:i], "monotrail run", *argv[i + 2 :]]
    return fallback


def verbosity(options: list[str]) -> int:
    """-q is -1, else the number of v's in -v/-vv/-vvv (--verbose counts one)."""
    if "-q" in options or "--quiet" in options:
        return -1
    levels = [len(o) - 1 for o in options if re.fullmatch(r"-v+", o)]
    return max([*levels, 1 if "--verbose" in options else 0])


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

    def run(self, io: Any) -> int:
        if isinstance(io.input, ArgvInput):
            original = io.input
            tokens = typed_tokens(original._tokens)
            passthrough = PassThroughInput([original.script_name or "poetry", *tokens])
            passthrough.set_stream(original.stream)
            passthrough.interactive(original.is_interactive())
            io.set_input(passthrough)
        return int(super().run(io))

    def _handle(self) -> int:
        from cleo.io.outputs.output import Verbosity
        from monotrail.cli import main

        passthrough = self.io.input
        level = 0
        if isinstance(passthrough, PassThroughInput):
            # Only the options before the program count (Poetry also read the program's own).
            level = verbosity(passthrough._tokens[: passthrough.program_start])
            steps = [Verbosity.QUIET, Verbosity.NORMAL, Verbosity.VERBOSE]
            steps += [Verbosity.VERY_VERBOSE, Verbosity.DEBUG]
            self.io.set_verbosity(steps[min(level, 3) + 1])
        self._lock()
        verbose = ["-v"] if level > 0 else []
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
