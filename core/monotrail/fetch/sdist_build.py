"""Building wheels from sdists and source trees (PEP 517, through ``build``), cached once built."""

from __future__ import annotations

import os
import shutil
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

from monotrail import paths, progress
from monotrail._fs import atomic_publish
from monotrail.errors import MonotrailError
from monotrail.log import logger
from monotrail.python.interpreter import Interpreter


def built_wheel_dir(sdist_sha256: str, interpreter: Interpreter) -> Path:
    return paths.artifacts_dir() / "built" / sdist_sha256 / interpreter.cache_tag


def cached_build(sdist_sha256: str, interpreter: Interpreter) -> Path | None:
    folder = built_wheel_dir(sdist_sha256, interpreter)
    if folder.is_dir():
        wheels = sorted(folder.glob("*.whl"))
        if wheels:
            return wheels[0]
    return None


def build_sdist(sdist: Path, sdist_sha256: str, interpreter: Interpreter) -> Path:
    """The wheel built from ``sdist`` (cached by the sdist's hash and the interpreter)."""
    hit = cached_build(sdist_sha256, interpreter)
    if hit is not None:
        return hit
    with tempfile.TemporaryDirectory(dir=paths.tmp_dir()) as work:
        source = _extract(sdist, Path(work) / "src")
        wheel = build_tree(source, Path(work) / "out", interpreter, label=sdist.name)
        target = built_wheel_dir(sdist_sha256, interpreter) / wheel.name
        atomic_publish(target, lambda tmp: shutil.move(wheel, tmp), mkdir=True)
        return target


def build_tree(
    source: Path,
    out_dir: Path,
    interpreter: Interpreter,
    label: str,
    distribution: Literal["wheel", "editable"] = "wheel",
) -> Path:
    """Build a wheel of the source tree with its PEP 517 backend in an isolated environment.

    ``distribution="editable"`` builds a PEP 660 editable wheel instead. The whole build (the
    isolated environment, pip installing the build requirements into it, the backend and its
    compilers) runs in one helper process on a lifeline (see _lifeline), so all of it dies with
    monotrail; its temporary files go to one folder below the store's ``tmp/`` (``TMPDIR``),
    which the supervisor removes then, and gc if the supervisor died too.
    """
    import subprocess

    from monotrail._lifeline import Helper

    logger.info("building a wheel from %s", label)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The pid in the name lets gc tell a killed process's leftovers from work in progress.
    work = tempfile.mkdtemp(prefix=f"build.pid{os.getpid()}.", dir=paths.tmp_dir())
    try:
        with progress.phase(f"Building {label}") as step:
            command = [
                sys.executable, "-m", __name__, str(source), str(out_dir), distribution, label
            ]  # fmt: skip
            env = {**os.environ, "TMPDIR": work}
            proc = Helper(command, [work], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out, err = proc.communicate()
            said = err.decode(errors="replace")
            if proc.returncode != 0:
                lines = said.strip().splitlines()
                raise MonotrailError(lines[-1] if lines else f"{label}: building a wheel failed")
            wheel = Path(out.decode().strip().splitlines()[-1])
            step.summary = f"Built {wheel.name} from {label}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if said.strip():  # the backend's warnings and the helper's debug log: for -v only
        logger.debug("the build of %s said:\n%s", label, said.rstrip())
    return wheel


def _build_here(
    source: Path, out_dir: Path, distribution: Literal["wheel", "editable"], label: str
) -> Path:
    """The build itself, in the helper process started by :func:`build_tree`."""
    import build
    import build.env
    from pyproject_hooks import quiet_subprocess_runner

    try:
        with build.env.DefaultIsolatedEnv() as env:
            builder = build.ProjectBuilder.from_isolated_env(
                env, source, runner=quiet_subprocess_runner
            )
            env.install(builder.build_system_requires)
            env.install(builder.get_requires_for_build(distribution))
            wheel = builder.build(distribution, out_dir)
    except build.BuildBackendException as err:
        raise MonotrailError(f"{label}: the build backend failed: {_tail(err)}") from None
    except build.BuildException as err:
        raise MonotrailError(f"{label}: building a wheel failed: {err}") from None
    except Exception as err:  # build's env set-up raises subprocess and OS errors
        raise MonotrailError(f"{label}: building a wheel failed: {_tail(err)}") from None
    return Path(wheel)


def _tail(err: BaseException) -> str:
    """The last meaningful line of a build failure (the backend's or pip's output)."""
    cause = getattr(err, "exception", None) or err
    output = getattr(cause, "output", None) or getattr(cause, "stderr", None) or b""
    if isinstance(output, bytes):
        output = output.decode(errors="replace")
    lines = [line.strip() for line in str(output).splitlines() if line.strip()]
    return lines[-1] if lines else str(err)


def _extract(sdist: Path, destination: Path) -> Path:
    destination.mkdir(parents=True)
    try:
        if sdist.name.endswith(".zip"):
            with zipfile.ZipFile(sdist) as archive:
                for member in archive.namelist():
                    if member.startswith("/") or ".." in member.split("/"):
                        raise MonotrailError(f"{sdist.name}: refused, unsafe member {member!r}")
                archive.extractall(destination)
        else:
            with tarfile.open(sdist) as archive:
                archive.extractall(destination, filter="data")
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as err:
        raise MonotrailError(f"{sdist.name}: not a valid source archive: {err}") from None
    children = [c for c in destination.iterdir() if c.is_dir()]
    if len(children) == 1 and not (destination / "pyproject.toml").exists():
        return children[0]
    return destination


if __name__ == "__main__":  # the helper process of build_tree: SOURCE OUT_DIR DISTRIBUTION LABEL
    _source, _out, _distribution, _label = sys.argv[1:]
    try:
        _wheel = _build_here(Path(_source), Path(_out), _distribution, _label)  # type: ignore[arg-type]
    except MonotrailError as _err:
        sys.stderr.write(f"{_err}\n")
        sys.exit(2)
    print(_wheel)
