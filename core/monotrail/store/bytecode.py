"""Compile the bytecode of store entries for a target interpreter, in parallel worker processes.

The store must hold ``.pyc`` files: imports never write them when ``PYTHONDONTWRITEBYTECODE`` is
set or the store is read-only. Bytecode is specific to the interpreter's cache tag, so it is made
by that interpreter, in one of two ways that both keep entries complete when visible:

- a new entry is compiled in its temporary folder, before the rename that publishes it (see
  ``layout.create_entry``), for the interpreter that installs it; each code object carries the
  path it will have in the store (``py_compile``'s ``dfile``);
- an entry that another interpreter (a pure entry shared by several Pythons) already published
  gets the ``.pyc`` files of the new cache tag later, each written by ``py_compile`` to a
  temporary name and renamed into place. Only files that do not exist yet are written: what an
  entry already holds never changes.

A marker file per cache tag says an entry is done. A :class:`Compiler` keeps its worker processes
for the whole fill, shared by the threads that unpack entries; each worker hangs on a lifeline
(``_lifeline``), so none outlives a killed monotrail.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from monotrail import paths, progress
from monotrail.errors import MonotrailError
from monotrail.log import logger
from monotrail.python.interpreter import Interpreter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail._lifeline import Helper

# Runs in the target interpreter. Reads batches of ``SOURCE<TAB>PATH IN THE STORE`` lines from
# stdin, each batch ended by an empty line, and answers each with a line once it is compiled.
# An existing .pyc is left as it is; a new one is made read-only (py_compile adds a write bit).
# Errors and warnings of a file (Python 2 syntax in a test fixture, say) are skipped, as pip does,
# so stderr only says why a worker crashed.
_WORKER = r"""
import importlib.util, os, py_compile, sys
for line in sys.stdin.buffer:
    if line == b"\n":
        sys.stdout.write("done\n")
        sys.stdout.flush()
        continue
    source, _, final = os.fsdecode(line[:-1]).partition("\t")
    try:
        cfile = importlib.util.cache_from_source(source)
        if not os.path.exists(cfile):
            py_compile.compile(source, cfile, dfile=final, doraise=True, quiet=2)
            os.chmod(cfile, os.stat(cfile).st_mode & ~0o222)
    except Exception:
        pass
"""

#: Files per worker and batch: below this, one worker compiles a whole entry.
BATCH = 200


def marker(entry: Path, interpreter: Interpreter) -> Path:
    return entry / paths.ENTRY_DATA_DIR / f"compiled-{interpreter.cache_tag}"


def is_compiled(entry: Path, interpreter: Interpreter) -> bool:
    return marker(entry, interpreter).exists()


def sources(entry: Path) -> list[str]:
    """Every ``.py`` below the entry (not its ``.data`` parts)."""
    files: list[str] = []
    for dirpath, dirnames, filenames in os.walk(entry):
        if dirpath == str(entry):
            dirnames[:] = [d for d in dirnames if d != paths.ENTRY_DATA_DIR]
        files.extend(os.path.join(dirpath, f) for f in filenames if f.endswith(".py"))
    return files


class Compiler:
    """Worker processes of one interpreter, started as needed (at most ``workers``); use it as
    a context manager, which stops them."""

    def __init__(self, interpreter: Interpreter, workers: int = 0) -> None:
        from monotrail._lifeline import Pool

        self.interpreter = interpreter
        self.workers = Pool(self._start, workers or default_workers())
        #: The display's phase that counts the files compiled (progress.py), from any thread.
        self.phase: progress.Phase | None = None

    def __enter__(self) -> Compiler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.workers.close()

    def compile_entry(self, entry: Path, final: Path | None = None) -> None:
        """Compile the entry at ``entry``, whose files will be at ``final`` (default: where they
        are), then write its marker."""
        if final is None or final == entry:
            self.compile([(f, f) for f in sources(entry)])
        else:
            prefix = len(str(entry))
            self.compile([(f, str(final) + f[prefix:]) for f in sources(entry)])
        mark(entry, self.interpreter)

    def compile_in_place(self, entries: Iterable[Path]) -> None:
        """Compile the published entries not yet compiled for the interpreter (those in the
        writable store: see the module docstring), then write their markers."""
        todo = [entry for entry in entries if not is_compiled(entry, self.interpreter)]
        if not todo:
            return  # a new environment of compiled entries starts no process
        files = [(f, f) for entry in todo for f in sources(entry)]
        logger.debug("compiling %d files of %d entries in place", len(files), len(todo))
        self.compile(files)
        for entry in todo:
            mark(entry, self.interpreter)

    def compile(self, files: list[tuple[str, str]]) -> None:
        """Compile ``(source, path in the store)`` pairs, split over as many workers as their
        number asks for (and are free or can be started)."""
        if not files:
            return
        if self.phase is not None:
            self.phase.expect(len(files))
        wanted = len(files) // BATCH + 1
        taken = [self.workers.wait_for_one()]
        while len(taken) < wanted and (more := self.workers.take()) is not None:
            taken.append(more)
        failed: list[Helper] = []
        for number, worker in enumerate(taken):
            share = files[number :: len(taken)]  # round-robin: similar sizes
            lines = b"".join(os.fsencode(f"{a}\t{b}\n") for a, b in share if "\n" not in a)
            assert worker.stdin is not None
            try:
                worker.stdin.write(lines + b"\n")
                worker.stdin.flush()
            except OSError:  # it died: its stderr says why
                failed.append(worker)
        for number, worker in enumerate(taken):
            assert worker.stdout is not None
            if worker not in failed and worker.stdout.readline() != b"done\n":
                failed.append(worker)
            elif worker not in failed and self.phase is not None:
                self.phase.advance(len(files[number :: len(taken)]))
        # The others go back (threads may be waiting for them); a failed one is stopped.
        for worker in taken:
            if worker not in failed:
                self.workers.give_back(worker)
        if failed:
            raise [self._failure(worker) for worker in failed][0]

    def _start(self) -> Helper:
        import subprocess

        from monotrail._lifeline import Helper

        logger.debug("compiling bytecode: a worker of %s", self.interpreter.executable)
        cmd = [self.interpreter.executable, "-I", "-S", "-W", "ignore", "-c", _WORKER]
        return Helper(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def _failure(self, worker: Helper) -> MonotrailError:
        why = self.workers.failure(worker)
        executable = self.interpreter.executable
        return MonotrailError(f"compiling bytecode with {executable} failed: {why}")


def default_workers() -> int:
    """One more than the cores: a worker waiting for the disk leaves its core to another."""
    return min((os.cpu_count() or 1) + 1, 9)


def mark(entry: Path, interpreter: Interpreter) -> None:
    """Write the entry's marker for ``interpreter`` (read-only, as every entry file)."""
    from monotrail.store.entry_files import write_new_file

    try:
        write_new_file(str(marker(entry, interpreter)), b"", False, set())
    except FileExistsError:
        pass  # another process compiled it too


def compile_entries(entries: Iterable[Path], interpreter: Interpreter, workers: int = 0) -> None:
    """Compile every published entry not yet compiled for ``interpreter``, in place."""
    with Compiler(interpreter, workers) as compiler:
        compiler.compile_in_place(entries)
