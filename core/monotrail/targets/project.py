"""Finding the project a command runs for, and the files that define its dependencies.

Which file decides a folder's packages: the first of these that matches, from the top (the
README's table "Which file decides" says the same; ``kind_of`` is the code):

1. ``uv.lock`` (``UV``): the lock, read as ``uv sync --frozen`` reads it, never written;
2. ``poetry.lock`` (``POETRY``): the lock, re-locked as ``poetry lock`` would when stale;
3. ``pylock.toml`` (``PYLOCK``): the lock (PEP 751);
4. ``[tool.poetry]`` in pyproject.toml (``POETRY``): Poetry's solver writes poetry.lock;
5. ``requirements.txt`` (``REQUIREMENTS``): pip resolves it once, kept in the store;
6. pyproject.toml, PEP 621 only (``PYPROJECT``): Poetry's solver locks it once into the
   store; nothing is written into the folder.

Stdlib only and light: this runs on the ``run`` fast path, so it works on ``os.path`` strings
and imports pathlib only when a caller asks for ``Path`` objects.
"""

from __future__ import annotations

import os

from monotrail.errors import MonotrailError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from pathlib import Path

UV = "uv"
POETRY = "poetry"
REQUIREMENTS = "requirements"
PYLOCK = "pylock"
PYPROJECT = "pyproject"

_MARKERS = ("poetry.lock", "pyproject.toml", "requirements.txt")


class Project:
    """A project directory and how its dependencies are declared."""

    __slots__ = ("root_dir", "kind", "input_files")

    def __init__(self, root_dir: str, kind: str, input_files: tuple[str, ...]) -> None:
        self.root_dir = root_dir
        self.kind = kind
        #: The files whose content decides the environment (hashed into the env key).
        self.input_files = input_files

    @property
    def root(self) -> Path:
        from pathlib import Path

        return Path(self.root_dir)

    @property
    def inputs(self) -> tuple[Path, ...]:
        from pathlib import Path

        return tuple(Path(p) for p in self.input_files)

    @property
    def requirements(self) -> Path:
        return self.root / "requirements.txt"

    def __repr__(self) -> str:
        return f"Project({self.root_dir!r}, {self.kind!r})"


def kind_of(directory: str) -> str | None:
    """How ``directory`` declares dependencies, or None when it is not a project root."""
    join, isfile = os.path.join, os.path.isfile
    if isfile(join(directory, "uv.lock")):
        return UV  # uv's lock: read as uv sync would, never rewritten
    if isfile(join(directory, "poetry.lock")):
        return POETRY
    if isfile(join(directory, "pylock.toml")):
        return PYLOCK  # a PEP 751 lock: a resolution, so it wins over what it was made from
    pyproject = join(directory, "pyproject.toml")
    has_pyproject = isfile(pyproject)
    if has_pyproject:
        try:
            with open(pyproject, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            text = ""
        if _has_poetry_table(text):
            return POETRY
    if isfile(join(directory, "requirements.txt")):
        return REQUIREMENTS
    if has_pyproject:
        return PYPROJECT
    return None


def _has_poetry_table(pyproject: str) -> bool:
    """Whether pyproject.toml's text has ``[tool.poetry]`` or a table below it (not, say,
    ``[tool.poetry-dynamic-versioning]`` of another build backend's plugin)."""
    if "tool.poetry" not in pyproject:
        return False
    for line in pyproject.splitlines():
        header = line.strip().lstrip("[").replace(" ", "")
        if line.lstrip().startswith("[") and header.startswith(("tool.poetry]", "tool.poetry.")):
            return True
    return False


def explain(project: Project, executable: str, key: str) -> list[tuple[str, str]]:
    """What ``run -v`` and ``show`` say first: which file decides, the interpreter, the env
    key and the env record's path."""
    from monotrail.env.record import path_of

    path, how = deciding_file(project)
    return [
        ("file", f"{path} ({how})"),
        ("interpreter", executable),
        ("env key", key),
        ("record", path_of(key)),
    ]


def deciding_file(project: Project) -> tuple[str, str]:
    """The file that decides the project's packages, and how it is used (a few words)."""
    join = os.path.join
    if project.kind == UV:
        return join(project.root_dir, "uv.lock"), "uv's lock"
    if project.kind == PYLOCK:
        return join(project.root_dir, "pylock.toml"), "PEP 751 lock"
    if project.kind == REQUIREMENTS:
        return join(project.root_dir, "requirements.txt"), "resolved by pip, kept in the store"
    lock = join(project.root_dir, "poetry.lock")
    if project.kind == POETRY and os.path.isfile(lock):
        return lock, "Poetry's lock"
    pyproject = join(project.root_dir, "pyproject.toml")
    if project.kind == POETRY:
        return pyproject, "[tool.poetry] without a lock: Poetry's solver writes poetry.lock"
    return pyproject, "PEP 621 without a lock: locked by Poetry's solver, kept in the store"


def discover(start: str | None = None, explicit: str | os.PathLike[str] | None = None) -> Project:
    """The nearest project at or above ``start`` (the working directory), or ``explicit``."""
    if explicit is not None:
        root = os.path.abspath(os.fspath(explicit))
        if not os.path.isdir(root):
            raise MonotrailError(f"{root}: --project is not a directory")
        kind = kind_of(root)
        if kind is None:
            raise MonotrailError(
                f"{root}: not a project "
                "(no pyproject.toml, uv.lock, poetry.lock or requirements.txt)"
            )
        return _project(root, kind)
    here = os.path.abspath(start or os.getcwd())
    directory = here
    while True:
        kind = kind_of(directory)
        if kind is not None:
            return _project(directory, kind)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    raise MonotrailError(
        f"no project found in {here} or its parents: monotrail looks for pyproject.toml, "
        "uv.lock, poetry.lock, pylock.toml or requirements.txt (or pass --project DIR)"
    )


def _project(root: str, kind: str) -> Project:
    if kind in (POETRY, UV):
        names = ("pyproject.toml", "poetry.lock" if kind == POETRY else "uv.lock")
        candidates = (os.path.join(root, n) for n in names)
        inputs = tuple(p for p in candidates if os.path.isfile(p))
    elif kind == PYLOCK:
        inputs = (os.path.join(root, "pylock.toml"),)
    elif kind == PYPROJECT:
        inputs = (os.path.join(root, "pyproject.toml"),)
    else:
        inputs = (os.path.join(root, "requirements.txt"),)
    return Project(root, kind, inputs)
