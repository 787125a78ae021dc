"""A launch path for an interpreter that leaves out its base site-packages.

Python treats a ``pyvenv.cfg`` one folder above its executable as a virtual environment: the base
interpreter's site-packages (and every ``.pth`` file there, which may import a lot) are then not
on ``sys.path``. monotrail keeps one such two-file folder per interpreter in the store, shared by
every environment: it is not a per-project venv (nothing is ever installed into it), only the way
to start the interpreter clean, for the launched process and for its children through
``sys.executable``.
"""

from __future__ import annotations

import hashlib
import os
import shutil

from monotrail import paths
from monotrail.python.interpreter import Interpreter


def launch_path(interpreter: Interpreter) -> str:
    """The executable to start ``interpreter`` with, creating its folder if needed."""
    real = os.path.realpath(interpreter.executable)
    digest = hashlib.sha256(f"{real}|{interpreter.full_version}".encode()).hexdigest()[:16]
    root = paths.interpreters_dir() / "isolated" / f"{interpreter.short_version}-{digest}"
    name = f"python{interpreter.short_version}"
    executable = root / "bin" / name
    if executable.exists():
        return str(executable)
    tmp = paths.tmp_dir() / f"isolated.{os.getpid()}.{digest}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "bin").mkdir(parents=True)
    os.symlink(real, tmp / "bin" / name)
    for alias in ("python", "python3"):
        os.symlink(name, tmp / "bin" / alias)
    (tmp / "pyvenv.cfg").write_text(
        f"home = {os.path.dirname(real)}\n"
        "include-system-site-packages = false\n"
        f"version = {interpreter.full_version}\n"
        f"executable = {real}\n"
    )
    root.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(tmp, root)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # made by another process meanwhile
    return str(executable)
