"""Starting the target interpreter with an environment: the stdlib-only fast path.

The env key is a hash of everything that decides an environment (the project's dependency files,
the interpreter, extras, groups, monotrail's version and bootstrap), so a second ``run`` computes
it, reads one small env record and execs the interpreter, importing nothing outside the standard
library. Every import here is paid on each ``run``: paths are strings, digests skip hashlib.
"""

from __future__ import annotations

import os
import sys

from monotrail import __version__, fingerprint
from monotrail.env import record
from monotrail.store import locks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from monotrail.env.record import EnvRecord
    from monotrail.targets.project import Project


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
BOOT_SOURCES = {
    "sitecustomize.py": os.path.join(_PACKAGE_DIR, "_boot", "sitecustomize.py"),
    "_monotrail_finder.py": os.path.join(_PACKAGE_DIR, "finder.py"),
    "_monotrail_locks.py": os.path.join(os.path.dirname(_PACKAGE_DIR), "store", "locks.py"),
}


#: Names the lock descriptor for the finder, which pops it (``env.finder.LOCK_FD``: the finder
#: runs in the target alone, and importing it here would cost every ``run``).
_LOCK_FD = "MONOTRAIL_LOCK_FD"


def boot_digest() -> str:
    """Identifies the bootstrap code by content: names its folder ``boot/<version>-<digest>``,
    and is part of every env key, so that records follow a changed finder (by content, not
    mtime: reinstalling the same monotrail keeps every environment)."""
    contents = []
    for name in sorted(BOOT_SOURCES):
        with open(BOOT_SOURCES[name], "rb") as handle:
            contents.append(handle.read())
    return fingerprint.digest(*contents, size=8)


def env_key(
    project: Project | None,
    interpreter_exe: str,
    extras: Sequence[str],
    groups: Sequence[str],
    extra_inputs: Sequence[str] = (),
) -> str:
    """The hash naming the env record for these inputs."""
    key = _key(project, interpreter_exe, extras, groups, extra_inputs, True)
    assert key is not None
    return key


def content_key(
    project: Project, interpreter_exe: str, extras: Sequence[str], groups: Sequence[str]
) -> str | None:
    """The env key without the project's folder: its dependency files are named relative to
    it, so a copy or another checkout of the project has the same content key (``env.derive``).
    None while one of those files is missing (making the environment may write it)."""
    return _key(project, interpreter_exe, extras, groups, (), False)


def _key(
    project: Project | None,
    interpreter_exe: str,
    extras: Sequence[str],
    groups: Sequence[str],
    extra_inputs: Sequence[str],
    in_folder: bool,
) -> str | None:
    stat = os.stat(interpreter_exe)
    parts = [
        f"format={record.FORMAT}",
        f"monotrail={__version__}|{boot_digest()}",
        f"interpreter={interpreter_exe}|{stat.st_size}|{stat.st_mtime_ns}",
        f"extras={','.join(sorted(set(extras)))}",
        f"groups={','.join(sorted(set(groups)))}",
        *extra_inputs,
    ]
    root, files = (project.root_dir, project.input_files) if project is not None else ("", ())
    if project is not None:
        parts.append(f"project={root if in_folder else ''}|{project.kind}")
    chunks = ["\n".join(parts).encode()]
    for path in files:
        name = path if in_folder else os.path.relpath(path, root)
        chunks.append(name.encode())
        try:
            with open(path, "rb") as handle:
                chunks.append(handle.read())
        except OSError:
            if not in_folder:
                return None
            chunks.append(b"\0<missing>")
    return fingerprint.digest(*chunks)


def load_valid_record(key: str) -> EnvRecord | None:
    """The env record for ``key`` if it exists and everything it points at is still there.

    First takes the shared lock that keeps ``gc`` from removing the environment while this
    process, and the program it execs, run (see ``store.locks``).
    """
    locks.hold_env(key)
    found = record.read(record.path_of(key))
    if found is None or found["format"] != record.FORMAT:
        return None
    for entry in found["entries"]:
        if not os.path.isdir(entry):
            return None
    for file, digest in found["extra_inputs"].items():
        if digest.startswith(record.TREE_INPUT):  # a path dependency's source tree
            if fingerprint.tree_stamp(file) != digest[len(record.TREE_INPUT) :]:
                return None
            continue
        if fingerprint.file_digest(file) != digest:
            return None
    for folder in (found["boot"], found["bin"]):
        if not os.path.isdir(folder):
            return None
    return found


def environ_for(found: EnvRecord, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment variables that make the target interpreter (and its children) use it."""
    env = dict(os.environ if base is None else base)
    boot = found["boot"]
    existing = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != boot]
    env["PYTHONPATH"] = os.pathsep.join([boot, *existing])
    env["MONOTRAIL_ENV"] = found["path"]
    env["PYTHONNOUSERSITE"] = "1"
    env["PATH"] = os.pathsep.join([found["bin"], env.get("PATH", os.defpath)])
    env.pop("PYTHONHOME", None)
    return env


def exec_python(found: EnvRecord, args: list[str]) -> None:
    """Replace this process with the target interpreter running ``args``."""
    executable = found["interpreter"]
    env = _exec_environ(found)
    _flush()
    os.execve(executable, [executable, *args], env)


def exec_command(found: EnvRecord, name: str, args: list[str], whose: str) -> None:
    """Replace this process with the console script ``name`` of the environment; an error that
    lists the environment's commands when it has none of that name (``whose`` names it)."""
    script = record.command_path(found, name, whose)
    env = _exec_environ(found)
    _flush()
    os.execve(script, [script, *args], env)


def _exec_environ(found: EnvRecord) -> dict[str, str]:
    """``environ_for``, plus the descriptor of the environment's lock this process holds: it
    stays open through ``exec``, so the finder there need not lock again (``store.locks``)."""
    env = environ_for(found)
    held = locks.descriptor(found["lock"])
    if held is not None:
        env[_LOCK_FD] = str(held)
    return env


def _flush() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
