"""Parsing ``monotrail ppipx`` arguments, stdlib only (the fast path starts no cleo).

Grammar: ``ppipx [OPTIONS] PACKAGE [ARGS...]``. Options are read up to the package name;
everything after it goes to the app untouched, so ``ppipx black --check .`` needs no ``--``.
"""

from __future__ import annotations

from monotrail.cli.option_words import read_flag, read_option
from monotrail.errors import MonotrailError
from monotrail.targets.app import App

PPIPX_HELP = """\
Usage:
  monotrail ppipx [OPTIONS] PACKAGE [ARGS...]

Run an app from the package index without installing it anywhere but the store (like pipx run
or uvx). The first run resolves PACKAGE (its newest version unless --version) and remembers the
resolution for this app and interpreter; later runs start at once, without resolving or using
the network, until --refresh or another --version.

Options:
  --version VERSION      run this version of PACKAGE (default: the newest, resolved once)
  -E, --extras EXTRA     install this extra of PACKAGE (repeatable)
  --with REQUIREMENT     also install this requirement (repeatable), e.g. --with 'rich>=13'
  --command NAME         the console script to run (default: the one named like PACKAGE)
  -p, --python PYTHON    the Python to run: X.Y, X.Y.Z or a path (default: the newest found)
  --refresh              resolve again (a newer version, changed dependencies)
  -v, --verbose          explain every decision (same as MONOTRAIL_LOG=debug)
  -q, --quiet            no live progress display, only the summary lines
  --no-ansi              no escape codes (as with NO_COLOR): only the summary lines
  -h, --help             show this help

Examples:
  monotrail ppipx -E jupyter black .
  monotrail ppipx --version 0.9.0 tabulate --help
  monotrail ppipx --with pytest-cov --command pytest pytest --cov
"""


class PpipxArgs(App):
    """What ``ppipx`` was asked to do: the app, and how to run it."""

    def __init__(self) -> None:
        super().__init__()
        self.python: str | None = None
        self.verbose = 0
        self.help = False
        self.args: list[str] = []


_WITH_VALUE = {
    "--version": "version",
    "-E": "extras",
    "--extras": "extras",
    "--with": "with",
    "--command": "command",
    "-p": "python",
    "--python": "python",
}


def parse(argv: list[str]) -> PpipxArgs:
    """Parse the words after ``ppipx``; raises MonotrailError on a usage mistake."""
    result = PpipxArgs()
    i = 0
    while i < len(argv):
        word = argv[i]
        if read_flag(word, result):
            if result.help:
                return result
            i += 1
            continue
        name, value, after = read_option(argv, i, _WITH_VALUE, "ppipx")
        if name in _WITH_VALUE and value is not None:
            i = after
            target = _WITH_VALUE[name]
            if target == "extras":
                result.extras.extend(v for v in value.replace(",", " ").split() if v)
            elif target == "with":
                result.with_requirements.append(value)
            else:
                setattr(result, target, value)
            continue
        if word.startswith("-"):
            raise MonotrailError(f"ppipx: unknown option {word} (see `monotrail ppipx --help`)")
        result.package, result.args = word, argv[i + 1 :]
        _check_name(result.package)
        return result
    raise MonotrailError("ppipx: name the package to run, e.g. `monotrail ppipx black .`")


def _check_name(name: str) -> None:
    """A distribution name (PEP 508): letters, digits, ``-_.``, alphanumeric at both ends."""
    ok = name[:1].isalnum() and name[-1:].isalnum()
    if not ok or not all(c.isalnum() or c in "-_." for c in name):
        raise MonotrailError(
            f"ppipx: {name!r} is not a package name (give the version with --version, "
            "extras with -E)"
        )
