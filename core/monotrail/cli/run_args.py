"""Parsing ``monotrail run`` arguments, stdlib only (cleo costs ~80 ms to import).

Grammar: ``run [OPTIONS] python ARGS...`` or ``run [OPTIONS] command NAME ARGS...``. Options
are read up to ``python``/``command``; everything after passes through untouched, so
``run command pytest -x -k name`` needs no ``--``.
"""

from __future__ import annotations

import os

from monotrail.cli.option_words import read_flag, read_option
from monotrail.errors import MonotrailError

RUN_HELP = """\
Usage:
  monotrail run [OPTIONS] python [ARGS...]
  monotrail run [OPTIONS] command NAME [ARGS...]

Run Python, or a console script of the project's environment, with exactly the project's
locked dependencies: no virtualenv. The project is the nearest folder at or above the working
directory with a uv.lock, poetry.lock, pylock.toml, pyproject.toml or requirements.txt; the
first of uv.lock, poetry.lock, pylock.toml, [tool.poetry], requirements.txt and a PEP 621
pyproject.toml decides (`monotrail show` says which). Packages are unpacked once into the
global store; a second run with the same lock starts without resolving anything.

Outside any project, `run python` starts the interpreter with no packages but those of --with
(and `run command NAME` needs --with for NAME to come from).

Options:
  -E, --extras EXTRA     install this extra of the project (repeatable)
  --group GROUP          also install this dependency group (repeatable)
  --no-group GROUP       leave this dependency group out (repeatable)
  --no-default-groups    leave out the default groups (uv: `dev` or [tool.uv]
                         default-groups; Poetry: the non-optional groups)
  --only-group GROUP     only this group's packages, not the project's own dependencies
                         (repeatable)
  --all-groups           install every dependency group
  --refresh              resolve again, even when a resolution of the same requirements.txt
                         or lock-less pyproject.toml is kept in the store
  --frozen               accepted for uv users: a lock file is always used as it is
  --project DIR          use the project in DIR instead of searching from the working directory
  --with REQUIREMENT     add this requirement for this run (repeatable), resolved together
                         with the project's lock: its pinned versions are kept
  --with-requirements FILE
                         add the requirements in FILE (pip's syntax) for this run (repeatable)
  -p, --python PYTHON    the Python to run: X.Y or X.Y.Z (found on the machine, else
                         provisioned) or a path; repeat it to run once per version and get a
                         summary table. Default: .python-version, else the newest Python the
                         project's requires-python allows
  -v, --verbose          explain every decision (same as MONOTRAIL_LOG=debug)
  -q, --quiet            no live progress display, only the summary lines
  --no-ansi              no escape codes (as with NO_COLOR): only the summary lines
  -h, --help             show this help

Examples:
  monotrail run python app.py --some-option
  monotrail run -E plotting python -m mypkg
  monotrail run command pytest -x -k name
  monotrail run --group test command pytest
  monotrail run --only-group docs command sphinx-build docs out
  monotrail run -p 3.9 -p 3.12 -p 3.13 command pytest
  monotrail run --with rich python -c 'import rich; rich.print("[bold]hi")'
  monotrail run --with-requirements dev.txt command pytest
  monotrail run -p 3.12 python                      # outside a project: a bare 3.12
  monotrail run --refresh -v python app.py
"""


class RunArgs:
    """What ``run`` was asked to do (a plain class: dataclasses cost ~10 ms to import)."""

    def __init__(self) -> None:
        self.mode = ""  # "python" or "command"
        self.command = ""
        self.args: list[str] = []
        self.extras: list[str] = []
        self.groups: list[str] = []
        self.project: str | None = None
        #: ``-p`` values in order; several mean one run per version (the matrix).
        self.python: list[str] = []
        self.verbose = 0
        self.help = False
        #: ``--with`` requirements and ``--with-requirements`` files (absolute), in order.
        self.with_requirements: list[str] = []
        self.with_files: list[str] = []
        #: Resolve again, even when the resolution cache has this resolution.
        self.refresh = False


_WITH_VALUE = {
    "-E": "extras",
    "--extras": "extras",
    "--group": "groups",
    "--no-group": "groups",
    "--only-group": "groups",
    "--project": "project",
    "-p": "python",
    "--python": "python",
    "--with": "with_requirements",
    "--with-requirements": "with_files",
}

#: Group options without a value (``lockfile/dependency_groups.py`` has their words: imported
#: only when a group option is given, as ``run`` parses every time).
_GROUP_FLAGS = ("--no-default-groups", "--all-groups")


def parse(argv: list[str]) -> RunArgs:
    """Parse the words after ``run``; raises MonotrailError on a usage mistake."""
    result = RunArgs()
    i = 0
    while i < len(argv):
        word = argv[i]
        if read_flag(word, result):
            if result.help:
                return result
            i += 1
            continue
        if word in _GROUP_FLAGS:
            from monotrail.lockfile import dependency_groups

            no_default = word == "--no-default-groups"
            result.groups.append(
                dependency_groups.NO_DEFAULT if no_default else dependency_groups.ALL
            )
            i += 1
            continue
        if word == "--frozen":  # uv's word: a lock is always used as it is, never rewritten
            i += 1
            continue
        name, value, after = read_option(argv, i, _WITH_VALUE, "run")
        if name in _WITH_VALUE and value is not None:
            i = after
            target = _WITH_VALUE[name]
            if target == "extras":
                result.extras.extend(v for v in value.replace(",", " ").split() if v)
            elif target == "groups":
                names = [v for v in value.replace(",", " ").split() if v]
                if name == "--no-group":
                    names = [f"!{v}" for v in names]
                elif name == "--only-group":
                    from monotrail.lockfile import dependency_groups

                    names = [dependency_groups.ONLY, *names]
                result.groups.extend(names)
            elif target == "project":
                result.project = value
            elif target == "with_requirements":  # a local path: absolute, as it keys the env
                local = value.startswith((".", os.sep, "~"))
                result.with_requirements.append(
                    os.path.abspath(os.path.expanduser(value)) if local else value
                )
            elif target == "with_files":
                result.with_files.append(os.path.abspath(value))
            else:
                result.python.append(value)
            continue
        if word == "python":
            result.mode, result.args = "python", argv[i + 1 :]
            return result
        if word == "command":
            if i + 1 >= len(argv):
                raise MonotrailError("run command: name the console script to run, e.g. pytest")
            result.mode, result.command, result.args = "command", argv[i + 1], argv[i + 2 :]
            return result
        if word.startswith("-"):
            raise MonotrailError(f"run: unknown option {word} (see `monotrail run --help`)")
        raise MonotrailError(
            f"run: expected `python` or `command NAME`, got {word!r} (see `monotrail run --help`)"
        )
    raise MonotrailError("run: say what to run: `python ARGS...` or `command NAME ARGS...`")
