"""Entry points of the ``monotrail`` and ``monotrail_python`` commands.

``run`` is dispatched before cleo is imported: when the environment record exists, starting the
program needs only the standard library (the fast path); otherwise the core resolves and installs
first (the slow path). Every other command goes through the cleo application.
"""

from __future__ import annotations

import os
import sys

from monotrail.errors import MonotrailError


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "run":
            return run(argv[1:])
    except MonotrailError as err:
        return _report(err)
    except KeyboardInterrupt:
        return 130
    from monotrail.cli.application import application

    return int(application().run())


def main_python() -> int:
    """``monotrail_python ARGS`` is ``monotrail run python ARGS``."""
    try:
        return run(["python", *sys.argv[1:]])
    except MonotrailError as err:
        return _report(err)
    except KeyboardInterrupt:
        return 130


def _report(err: MonotrailError) -> int:
    sys.stdout.flush()
    print(f"error: {err}", file=sys.stderr)
    return err.exit_code


def run(argv: list[str]) -> int:
    from monotrail.cli import run_args
    from monotrail.launch import env_key, exec_command, exec_python, load_valid_record
    from monotrail.project import discover

    args = run_args.parse(argv)
    if args.help:
        print(run_args.RUN_HELP, end="")
        return 0
    if args.verbose:
        os.environ["MONOTRAIL_LOG"] = "debug"
    project = discover(explicit=args.project)
    executable = _target_executable(args.python)
    key = env_key(project, executable, args.extras, args.groups)
    record = load_valid_record(key)
    if record is None:
        record = _prepare(project, executable, args)
    elif os.environ.get("MONOTRAIL_LOG", "").lower() == "debug":
        print(f"monotrail DEBUG: fast path, environment record {record['path']}", file=sys.stderr)
    if args.mode == "python":
        exec_python(record, args.args)
    else:
        if args.command not in record.get("scripts", []):  # type: ignore[operator]
            available = ", ".join(record.get("scripts", [])) or "none"  # type: ignore[arg-type]
            raise MonotrailError(
                f"no command {args.command!r} in the environment of {project.root} "
                f"(console scripts: {available})"
            )
        exec_command(record, args.command, args.args)
    return 0  # not reached: exec replaced the process


def _target_executable(requested: str | None) -> str:
    if requested:
        path = os.path.abspath(os.path.expanduser(requested))
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        import shutil

        found = shutil.which(requested) or shutil.which(f"python{requested}")
        if found:
            return found
        raise MonotrailError(
            f"no Python interpreter {requested!r} found (give a path or python3.X)"
        )
    from monotrail.launch import base_interpreter

    return base_interpreter()


def _prepare(project: object, executable: str, args: object) -> dict[str, object]:
    from monotrail import interpreter, log, sync

    log.configure(getattr(args, "verbose", 0))
    import time

    started = time.perf_counter()
    target = interpreter.query(executable)
    prepared = sync.prepare(project, target, args.extras, args.groups)  # type: ignore[arg-type, attr-defined]
    report = prepared.report
    if report.added:
        # Long installs must not look like a hang when stderr is no terminal (CI logs).
        print(
            f"Installed {len(report.added)} packages into the store "
            f"({len(report.reused)} already there) in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
    return prepared.record
