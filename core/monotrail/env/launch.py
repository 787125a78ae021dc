"""Starting the target interpreter with an environment: the stdlib-only fast path.

The env key is a hash of everything that decides an environment (the project's dependency files,
the interpreter, extras, groups, monotrail's version), so a second ``run`` computes it, reads one
small record and execs the interpreter, importing nothing outside the standard library.

Every import here is paid on each ``run``: records are ``marshal`` data (built in, the format of
``.pyc`` files, readable by every target Python), paths are strings, digests skip hashlib.
"""

from __future__ import annotations

import marshal
import os
import sys

from monotrail import __version__, fingerprint, paths
from monotrail.store import locks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail.targets.project import Project

ENV_FORMAT = 3
#: Suffix of environment records in ``envs/``.
RECORD_SUFFIX = ".record"


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
BOOT_SOURCES = {
    "sitecustomize.py": os.path.join(_PACKAGE_DIR, "_boot", "sitecustomize.py"),
    "_monotrail_finder.py": os.path.join(_PACKAGE_DIR, "finder.py"),
}


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
    extras: list[str],
    groups: list[str],
    extra_inputs: list[str] = (),  # type: ignore[assignment]
) -> str:
    """The hash naming the env record for these inputs."""
    stat = os.stat(interpreter_exe)
    parts = [
        f"format={ENV_FORMAT}",
        f"monotrail={__version__}|{boot_digest()}",
        f"interpreter={interpreter_exe}|{stat.st_size}|{stat.st_mtime_ns}",
        f"extras={','.join(sorted(set(extras)))}",
        f"groups={','.join(sorted(set(groups)))}",
        *extra_inputs,
    ]
    if project is not None:
        parts.append(f"project={project.root_dir}|{project.kind}")
    chunks = ["\n".join(parts).encode()]
    for path in project.input_files if project is not None else ():
        chunks.append(path.encode())
        try:
            with open(path, "rb") as handle:
                chunks.append(handle.read())
        except OSError:
            chunks.append(b"\0<missing>")
    return fingerprint.digest(*chunks)


def file_digest(path: str) -> str:
    """A digest of a file's content ("missing" when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return fingerprint.digest(handle.read())
    except OSError:
        return "missing"


def base_interpreter() -> str:
    """The interpreter behind the one running monotrail, outside any virtualenv it sits in.

    Targets must not be venv interpreters: their site-packages hold monotrail's own dependencies.
    """
    base = getattr(sys, "_base_executable", None) or sys.executable
    if sys.prefix != sys.base_prefix and base == sys.executable:
        candidate = os.path.join(sys.base_prefix, "bin", os.path.basename(sys.executable))
        if os.path.exists(candidate):
            base = candidate
    return os.path.realpath(base) if os.path.islink(base) else base


def record_path(key: str) -> str:
    return os.path.join(paths.envs_str(), key + RECORD_SUFFIX)


def read_record(path: str) -> dict[str, object] | None:
    """An environment record, or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            record = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return record if isinstance(record, dict) else None


def dump_record(record: dict[str, object]) -> bytes:
    """The bytes of a record file (marshal version 4: readable by Python 3.4 and newer)."""
    return marshal.dumps(record, 4)


def load_valid_record(key: str) -> dict[str, object] | None:
    """The record for ``key`` if it exists and everything it points at is still there.

    First takes the shared lock that keeps ``gc`` from removing the environment while this
    process, and the program it execs, run (see ``store_locks``).
    """
    locks.hold_env(key)
    record = read_record(record_path(key))
    if record is None or record.get("format") != ENV_FORMAT:
        return None
    for entry in record.get("entries", []):  # type: ignore[attr-defined]
        if not os.path.isdir(entry):
            return None
    extra_inputs: dict[str, str] = record.get("extra_inputs", {})  # type: ignore[assignment]
    if extra_inputs:
        import hashlib  # only scripts and tools record extra inputs
    for file, digest in extra_inputs.items():
        try:
            with open(file, "rb") as handle:
                if hashlib.sha256(handle.read()).hexdigest() != digest:
                    return None
        except OSError:
            return None
    for folder in (record.get("boot", ""), record.get("bin", "")):
        if not os.path.isdir(str(folder)):
            return None
    return record


def environ_for(record: dict[str, object], base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment variables that make the target interpreter (and its children) use it."""
    env = dict(os.environ if base is None else base)
    boot = str(record["boot"])
    existing = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != boot]
    env["PYTHONPATH"] = os.pathsep.join([boot, *existing])
    env["MONOTRAIL_ENV"] = str(record["path"])
    env["PYTHONNOUSERSITE"] = "1"
    env["PATH"] = os.pathsep.join([str(record["bin"]), env.get("PATH", os.defpath)])
    env.pop("PYTHONHOME", None)
    return env


def exec_python(record: dict[str, object], args: list[str]) -> None:
    """Replace this process with the target interpreter running ``args``."""
    executable = str(record["interpreter"])
    env = environ_for(record)
    _flush()
    os.execve(executable, [executable, *args], env)


def exec_command(record: dict[str, object], name: str, args: list[str]) -> None:
    """Replace this process with a console script of the environment."""
    script = os.path.join(str(record["bin"]), name)
    env = environ_for(record)
    _flush()
    os.execve(script, [script, *args], env)


def _flush() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
