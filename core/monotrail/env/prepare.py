"""The one way from a target to a ready environment: packages, store fill, env record.

Every kind of target (targets/: a project folder, a PEP 723 script, a ppipx app, a from-git
checkout, a notebook) describes itself as a ``Target``: the key of its env record, how to get its
packages for an interpreter (a lock file read, or a resolution through the resolution cache), its
own source and who owns the environment. ``prepare`` does the rest, the same for all: it checks
that the store is writable, fills it (download, build, unpack, bytecode) with every package but
the editable ones (``env.editables``: imported from their folders, whose declaration files become
inputs checked on every start) and writes the env record, with the store's file lock held shared
so that gc never sees new entries that no env record references yet. A disk that fills up on the
way is one ``error:`` line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from monotrail._fs import sha256_file
from monotrail.env import editables, writer
from monotrail.env.writer import ProjectSource
from monotrail.errors import SourceError
from monotrail.fetch import source_build
from monotrail.lockfile.model import LockedPackage
from monotrail.python.interpreter import Interpreter
from monotrail.store import fill, layout, locks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail.env.record import EnvRecord, Owner


@dataclass(frozen=True)
class Target:
    """What one kind of target supplies to ``prepare``; the rest is the same for all."""

    #: The env record's key (``env.launch.env_key`` over the target's inputs).
    key: str
    #: The packages the target needs on an interpreter, from its lock file or a resolution.
    packages: Callable[[Interpreter], list[LockedPackage]]
    #: Whose environment it is (the gc roots).
    owner: Owner
    #: Files whose content decides the environment: hashed into the owner's ``inputs`` once
    #: the packages are known (getting them may write a lock file).
    input_files: tuple[str, ...] = ()
    #: The target's own code, imported from its folders.
    source: ProjectSource = field(default_factory=ProjectSource)
    #: Files checked on every start (path -> ``fingerprint.file_digest``): a change makes the
    #: record invalid.
    extra_inputs: dict[str, str] = field(default_factory=dict)
    #: A project's ``launch.content_key``: copies of the project derive from this environment.
    content_key: str | None = None
    #: The file that decided the packages (a lock file), named in front of a ``SourceError``.
    origin: str | None = None


@dataclass(frozen=True)
class Prepared:
    """A ready environment and what filling the store did for it."""

    record: EnvRecord
    report: fill.FillReport


def prepare(target: Target, interpreter: Interpreter, compile_bytecode: bool = True) -> Prepared:
    """Make the environment of ``target`` on ``interpreter`` and write its env record."""
    layout.check_writable()
    with layout.write_errors():
        packages = target.packages(interpreter)
        editable = editables.sources(packages)
        declared = editables.declaration_digests([s.folder for s in editable if s.folder])
        for line in editables.unmet(editable, packages, interpreter.markers):
            print(line, file=sys.stderr)
        owner: Owner = {**target.owner}
        if target.input_files:
            owner["inputs"] = {**owner.get("inputs", {}), **_digests(target.input_files)}
        # Stamped before the build reads them: an edit meanwhile shows at the next start.
        extra_inputs = {**target.extra_inputs, **source_build.tree_inputs(packages)}
        with locks.store_shared():
            built = [p for p in packages if not p.editable]
            try:
                report = fill.fill_store(built, interpreter, compile_bytecode)
            except SourceError as err:
                if target.origin is None:
                    raise
                raise SourceError(f"{target.origin}: {err}") from None
            record = writer.write_record(
                target.key,
                interpreter,
                report.entries,
                [target.source, *editable],
                owner,
                {**extra_inputs, **declared},
                compile_bytecode,
                target.content_key,
            )
    return Prepared(record, report)


def _digests(files: tuple[str, ...]) -> dict[str, str]:
    """sha256 of each file ("" for one that cannot be read)."""
    found = {}
    for path in files:
        try:
            found[path] = sha256_file(path)
        except OSError:
            found[path] = ""
    return found
