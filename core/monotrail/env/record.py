"""The env record: one environment, a Lock narrowed to one interpreter and mapped onto entries.

An env record is a ``marshal`` file ``envs/<key>.record`` (marshal is built in, readable by every
target Python, and needs no import on the fast path). Its shape is declared once, here, as the
``EnvRecord`` TypedDict: it exists for the type checker only, so at run time a record is a plain
dict and this module imports nothing but ``marshal`` and ``os``.

Three readers share it: the launcher (``env.launch``: interpreter, boot, bin, what must exist),
the finder inside the target (``env.finder``, which copies nothing from here: it checks that a
record was written for its own boot folder and interpreter), and the store's inventory, gc and
verify (the owner fields: what keeps an environment alive, how to prepare it again).
"""

from __future__ import annotations

import marshal
import os

from monotrail import paths

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from typing import TypedDict

    class Owner(TypedDict, total=False):
        """Whose environment it is: the gc roots, and what ``store verify --repair`` needs."""

        #: The project folder, None for an environment of no project (a tool, a script).
        project: str | None
        #: Which file decided the project's packages (``targets.project.POETRY`` ...).
        project_kind: str
        #: For humans: what made an environment of no project (``ppipx black``, ``script x``).
        tool: str
        #: The ppipx app's canonical name.
        app: str
        #: Files whose content decided the environment, path -> sha256 ("" = any content):
        #: the environment is dead once one changes or is gone.
        inputs: dict[str, str]
        extras: list[str]
        groups: list[str]
        #: Keys of the resolution cache files the packages came from (filled while the target
        #: gets its packages): gc keeps them while the environment lives.
        resolutions: list[str]

    class EnvRecord(Owner):
        """The whole record; every key below is always written."""

        #: ``FORMAT`` of the writer.
        format: int
        #: This record's own file.
        path: str
        #: What the target is started as: the isolated launch link of the interpreter.
        interpreter: str
        #: The interpreter behind that link.
        base_interpreter: str
        python_version: str
        #: ``sys.implementation.cache_tag`` of the interpreter: the finder refuses others.
        cache_tag: str
        #: The interpreter's own ``sys.path`` (stdlib folders): everything else is hidden.
        stdlib: list[str]
        #: The bootstrap folder put on ``PYTHONPATH``.
        boot: str
        #: The environment's console scripts, put on ``PATH``.
        bin: str
        #: The environment's lock file, held shared by every process that uses it (``locks``).
        lock: str
        #: Folders imported before the entries: the project's own source, editable sources.
        head: list[str]
        #: A flat layout's package name -> its folder (``src/__init__.py`` is the package).
        flat: dict[str, str]
        #: Entry roots, in order.
        entries: list[str]
        #: Top-level import name -> positions in ``entries`` that provide it.
        index: dict[str, list[int]]
        #: ``.pth`` files of the entries, processed at start.
        pth: list[str]
        #: Names of the executables in ``bin``.
        scripts: list[str]
        #: ``[name, version]`` of each entry, in the order of ``entries``.
        packages: list[list[str]]
        #: Files (path -> ``fingerprint.file_digest``, no hashlib on the fast path) checked on
        #: every start: a requirements file's ``-r`` includes, editables' pyproject.toml; and
        #: the source trees of path dependencies (folder -> ``TREE_INPUT`` +
        #: ``fingerprint.tree_stamp``).
        extra_inputs: dict[str, str]
        #: Whether the entries have bytecode for this interpreter (``install`` is a no-op then).
        bytecode: bool


#: Bumped when the record's shape changes: the env key includes it, so a new monotrail never
#: reads an older record.
FORMAT = 3
#: Suffix of env record files in ``envs/``.
SUFFIX = ".record"
#: Marks a value of ``extra_inputs`` that is a source tree's stamp, not a file's sha256.
TREE_INPUT = "tree:"


def path_of(key: str) -> str:
    """The env record file for ``key``."""
    return os.path.join(paths.envs_str(), key + SUFFIX)


def read(path: str) -> EnvRecord | None:
    """The env record in ``path`` (of any format: check ``FORMAT``), or None when it is missing
    or unreadable."""
    try:
        with open(path, "rb") as handle:
            record = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return record if isinstance(record, dict) else None  # type: ignore[return-value]


def dump(record: EnvRecord) -> bytes:
    """The bytes of an env record file (marshal version 4: readable by Python 3.4 and newer)."""
    return marshal.dumps(dict(record), 4)


def command_path(record: EnvRecord, name: str, whose: str) -> str:
    """The executable ``name`` of the environment, or one error that lists what there is.

    ``whose`` names the environment for the message (a project folder, a script, an app).
    """
    if name not in record["scripts"]:
        from monotrail.errors import MonotrailError

        available = ", ".join(record["scripts"]) or "none"
        raise MonotrailError(
            f"no command {name!r} in the environment of {whose} (console scripts: {available})"
        )
    return os.path.join(record["bin"], name)
