"""``ppipx``, ``from-git`` and ``run python script.py`` with a PEP 723 block, before cleo.

Like ``run``, each first computes its env key and reads the record; only when it is missing does
the slow path (resolve, install) start. So a repeated command imports nothing outside the
standard library and touches no network.
"""

from __future__ import annotations

import os

from monotrail import log
from monotrail.errors import MonotrailError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from monotrail.cli.run_args import RunArgs
    from monotrail.env.record import EnvRecord


def ppipx(argv: list[str]) -> int:
    from monotrail.cli import ppipx_args
    from monotrail.env.launch import exec_command, load_valid_record
    from monotrail.python import choice
    from monotrail.targets import app

    args = ppipx_args.parse(argv)
    if args.help:
        print(ppipx_args.PPIPX_HELP, end="")
        return 0
    if args.verbose:
        log.set_debug()
    executable = choice.for_project(args.python, None)
    key = app.env_key(args, executable)
    record = None if args.refresh else load_valid_record(key)
    if record is None:
        from monotrail.env.prepare import prepare
        from monotrail.python import interpreter

        log.configure(args.verbose)
        record = prepare(app.target(args, key), interpreter.query(executable)).record
    else:
        log.debug(f"fast path, env record {record['path']}")
    exec_command(record, app.pick_command(record, args), args.args, args.package)
    return 0  # not reached: exec replaced the process


def from_git(argv: list[str]) -> int:
    from monotrail.cli import from_git_args
    from monotrail.env.launch import load_valid_record
    from monotrail.fetch import git
    from monotrail.python import choice
    from monotrail.targets import git_checkout

    parsed = from_git_args.parse(argv)
    if parsed is None:
        print(from_git_args.FROM_GIT_HELP, end="")
        return 0
    args = parsed.run
    if args.verbose:
        log.set_debug()
    requested = args.python[0] if args.python else None
    checkout = git.checkout_dir(parsed.url, parsed.rev)
    record = None
    if os.path.isdir(checkout) and not args.refresh:
        project = git_checkout.find_project(parsed.url, parsed.rev, checkout)
        executable = choice.for_project(requested, project.root_dir)
        record = load_valid_record(
            git_checkout.env_key(project, executable, args.extras, args.groups)
        )
    if record is None:
        from monotrail.env.prepare import prepare
        from monotrail.python import interpreter

        log.configure(args.verbose)
        git.ensure_checkout(parsed.url, parsed.rev)
        project = git_checkout.find_project(parsed.url, parsed.rev, checkout)
        executable = choice.for_project(requested, project.root_dir)
        python = interpreter.query(executable)
        target = git_checkout.target(
            parsed.url, parsed.rev, python, args.extras, args.groups, args.refresh
        )
        record = prepare(target, python).record
    else:
        log.debug(f"fast path, env record {record['path']}")
    _exec(record, args, f"{parsed.url} at {parsed.rev}")
    return 0  # not reached


def run_script(inline: tuple[str, str], args: RunArgs) -> int:
    """``run python script.py`` for a script with a ``# /// script`` block: its own env."""
    from monotrail.env.launch import load_valid_record
    from monotrail.python import choice
    from monotrail.targets import script

    path, block = inline
    if args.extras or args.groups:
        raise MonotrailError(
            f"{path}: -E/--group select from a project; a script's `# /// script` block "
            "lists all its dependencies"
        )
    if args.with_requirements or args.with_files:
        raise MonotrailError(
            f"{path}: --with adds to a project; add the requirement to the script's "
            "`# /// script` block instead"
        )
    if len(set(args.python)) > 1:
        raise MonotrailError(f"{path}: give one -p (several run only for projects)")
    requested = args.python[0] if args.python else None
    executable = choice.for_project(requested, None)
    record = None if args.refresh else load_valid_record(script.env_key(block, executable))
    if record is None:
        from monotrail.env.prepare import prepare
        from monotrail.lockfile import script_metadata

        log.configure(args.verbose)
        metadata = script_metadata.parse(block, path)
        target = script.interpreter_for(path, metadata.requires_python, executable, requested)
        made = script.target(path, block, metadata, executable, args.refresh)
        record = prepare(made, target).record
    else:
        log.debug(f"fast path, env record {record['path']} (PEP 723 script {path})")
    _exec(record, args, path)
    return 0  # not reached


def _exec(record: EnvRecord, args: RunArgs, owner: str) -> None:
    from monotrail.env.launch import exec_command, exec_python

    if args.mode == "python":
        exec_python(record, args.args)
    exec_command(record, args.command, args.args, owner)
