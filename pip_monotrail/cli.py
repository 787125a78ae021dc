"""``pip-monotrail``: pip's command line, with monotrail's store behind ``install``.

``install`` takes pip's syntax; pip itself resolves (its JSON report), every distribution is
unpacked into the store once, then linked into the virtualenv (the active one, or the one
``--python``/``--target`` names). Without a virtualenv nothing outside the store changes (see
``pip_monotrail.install``). ``uninstall``, ``list`` and ``freeze`` are pip's own commands, run
against the virtualenv: the linked packages are ordinary installations to pip.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from monotrail.errors import MonotrailError

USAGE = """\
Usage:
  pip-monotrail [--python PYTHON] install [options] [REQ...] [-r FILE] [-e PATH]
  pip-monotrail [--python PYTHON] uninstall|list|freeze [pip options]

install resolves with pip, puts every distribution into monotrail's store once and links it
into the active virtualenv (or the one --python names, or --target DIR). Without a virtualenv
it only fills the store and records the resolution for `monotrail run` (and --lock FILE writes
it as a PEP 751 pylock.toml): the base interpreter's site-packages are never touched.
"""

_PIP_COMMANDS = ("uninstall", "list", "freeze")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise MonotrailError(f"pip-monotrail install: {message}")


def install_parser() -> argparse.ArgumentParser:
    """pip install's options that pip-monotrail understands (the rest is refused, not ignored)."""
    parser = _Parser(prog="pip-monotrail install", add_help=True)
    add = parser.add_argument
    add("requirements", nargs="*", metavar="REQ", help="requirement specifiers or paths")
    add("-r", "--requirement", action="append", default=[], metavar="FILE")
    add("-c", "--constraint", action="append", default=[], metavar="FILE")
    add("-e", "--editable", action="append", default=[], metavar="PATH")
    add("-i", "--index-url", metavar="URL")
    add("--extra-index-url", action="append", default=[], metavar="URL")
    add("-f", "--find-links", action="append", default=[], metavar="URL")
    add("--no-index", action="store_true")
    add("--pre", action="store_true")
    add("--no-deps", action="store_true")
    add("--require-hashes", action="store_true")
    add("-U", "--upgrade", action="store_true")
    add("--upgrade-strategy", choices=("eager", "only-if-needed"))
    add("--force-reinstall", action="store_true")
    add("--only-binary", action="append", default=[], metavar="FORMATS")
    add("--no-binary", action="append", default=[], metavar="FORMATS")
    add("--prefer-binary", action="store_true")
    add("--dry-run", action="store_true", help="say what would be installed, change nothing")
    add("--report", metavar="FILE", help="write pip's JSON installation report ('-': stdout)")
    add("--python", metavar="PYTHON", help="the virtualenv (or interpreter) to install for")
    add("-t", "--target", metavar="DIR", help="install into DIR instead of a virtualenv")
    add("--lock", metavar="FILE", help="without a venv: write the resolution as pylock.toml")
    add("--no-compile", action="store_true", help="do not compile bytecode")
    add("-v", "--verbose", action="count", default=0)
    add("-q", "--quiet", action="count", default=0)
    return parser


def pip_arguments(options: argparse.Namespace) -> list[str]:
    """The options pip's resolver needs, in pip's own syntax."""
    args: list[str] = []
    for flag, values in (
        ("-r", options.requirement),
        ("-c", options.constraint),
        ("-e", options.editable),
        ("--extra-index-url", options.extra_index_url),
        ("--find-links", options.find_links),
        ("--only-binary", options.only_binary),
        ("--no-binary", options.no_binary),
    ):
        for value in values:
            args += [flag, value]
    if options.index_url:
        args += ["--index-url", options.index_url]
    if options.upgrade_strategy:
        args += ["--upgrade-strategy", options.upgrade_strategy]
    switches = ("no_index", "pre", "no_deps", "require_hashes", "upgrade", "force_reinstall")
    for name in (*switches, "prefer_binary"):
        if getattr(options, name):
            args.append("--" + name.replace("_", "-"))
    return args + list(options.requirements)


def _split_global(argv: list[str]) -> tuple[str | None, str | None, list[str]]:
    """(--python before the command, the command, its arguments)."""
    python = None
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--python" and i + 1 < len(argv):
            python, i = argv[i + 1], i + 2
        elif word.startswith("--python="):
            python, i = word.split("=", 1)[1], i + 1
        else:
            return python, word, argv[i + 1 :]
    return python, None, []


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(argv)
    except MonotrailError as err:
        sys.stdout.flush()
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


def _main(argv: list[str]) -> int:
    python, command, rest = _split_global(argv)
    if command in (None, "-h", "--help", "help"):
        print(USAGE, end="")
        return 0
    if command in ("-V", "--version"):
        from monotrail import __version__

        print(f"pip-monotrail {__version__}")
        return 0
    if command == "install":
        options = install_parser().parse_args(rest)
        options.python = options.python or python
        from monotrail import api

        api.configure_logging(options.verbose)
        from pip_monotrail.install import install

        return install(options, pip_arguments(options))
    if command in _PIP_COMMANDS:
        return run_pip(command, rest, python)
    raise MonotrailError(
        f"pip-monotrail: unknown command {command!r} (install, uninstall, list, freeze)"
    )


def run_pip(command: str, args: list[str], python: str | None) -> int:
    """pip's own ``uninstall``/``list``/``freeze``, run for the virtualenv."""
    from monotrail import api

    for i, word in enumerate(args):  # pip also takes --python after the command
        if word == "--python" and i + 1 < len(args):
            python, args = args[i + 1], args[:i] + args[i + 2 :]
            break
    venv = api.find_venv(python)
    if venv is None:
        raise MonotrailError(
            f"pip-monotrail {command}: no virtualenv "
            + (f"at {python}" if python else "is active (activate one or pass --python VENV)")
            + "; without one, packages live only in monotrail's store"
        )
    target = api.venv_python(venv)
    cmd = [sys.executable, "-m", "pip", "--python", target, command, *args]
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.call(cmd, env=env)
