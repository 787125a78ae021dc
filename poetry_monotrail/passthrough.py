"""Give the words after ``python`` / ``command NAME`` back to the program, as ``poetry run`` does.

Poetry reads its global options (``-h``, ``-V``, ``-C``, ``-P``, ``-q``, ``-v``, ``-n``, ``--ansi``,
``--no-cache``...) anywhere on the line, before any plugin is loaded; only its own ``run`` command
is exempt (``Application._configure_run_command`` puts a ``--`` before the program). Poetry offers
plugins no earlier hook than ``activate()``, so the plugin does the same there: it rebuilds the
input from the words as typed (``sys.argv``) with a ``--`` before the program, and redoes what
Poetry and cleo derived from the whole line (verbosity, decoration, interactivity, the working
and project directories, ``--no-cache``) from the options before the program only.

Out of reach: ``--no-plugins`` anywhere on the line (Poetry then never loads the plugin), and a
``-C``/``-P`` among the program's words naming a missing directory (Poetry stops first) or, for
a project plugin, a directory outside the project (Poetry looks for the plugin there). A ``--``
before the program avoids the latter two.
"""

from __future__ import annotations

import gc
import os
import sys
import types
from contextlib import suppress
from pathlib import Path
from typing import Any

from cleo.exceptions import CleoError
from cleo.io.inputs.argv_input import ArgvInput
from cleo.io.outputs.output import Verbosity
from cleo.io.outputs.stream_output import StreamOutput

#: The options Poetry's ``_configure_global_options`` reads.
_GLOBAL_OPTIONS = ("directory", "project", "no-cache", "no-plugins")


class _ProgramFinder(ArgvInput):  # type: ignore[misc]
    """Parses ``monotrail run``'s options up to the program: ``python``, ``command NAME``, or
    the user's own ``--``; ``program_start`` is that word's index in the tokens."""

    program_start: int | None = None

    def _parse(self) -> None:
        self._parsed = self._tokens[:]
        while self._parsed and self.program_start is None:
            index = len(self._tokens) - len(self._parsed)
            token = self._parsed.pop(0)
            if token == "--":
                self.program_start = index
            elif token.startswith("--"):
                self._parse_long_option(token)
            elif token.startswith("-") and token != "-":
                self._parse_short_option(token)
            else:
                self._parse_argument(token)
                rest = self._parsed[:1]
                named = token == "command" and rest and not rest[0].startswith("-")
                if self._arguments.get("args") == [token] and (token == "python" or named):
                    self.program_start = index


def merged_words(argv: list[str]) -> list[str] | None:
    """The words after ``poetry`` with ``monotrail run`` as the one word cleo makes of a
    namespaced command (so that options right after it parse); None for other commands."""
    for i in range(len(argv) - 1):
        if argv[i : i + 2] == ["monotrail", "run"]:
            return [*argv[:i], "monotrail run", *argv[i + 2 :]]
    return None


def program_start(words: list[str], application: Any) -> int | None:
    """Index in ``words`` (see ``merged_words``) where ``monotrail run``'s program starts."""
    from poetry_monotrail.commands import RunCommand

    command = RunCommand()
    command.set_application(application)
    command.merge_application_definition()
    finder = _ProgramFinder(["poetry", *words])
    with suppress(CleoError):
        finder.bind(command.definition)
    return finder.program_start


def _cwd_before_poetry() -> Path | None:
    """The working directory Poetry left for a ``-C`` it took from the program's words.

    Poetry runs commands inside ``with poetry.utils.helpers.directory(-C)``; the directory it
    left is a local of that suspended generator and nowhere else.
    """
    from inspect import unwrap

    from poetry.utils.helpers import directory

    code = unwrap(directory).__code__  # the generator function behind @contextmanager
    for obj in gc.get_objects():
        if isinstance(obj, types.GeneratorType) and obj.gi_code is code and obj.gi_frame:
            cwd = obj.gi_frame.f_locals.get("cwd")
            if isinstance(cwd, Path):
                return cwd
    return None


def repair(application: Any) -> None:
    """Re-read the command line of ``poetry ... monotrail run ... PROGRAM ARGS`` (see module)."""
    io = application._io
    words = merged_words(sys.argv[1:])
    if words is None or io is None or not isinstance(io.input, ArgvInput):
        return  # another Poetry command (or not run from the command line): nothing to do
    start = program_start(words, application)
    if start is None:
        return
    poetry_read = _global_options(io.input)
    if words[start] != "--":
        words = [*words[:start], "--", *words[start:]]
    fresh = ArgvInput([io.input.script_name or "poetry", *words])
    fresh.set_stream(io.input.stream)
    io.set_input(fresh)
    # Undo what the program's -q/-v/--ansi/--no-ansi did; -n lived in the replaced input.
    io.set_verbosity(Verbosity.NORMAL)
    for output in (io.output, io.error_output):
        if isinstance(output, StreamOutput):
            output.decorated(StreamOutput(output.stream).is_decorated())
    application._configure_io(io)  # Poetry's: sorts the global options, then cleo's settings
    if _global_options(io.input) == poetry_read:
        return
    if poetry_read["directory"] is not None:
        cwd = _cwd_before_poetry()
        if cwd is None:
            raise CleoError("put `--` before the program: Poetry took its -C option")
        os.chdir(cwd)
    application._configure_global_options(io)
    # Poetry's `with directory(...)` restores the original directory when the command ends.
    os.chdir(application._working_directory)


def _global_options(parsed: ArgvInput) -> dict[str, Any]:
    return {name: parsed.option(name) for name in _GLOBAL_OPTIONS}
