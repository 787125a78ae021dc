"""PEP 723 scripts: an environment made from a script's own ``# /// script`` block.

The script is its own project, isolated from any project around it. Its environment is keyed by
the block's text and the requested interpreter, so editing the script's code changes nothing and
editing the block makes a new environment. The resolution (pip's resolver) is kept in the
resolution cache under the env key and reused while the block is unchanged.

``script_in`` and ``env_key`` are stdlib-only: they run on ``run``'s fast path.
"""

from __future__ import annotations

import os

from monotrail import fingerprint
from monotrail.env import launch
from monotrail.lockfile import script_metadata

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from monotrail.env.prepare import Target
    from monotrail.env.record import Owner
    from monotrail.lockfile.model import LockedPackage
    from monotrail.lockfile.script_metadata import ScriptMetadata
    from monotrail.python.interpreter import Interpreter

#: Python options that take the next word as their value.
_VALUE_OPTIONS = ("--check-hash-based-pycs",)


def script_path(python_args: list[str]) -> str | None:
    """The file ``python ARGS`` would run: None for ``-c``, ``-m``, ``-`` and the REPL."""
    i = 0
    while i < len(python_args):
        word = python_args[i]
        if word == "-":
            return None  # stdin
        if word == "--":
            return python_args[i + 1] if i + 1 < len(python_args) else None
        if word.startswith("--"):
            if word not in _VALUE_OPTIONS:
                return None  # --help, --version...: Python runs no script
            i += 2
            continue
        if not word.startswith("-"):
            return word
        # Short options may be combined (-uB); -c and -m end the options, -X and -W take a value
        # (the rest of the word, else the next word).
        letters = word[1:]
        takes_next = False
        for n, letter in enumerate(letters):
            if letter in "cm":
                return None
            if letter in "XW":
                takes_next = n == len(letters) - 1
                break
        i += 2 if takes_next else 1
    return None


def script_in(python_args: list[str]) -> tuple[str, str] | None:
    """``(script path, block)`` when ``python ARGS`` runs a script with a ``script`` block."""
    path = script_path(python_args)
    if path is None:
        return None
    text = script_metadata.read_script(path)
    if text is None:
        return None
    block = script_metadata.find_block(text, path)
    return (os.path.abspath(path), block) if block is not None else None


def env_key(block: str, executable: str) -> str:
    """The env record's key: the block's text and the requested (or default) interpreter."""
    digest = fingerprint.digest(block.encode())
    return launch.env_key(None, executable, [], [], [f"pep723={digest}"])


def target(
    script: str, block: str, metadata: ScriptMetadata, executable: str, refresh: bool = False
) -> Target:
    """The script as a target: its block's dependencies (``metadata``, the parsed ``block``),
    resolved once (resolution cache; ``refresh`` resolves again).

    ``executable`` is the default (or ``-p``) interpreter, which names the env record;
    the interpreter that runs the script is ``interpreter_for`` it.
    """
    from monotrail.env.prepare import Target
    from monotrail.resolve import resolution_cache

    key = env_key(block, executable)

    def packages(interpreter: Interpreter) -> list[LockedPackage]:
        if not metadata.dependencies:
            return []
        return resolution_cache.remembered(
            key,
            f"the dependencies of {script} with pip",
            lambda: _resolve(script, metadata.dependencies, interpreter),
            refresh,
        )

    # gc keeps the environment while the script exists ("" = any content).
    owner: Owner = {"project": None, "tool": f"script {script}", "inputs": {script: ""}}
    return Target(key, packages, owner)


def _resolve(script: str, dependencies: list[str], target: Interpreter) -> list[LockedPackage]:
    from pathlib import Path

    from monotrail.errors import MonotrailError
    from monotrail.resolve import pip_resolver

    try:
        report = pip_resolver.run_pip_report(dependencies, target, Path(script).parent)
    except MonotrailError as err:
        raise MonotrailError(f"{script}: {err}") from None
    return pip_resolver.packages_from_report(report)


def interpreter_for(
    script: str, requires_python: str | None, executable: str, requested: str | None
) -> Interpreter:
    """The default (or ``-p``) interpreter if it fits ``requires-python``; else the newest one
    on the machine that does; else a provisioned one."""
    from packaging.specifiers import SpecifierSet

    from monotrail.errors import MonotrailError
    from monotrail.python import discovery, interpreter, managed
    from monotrail.python.request import MIN_VERSION, version_text

    target = interpreter.query(executable)
    if requires_python is None:
        return target
    spec = SpecifierSet(requires_python)

    def allows(version: tuple[int, ...]) -> bool:
        return spec.contains(version_text(version), prereleases=True)

    if allows(target.version):
        return target
    said = f"{script}: requires-python {requires_python}"
    if requested:
        raise MonotrailError(f"{said}, but -p {requested} is Python {target.full_version}")
    found = discovery.best(allows)
    if found is not None and found.interpreter is not None:
        return found.interpreter
    newest = target.version[1] + 5
    for minor in range(newest, MIN_VERSION[1] - 1, -1):
        build = managed.find_build((3, minor))
        if build is not None and allows(build.version):
            return interpreter.query(discovery.for_version(build.version, said))
    raise MonotrailError(
        f"{said} allows none of the Pythons on this machine and no python-build-standalone "
        "build; install one with `monotrail python install X.Y` or pass -p"
    )
