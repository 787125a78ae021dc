"""The import hook installed in the target interpreter (stdlib only, Python 3.9+).

An env record lists the store entries of one environment and an index from each top-level
import name to the entries that provide it. ``install()`` puts the entries on ``sys.path`` after
the standard library and the project's own source (so that ``importlib.metadata``,
``pkgutil``, ``pkg_resources`` and namespace packages work as in a venv), and puts a finder on
``sys.meta_path`` ahead of ``PathFinder`` that answers top-level imports from the index in
constant time, instead of probing every entry in turn.

What comes before the entries on ``sys.path`` (the script's directory, the standard library, the
project, anything user code inserts) still wins, as it would in a venv.

Imported at every start of every target, so it imports only what a bare interpreter has already
loaded: not typing, json (which pulls in re), ``__future__`` (the annotations are quoted
instead), nor ``importlib.machinery``, which would bring ``importlib`` and ``warnings``: its
classes come from the frozen import system they are defined in. Nor ``fcntl`` when the launcher
exec'd this interpreter: the environment's lock then came with it (``MONOTRAIL_LOCK_FD``).
"""

import os
import sys
from _frozen_importlib import ModuleSpec
from _frozen_importlib_external import PathFinder, SourceFileLoader

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from monotrail.env.record import EnvRecord

# The folder of an entry holding its wheel's scripts (monotrail.paths.ENTRY_SCRIPTS_DIR): on
# sys.path as part of the entry, but not a namespace package as it would be for PathFinder.
SCRIPTS_DIR = "bin"


class StoreFinder:
    """Finds top-level modules of the environment's store entries through a precomputed index."""

    def __init__(
        self, entries: list[str], index: dict[str, list[int]], flat: dict[str, str]
    ) -> None:
        self.entries = list(entries)
        # Entry numbers, turned into folders by ``roots`` when a name is looked up: an
        # environment of hundreds of packages has thousands of names, most never imported.
        self.index = index
        self.flat = dict(flat)
        self._path_snapshot: tuple[str, ...] | None = None
        self._head: list[str] = []

    def roots(self, fullname: str) -> "list[str] | None":
        """The entries that provide the top-level name ``fullname``; None if none does."""
        where = self.index.get(fullname)
        return None if where is None else [self.entries[i] for i in where]

    def _head_paths(self) -> list[str]:
        """sys.path without the entries: what is searched first, as in a venv."""
        snapshot = tuple(sys.path)
        if snapshot != self._path_snapshot:
            self._path_snapshot = snapshot
            entries = set(self.entries)
            self._head = [p for p in snapshot if p not in entries]
        return self._head

    def find_spec(
        self, fullname: str, path: "Any" = None, target: "Any" = None
    ) -> "ModuleSpec | None":
        if path is not None:
            return None  # submodules are found through their parent's __path__
        package_dir = self.flat.get(fullname)
        if package_dir is not None:
            return _package_spec(fullname, package_dir)
        roots = self.roots(fullname)
        if roots is None:
            if fullname == SCRIPTS_DIR:
                return self._outside_entries(fullname, target)
            return None
        spec = PathFinder.find_spec(fullname, self._head_paths(), target)
        if spec is not None and spec.loader is not None:
            return spec
        return PathFinder.find_spec(fullname, roots, target)

    def _outside_entries(self, fullname: str, target: "Any") -> "ModuleSpec | None":
        spec = PathFinder.find_spec(fullname, self._head_paths(), target)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return spec

    def invalidate_caches(self) -> None:
        self._path_snapshot = None


def _package_spec(fullname: str, package_dir: str) -> ModuleSpec:
    """The spec of a package whose folder name differs from its import name (a flat layout)."""
    init = os.path.join(package_dir, "__init__.py")
    spec = ModuleSpec(fullname, SourceFileLoader(fullname, init), origin=init, is_package=True)
    spec.submodule_search_locations = [package_dir]
    spec.has_location = True  # sets __file__ and lets the loader use __pycache__
    return spec


def process_pth(pth_file: str) -> None:
    """Do what site.py does with a .pth file: add paths, run ``import`` lines."""
    directory = os.path.dirname(pth_file)
    try:
        with open(pth_file, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return
    for line in lines:
        if not line or line.startswith("#") or not line.strip():
            continue
        if line.startswith(("import ", "import\t")):
            exec(line)  # noqa: S102 - this is what a .pth import line means
            continue
        candidate = os.path.join(directory, line.rstrip())
        if os.path.exists(candidate) and candidate not in sys.path:
            sys.path.append(candidate)


def install(record: "EnvRecord") -> StoreFinder:
    """Activate an env record (a dict) in this interpreter."""
    entries = record["entries"]
    head_roots = record.get("head", [])
    for root in head_roots:
        if root not in sys.path:
            sys.path.append(root)
    sys.path.extend(entries)
    finder = StoreFinder(entries, record["index"], record.get("flat", {}))
    try:
        position = sys.meta_path.index(PathFinder)
    except ValueError:
        position = len(sys.meta_path)
    sys.meta_path.insert(position, finder)
    for pth in record.get("pth", []):
        process_pth(pth)
    return finder


def _same_file(first: str, second: str) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _site_paths() -> set[str]:
    import site

    found = set(site.getsitepackages()) if hasattr(site, "getsitepackages") else set()
    user = getattr(site, "USER_SITE", None)
    if user:
        found.add(user)
    return found


#: The launcher's descriptor of the environment's lock, kept open through ``exec``.
LOCK_FD = "MONOTRAIL_LOCK_FD"


def _own_record(boot_dir: str) -> "EnvRecord | None":
    """The env record named by ``MONOTRAIL_ENV`` if it was written for this interpreter and
    this bootstrap folder."""
    record_path = os.environ.get("MONOTRAIL_ENV")
    if not record_path:
        return None
    import marshal

    try:
        with open(record_path, "rb") as handle:
            record: EnvRecord = marshal.load(handle)
        if not isinstance(record, dict):
            raise ValueError("not a record")
    except (OSError, EOFError, ValueError, TypeError) as err:
        sys.stderr.write(f"monotrail: cannot read env record {record_path}: {err}\n")
        return None
    if record.get("cache_tag") != sys.implementation.cache_tag:
        return None
    boot = record.get("boot")
    if boot != boot_dir and not (isinstance(boot, str) and _same_file(boot, boot_dir)):
        return None
    return record


def _holds(descriptor: "str | None", lock: str) -> bool:
    """Whether ``descriptor`` (``LOCK_FD``) is open on the file ``lock``: then this process
    shares the lock the launcher took, since its descriptor came through ``exec``."""
    if not descriptor:
        return False
    try:
        return os.path.samestat(os.fstat(int(descriptor)), os.stat(lock))
    except (OSError, ValueError):
        return False


def bootstrap(boot_dir: str) -> "StoreFinder | None":
    """Called from the bootstrap sitecustomize: hide the base site-packages, install the env.

    Does nothing (but removing the bootstrap from sys.path) when the record is for another
    interpreter, so that a different Python started from within the environment is unaffected,
    or for another bootstrap folder: a record is read only by the finder it was written for
    (its folder is named by the finder's digest), so the record's shape needs no check here.
    """
    try:
        record = _own_record(boot_dir)
        lock = record.get("lock") if record is not None else None
        inherited = os.environ.pop(LOCK_FD, None)  # for this process only, not its children
        if lock and not _holds(inherited, lock):
            # gc keeps the environment while this process lives, however it was started
            import _monotrail_locks  # type: ignore[import-not-found]  # boot copy of store.locks

            _monotrail_locks.hold(lock)
    finally:
        sys.path[:] = [p for p in sys.path if p != boot_dir]
    if record is None:
        return None
    site_dirs = _site_paths()
    allowed = set(record.get("stdlib", []))
    # Keep the stdlib and what the user put on PYTHONPATH; drop site-packages and what their
    # .pth files added, so only the environment's packages are importable.
    user_pythonpath = set(filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    user_pythonpath.discard(boot_dir)
    sys.path[:] = [
        p for p in sys.path if p not in site_dirs and (p in allowed or p in user_pythonpath)
    ]
    # .pth files of the base site-packages ran before us: forget the modules they imported (so
    # the environment's own versions load) and the distutils hack finder setuptools' one adds.
    prefixes = tuple(os.path.join(d, "") for d in site_dirs)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and file.startswith(prefixes):
            del sys.modules[name]
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "_distutils_hack"]
    return install(record)
