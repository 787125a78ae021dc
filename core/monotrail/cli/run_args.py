"""Parsing ``monotrail run`` arguments, stdlib only (cleo costs ~80 ms to import).

Grammar: ``run [OPTIONS] python ARGS...`` or ``run [OPTIONS] command NAME ARGS...``. Options
are read up to ``python``/``command``; everything after passes through untouched, so
``run command pytest -x -k name`` needs no ``--``.
"""

from __future__ import annotations

from monotrail.cli.option_words import read_flag, read_option
from monotrail.errors import MonotrailError

RUN_HELP = """\
Usage:
  monotrail run [OPTIONS] python [ARGS...]
  monotrail run [OPTIONS] command NAME [ARGS...]

Run Python, or a console script of the project's environment, with exactly the project's
locked dependencies: no virtualenv. The project is the nearest folder at or above the working
directory with a uv.lock, poetry.lock, pylock.toml, pyproject.toml or requirements.txt (the
first of these decides). Packages are unpacked once into the global store; a second run with
the same lock starts without resolving anything.

Options:
  -E, --extras EXTRA     install this extra of the project (repeatable)
  --group GROUP          also install this (optional) dependency group (repeatable)
  --project DIR          use the project in DIR instead of searching from the working directory
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
  monotrail run -p 3.9 -p 3.12 -p 3.13 command pytest
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


_WITH_VALUE = {
    "-E": "extras",
    "--extras": "extras",
    "--group": "groups",
    "--project": "project",
    "-p": "python",
    "--python": "python",
}


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
        name, value, after = read_option(argv, i, _WITH_VALUE, "run")
        if name in _WITH_VALUE and value is not None:
            i = after
            target = _WITH_VALUE[name]
            if target == "extras":
                result.extras.extend(v for v in value.replace(",", " ").split() if v)
            elif target == "groups":
                result.groups.extend(v for v in value.replace(",", " ").split() if v)
            elif target == "project":
                result.project = value
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
