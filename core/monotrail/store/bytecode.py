"""Compile the bytecode of store entries for a target interpreter, in parallel worker processes.

The store must hold ``.pyc`` files: imports never write them when ``PYTHONDONTWRITEBYTECODE`` is
set or the store is read-only. Bytecode is specific to the interpreter's cache tag, so it is made
by that interpreter; a pure entry shared by several Pythons collects one ``.pyc`` per version,
each written atomically by ``py_compile``. A marker file per cache tag says an entry is done.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from monotrail import paths, progress
from monotrail.errors import MonotrailError
from monotrail.log import logger
from monotrail.python.interpreter import Interpreter

# Runs in the target interpreter: compiles the files listed in the file named by argv[1].
# Errors in a file (Python 2 syntax in a test fixture, say) are skipped, as pip does.
_WORKER = r"""
import py_compile, sys
for line in open(sys.argv[1], encoding="utf-8"):
    path = line.rstrip("\n")
    if not path:
        continue
    try:
        py_compile.compile(path, doraise=True, quiet=2)
    except Exception:
        pass
"""


def marker(entry: Path, interpreter: Interpreter) -> Path:
    return entry / paths.ENTRY_DATA_DIR / f"compiled-{interpreter.cache_tag}"


def is_compiled(entry: Path, interpreter: Interpreter) -> bool:
    return marker(entry, interpreter).exists()


def compile_entries(entries: Iterable[Path], interpreter: Interpreter, workers: int = 0) -> None:
    """Compile every ``.py`` below the entries (not their ``.data`` parts) with ``interpreter``."""
    todo = [entry for entry in entries if not is_compiled(entry, interpreter)]
    if not todo:
        return
    import subprocess  # not before: a new environment of compiled entries starts no process
    import tempfile

    from monotrail._lifeline import Helper

    files: list[str] = []
    for entry in todo:
        for dirpath, dirnames, filenames in os.walk(entry):
            if dirpath == str(entry):
                dirnames[:] = [d for d in dirnames if d != paths.ENTRY_DATA_DIR]
            files.extend(os.path.join(dirpath, f) for f in filenames if f.endswith(".py"))
    workers = workers or min(os.cpu_count() or 1, 8)
    workers = max(1, min(workers, len(files) // 200 + 1))
    logger.debug("compiling %d files of %d entries with %d workers", len(files), len(todo), workers)
    progress.expect(len(files))
    # Round-robin keeps the workers' shares similar in size (big packages are contiguous).
    chunks = [files[i::workers] for i in range(workers)]
    procs = []
    for chunk in chunks:
        fd, listing = tempfile.mkstemp(suffix=".txt", dir=paths.tmp_dir())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(chunk))
        cmd = [interpreter.executable, "-I", "-S", "-c", _WORKER, listing]
        worker = Helper(cmd, [listing], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append((worker, listing))
    failures = []
    for (proc, listing), chunk in zip(procs, chunks, strict=True):
        _, err = proc.communicate()
        os.unlink(listing)
        progress.advance(len(chunk))
        if proc.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            failures.append(lines[-1] if lines else f"exit code {proc.returncode}")
    if failures:
        raise MonotrailError(
            f"compiling bytecode with {interpreter.executable} failed: {failures[0]}"
        )
    for entry in todo:
        mark = marker(entry, interpreter)
        mark.parent.mkdir(exist_ok=True)
        mark.touch()
