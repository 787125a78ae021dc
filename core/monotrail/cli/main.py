"""Entry points of the ``monotrail`` and ``monotrail_python`` commands.

``run`` is dispatched before cleo is imported: when the env record exists, starting the
program needs only the standard library (the fast path); otherwise the core resolves and installs
first (the slow path). Every other command goes through the cleo application.

The launcher (scripts/monotrail) may start without ``site`` (its ``#!`` line says ``-S``, see
``skip_site_next_time``): the fast path needs only the venv's site-packages on ``sys.path``, which
the launcher puts there itself. Everything else runs after ``complete_site``.
"""

from __future__ import annotations

import os
import sys

from monotrail import log
from monotrail.errors import MonotrailError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from monotrail.cli.run_args import RunArgs
    from monotrail.targets.project import Project


#: ``sys.path`` as the interpreter set it, while the launcher runs without ``site``.
_path_without_site: list[str] | None = None

#: The launcher's second line (scripts/monotrail): the file whose ``#!`` line may gain ``-S``.
_LAUNCHER_MARK = b"# The `monotrail` command."

#: The longest ``#!`` line every kernel reads whole (Linux before 5.1: 127 bytes).
_MAX_SHEBANG = 127


def site_skipped(path_without_site: list[str]) -> None:
    """The launcher started without ``site`` and put its site-packages on ``sys.path`` itself;
    ``path_without_site`` is ``sys.path`` before that."""
    global _path_without_site
    _path_without_site = path_without_site


def complete_site() -> None:
    """Leaving the fast path: what ``site`` does at startup (the user's site-packages, ``.pth``
    files, ``sitecustomize``), in site's order, if the launcher skipped it."""
    global _path_without_site
    if _path_without_site is None:
        return
    import site

    sys.path[:] = _path_without_site
    _path_without_site = None
    site.main()


def skip_site_next_time(launcher: str) -> None:
    """Append ``-S`` to the launcher's ``#!`` line, which its installer wrote without flags.

    Only in a venv (``pip install --user`` and system installs keep ``site``, which also finds
    the user's packages) and only for the line the installer wrote for this interpreter. A
    launcher that cannot be written (a read-only venv) stays as it is.
    """
    if sys.prefix == sys.base_prefix:
        return
    path = os.path.realpath(launcher)
    try:
        with open(path, "rb") as handle:
            content = handle.read()
    except OSError:
        return
    first, _, rest = content.partition(b"\n")
    if first != b"#!" + os.fsencode(sys.executable) or not rest.startswith(_LAUNCHER_MARK):
        return
    if len(first) + len(b" -S") > _MAX_SHEBANG:
        return
    from monotrail import _fs

    mode = os.stat(path).st_mode & 0o7777

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(first + b" -S\n" + rest)
        os.chmod(tmp, mode)

    try:
        _fs.atomic_publish(path, write)
    except OSError as err:
        log.debug(f"the launcher {path} keeps starting with site: {err}")


def main(argv: list[str] | None = None) -> int:
    if argv is None and _is_python_name(os.path.basename(sys.argv[0])):
        return _as_python(os.path.basename(sys.argv[0]), sys.argv[1:])
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "run":
            return run(argv[1:])
        if argv and argv[0] == "install" and install_is_noop(argv[1:]):
            return 0
        complete_site()
        if argv and argv[0] in ("ppipx", "from-git"):
            from monotrail.cli import tool_commands

            command = tool_commands.ppipx if argv[0] == "ppipx" else tool_commands.from_git
            return command(argv[1:])
    except MonotrailError as err:
        return _report(err)
    except KeyboardInterrupt:
        return 130
    from cleo.io.inputs.argv_input import ArgvInput

    from monotrail.cli.application import application

    if argv in ([], ["-h"], ["--help"], ["help"]):
        argv = ["list"]  # monotrail's commands, not the help of cleo's own `list` command
    # The program's path names the command in shell completion scripts.
    program = sys.argv[0] if os.path.basename(sys.argv[0]) == "monotrail" else "monotrail"
    return int(application().run(ArgvInput([program, *argv])))


def main_python() -> int:
    """``monotrail_python ARGS`` is ``monotrail run python ARGS``."""
    try:
        return run(["python", *sys.argv[1:]])
    except MonotrailError as err:
        return _report(err)
    except KeyboardInterrupt:
        return 130


def _is_python_name(name: str) -> bool:
    return name in ("python", "python3") or (name.startswith("python3.") and name[8:].isdigit())


def _as_python(name: str, args: list[str]) -> int:
    """monotrail reached through a symlink named ``python``, ``python3`` or ``python3.X``.

    In a project this is ``monotrail run [-p 3.X] python ARGS``, so ``#!/usr/bin/env python3``
    scripts get the project's environment; elsewhere it is the plain interpreter.
    """
    from monotrail.python import choice
    from monotrail.targets.project import discover

    complete_site()
    version = name[len("python") :] if "." in name else None
    try:
        try:
            discover()
        except MonotrailError:
            executable = choice.for_project(version, None)
            sys.stdout.flush()
            os.execv(executable, [executable, *args])
        return run([*(["-p", version] if version else []), "python", *args])
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
    from monotrail.env.launch import exec_command, exec_python, load_valid_record
    from monotrail.python import choice
    from monotrail.targets.with_extras import env_key

    args = run_args.parse(argv)
    if args.help:
        print(run_args.RUN_HELP, end="")
        return 0
    if args.verbose:
        log.set_debug()
    if args.mode == "python" and args.project is None:
        from monotrail.targets import script

        inline = script.script_in(args.args)
        if inline is not None:  # a PEP 723 script is its own project
            complete_site()
            from monotrail.cli.tool_commands import run_script

            return run_script(inline, args)
    project = _project_of(args)
    if len(set(args.python)) > 1:
        complete_site()
        return _run_matrix(project, args)
    root = project.root_dir if project is not None else None
    executable = choice.for_project(args.python[0] if args.python else None, root)
    withs = (args.with_requirements, args.with_files)
    key = env_key(project, executable, args.extras, args.groups, *withs)
    if args.verbose and project is not None:
        from monotrail.targets.project import explain

        for label, value in explain(project, executable, key):
            log.debug(f"{label}: {value}")
    # The fast path reads the env record itself: the API's module is for the slow path.
    record = None if args.refresh else load_valid_record(key)
    if record is None and project is not None and not any(withs) and not args.refresh:
        from monotrail.env.derive import derive

        record = derive(project, executable, args.extras, args.groups, key)
    if record is None:
        complete_site()
        from monotrail import api

        record = api.env_record(
            project, executable, args.extras, args.groups, *withs, refresh=args.refresh
        )
    else:
        log.debug(f"fast path, env record {record['path']}")
    if args.mode == "python":
        exec_python(record, args.args)
    exec_command(record, args.command, args.args, root or _added(args))
    return 0  # not reached: exec replaced the process


def _project_of(args: RunArgs) -> Project | None:
    """The project ``run`` is for; None outside any, where ``run python`` and ``--with`` need
    none (``run command NAME`` alone does: there is nothing else NAME could come from)."""
    from monotrail.targets.project import discover

    try:
        return discover(explicit=args.project)
    except MonotrailError:
        if args.project is not None or (args.mode == "command" and not _added(args)):
            raise
    if args.extras or args.groups:
        raise MonotrailError(
            f"no project found in {os.getcwd()} or its parents: -E/--group select from a "
            "project's dependencies (use --with REQUIREMENT outside a project)"
        )
    log.debug("no project: an environment of just the --with packages")
    return None


def _added(args: RunArgs) -> str:
    """The ``--with`` words as given, to name an environment of no project."""
    from monotrail.targets.with_extras import described

    return described(args.with_requirements, args.with_files)


def install_is_noop(argv: list[str]) -> bool:
    """``install`` whose env record is valid: say so without cleo or the slow path.

    Only for the options ``run`` shares (others, and anything unusual, go to cleo).
    """
    from monotrail.cli import run_args
    from monotrail.env.launch import env_key, load_valid_record
    from monotrail.python import choice
    from monotrail.targets.project import discover

    help_or_log = ("-h", "--help", "-v", "--verbose", "-q", "--quiet")
    if any(word in (*help_or_log, "--no-compile", "--refresh", "python") for word in argv):
        return False
    try:
        args = run_args.parse([*argv, "python"])
    except MonotrailError:
        return False
    if len(args.python) > 1 or args.with_requirements or args.with_files:
        return False
    project = discover(explicit=args.project)
    executable = choice.for_project(args.python[0] if args.python else None, project.root_dir)
    record = load_valid_record(env_key(project, executable, args.extras, args.groups))
    if record is None or not record["bytecode"]:
        return False
    count = len(record["packages"])
    print(
        f"0 added, {count} already in the store ({count} packages for Python "
        f"{record['python_version']}): the environment is up to date"
    )
    return True


def _run_matrix(project: Project | None, args: RunArgs) -> int:
    """Several ``-p``: the program once per version, then a summary table (matrix.py)."""
    from monotrail import api
    from monotrail.cli import matrix
    from monotrail.python import choice

    root = project.root_dir if project is not None else None
    withs = (args.with_requirements, args.with_files)
    return matrix.run_matrix(
        list(dict.fromkeys(args.python)),
        lambda request: choice.for_project(request, root),
        lambda executable: api.env_record(
            project, executable, args.extras, args.groups, *withs, refresh=args.refresh
        ),
        args.mode,
        args.command,
        args.args,
        root or _added(args),
    )
