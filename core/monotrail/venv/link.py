"""Linking store entries into a virtualenv or a ``--target`` folder, as an installer would.

The files a wheel installs are hard links to the store entry (copies where the file system
refuses links), so a venv costs no second copy of a package. What differs per venv is written
fresh: the dist-info's INSTALLER, RECORD (paths relative to site-packages, hashes taken from the
entry's RECORD), REQUESTED and direct_url.json, ``#!python`` data scripts and console scripts
(installer's ``Script``) for the venv's interpreter. pip (list, uninstall, check, freeze) and
``importlib.metadata`` then treat the package as installed. Shared by ``venv-install``,
``export-venv`` and pip-monotrail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from monotrail import paths
from monotrail.errors import MonotrailError
from monotrail.log import logger
from monotrail.names import canonical_name
from monotrail.store.dist_info import RecordRow, format_record, read_record, root_is_purelib
from monotrail.store.fill import Entry

# Runs in the venv's interpreter (site enabled: a venv's prefix comes from site on old Pythons).
_SCHEME_SCRIPT = (
    "import json, sys, sysconfig; print(json.dumps({'paths': sysconfig.get_paths(), "
    "'version': '%d.%d' % sys.version_info[:2], 'cache_tag': sys.implementation.cache_tag}))"
)


@dataclass(frozen=True)
class Scheme:
    """Where an installation puts each part of a wheel, and the interpreter its scripts name."""

    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    #: Headers go to ``headers / <distribution name>``, as pip does.
    headers: Path
    python: str
    cache_tag: str


@dataclass(frozen=True)
class Installed:
    """A distribution found in a scheme's library folders."""

    name: str
    version: str
    dist_info: Path


@dataclass
class LinkReport:
    installed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    files: int = 0
    copied: int = 0


def find_venv(path: str | os.PathLike[str]) -> Path | None:
    """The virtualenv ``path`` names: its folder or an interpreter in its ``bin``; else None."""
    candidate = Path(os.path.abspath(os.path.expanduser(os.fspath(path))))
    for folder in (candidate, candidate.parent.parent):
        if (folder / "pyvenv.cfg").is_file():
            return folder
    return None


def active_venv() -> Path | None:
    """The virtualenv of the shell (``VIRTUAL_ENV``), if one is active."""
    configured = os.environ.get("VIRTUAL_ENV")
    return find_venv(configured) if configured else None


def venv_python(venv: Path) -> Path:
    for name in ("bin/python", "Scripts/python.exe"):
        if (venv / name).exists():
            return venv / name
    raise MonotrailError(f"{venv}: a virtualenv without a Python interpreter (no bin/python)")


def _ask_scheme(python: Path) -> dict[str, object]:
    proc = subprocess.run(
        [str(python), "-I", "-c", _SCHEME_SCRIPT], capture_output=True, text=True, timeout=60
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise MonotrailError(f"{python}: could not ask this interpreter for its paths: {last}")
    facts: dict[str, object] = json.loads(proc.stdout)
    return facts


def venv_scheme(venv: Path) -> Scheme:
    """The installation scheme of ``venv``, asked from its interpreter."""
    python = venv_python(venv)
    facts = _ask_scheme(python)
    found: dict[str, str] = facts["paths"]  # type: ignore[assignment]
    return Scheme(
        purelib=Path(found["purelib"]),
        platlib=Path(found["platlib"]),
        scripts=Path(found["scripts"]),
        data=Path(found["data"]),
        headers=venv / "include" / "site" / f"python{facts['version']}",
        python=str(python),
        cache_tag=str(facts["cache_tag"]),
    )


def target_scheme(target: Path, python: str) -> Scheme:
    """pip's ``--target DIR`` layout: libraries in DIR, scripts in DIR/bin."""
    facts = _ask_scheme(Path(python))
    return Scheme(
        purelib=target,
        platlib=target,
        scripts=target / "bin",
        data=target,
        headers=target / "include",
        python=python,
        cache_tag=str(facts["cache_tag"]),
    )


def installed(scheme: Scheme) -> dict[str, Installed]:
    """The distributions in the scheme's library folders, by normalized name."""
    found: dict[str, Installed] = {}
    for lib in dict.fromkeys((scheme.purelib, scheme.platlib)):
        if not lib.is_dir():
            continue
        for child in os.scandir(lib):
            if child.name.endswith(".dist-info") and child.is_dir():
                stem = child.name[: -len(".dist-info")]
                name, _, version = stem.partition("-")
                found[canonical_name(name)] = Installed(canonical_name(name), version, Path(child))
    return found


def remove(dist: Installed) -> int:
    """Uninstall ``dist`` by its RECORD, as pip does; returns the number of files removed."""
    lib = dist.dist_info.parent
    record = dist.dist_info / "RECORD"
    try:
        rows = read_record(record.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        problem = "no RECORD" if isinstance(err, FileNotFoundError) else f"unreadable RECORD: {err}"
        raise MonotrailError(
            f"{dist.dist_info}: {problem}, cannot uninstall {dist.name} {dist.version} safely"
        ) from None
    removed = 0
    folders: set[Path] = set()
    for row in rows:
        if not row.path:
            continue
        path = Path(os.path.normpath(lib / row.path))
        targets = [path]
        if path.suffix == ".py":  # the bytecode of a module goes with it
            targets.extend(path.parent.glob(f"__pycache__/{path.stem}.*.pyc"))
        for target in targets:
            try:
                target.unlink()
                removed += 1
            except FileNotFoundError:
                pass
            folders.add(target.parent)
    shutil.rmtree(dist.dist_info, ignore_errors=True)
    _remove_empty(folders, stop=lib)
    return removed


def _remove_empty(folders: set[Path], stop: Path) -> None:
    """Remove the now-empty folders below the library (deepest first), never ``stop`` itself."""
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        current = folder
        while current != stop and stop in current.parents:
            try:
                current.rmdir()
            except OSError:
                break
            current = current.parent


class _Placer:
    """Hard links files, falling back to copies once the file system refuses a link."""

    def __init__(self) -> None:
        self.can_link = True
        self.files = 0
        self.copied = 0

    def place(self, source: str, target: str) -> None:
        self.files += 1
        if self.can_link:
            try:
                _link_over(source, target)
                return
            except OSError as err:  # another device, no link support, too many links
                logger.debug("hard links impossible (%s), copying instead", err)
                self.can_link = False
        self.copied += 1
        if os.path.lexists(target):
            os.unlink(target)
        shutil.copy2(source, target)  # keeps mtimes, so the store's .pyc files stay valid


def _link_over(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except FileExistsError:  # another distribution's file: the later install wins, as with pip
        os.unlink(target)
        os.link(source, target)


def _entry_dist_info(entry: Entry) -> Path:
    wanted = canonical_name(entry.name)
    candidates = [p for p in entry.path.glob("*.dist-info") if p.is_dir()]
    for candidate in candidates:
        if canonical_name(candidate.name[: -len(".dist-info")].partition("-")[0]) == wanted:
            return candidate
    if len(candidates) == 1:
        return candidates[0]
    raise MonotrailError(f"{entry.path}: store entry without the dist-info of {entry.name}")


def link(
    entry: Entry,
    scheme: Scheme,
    *,
    requested: bool = False,
    direct_url: dict[str, object] | None = None,
    installer: str = "monotrail",
) -> tuple[int, int]:
    """Install the store entry into ``scheme``; returns (files placed, of which copied).

    A distribution of the same name must have been removed first (see ``replace``).
    """
    placer = _Placer()
    dist_info = _entry_dist_info(entry)
    wheel_text = (dist_info / "WHEEL").read_text(encoding="utf-8")
    lib = scheme.purelib if root_is_purelib(wheel_text) else scheme.platlib
    record_text = (dist_info / "RECORD").read_text(encoding="utf-8")
    known = {row.path: row for row in read_record(record_text)}
    rows: list[RecordRow] = []
    fresh = {f"{dist_info.name}/RECORD", f"{dist_info.name}/INSTALLER"}
    pyc_marker = f".{scheme.cache_tag}."
    root = str(entry.path)
    scripts = paths.entry_part_dir(entry.path, "scripts")  # _link_data puts them in the venv's bin
    skip = {paths.ENTRY_DATA_DIR, os.path.relpath(scripts, root)}
    for dirpath, dirnames, filenames in os.walk(root):
        relative_dir = os.path.relpath(dirpath, root)
        if relative_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in skip]
            relative_dir = ""
        in_pycache = os.path.basename(dirpath) == "__pycache__"
        target_dir = os.path.join(lib, relative_dir)
        os.makedirs(target_dir, exist_ok=True)
        for name in filenames:
            relative = f"{relative_dir}/{name}".lstrip("/").replace(os.sep, "/")
            if relative in fresh:
                continue
            if in_pycache and pyc_marker not in name:
                continue  # bytecode of other Python versions sharing the entry
            placer.place(os.path.join(dirpath, name), os.path.join(target_dir, name))
            row = known.get(relative, RecordRow(relative, "", None))
            if not row.hash and not in_pycache:
                row = RecordRow.of(relative, Path(dirpath, name).read_bytes())
            rows.append(row)
    rows.extend(_link_data(entry, scheme, lib, placer))
    rows.extend(_write_scripts(entry, scheme, lib))
    for name, content in _installer_files(installer, requested, direct_url).items():
        (lib / dist_info.name / name).write_bytes(content)
        rows.append(RecordRow.of(f"{dist_info.name}/{name}", content))
    rows.sort(key=lambda row: row.path)
    rows.append(RecordRow(f"{dist_info.name}/RECORD", "", None))
    (lib / dist_info.name / "RECORD").write_text(format_record(rows), encoding="utf-8")
    return placer.files, placer.copied


def _installer_files(
    installer: str, requested: bool, direct_url: dict[str, object] | None
) -> dict[str, bytes]:
    """The dist-info files an installer adds (PEP 376 INSTALLER, REQUESTED; PEP 610)."""
    files = {"INSTALLER": f"{installer}\n".encode()}
    if requested:
        files["REQUESTED"] = b""
    if direct_url is not None:
        files["direct_url.json"] = json.dumps(direct_url, sort_keys=True).encode()
    return files


def _relative(path: Path, lib: Path) -> str:
    return os.path.relpath(path, lib).replace(os.sep, "/")


def _link_data(entry: Entry, scheme: Scheme, lib: Path, placer: _Placer) -> list[RecordRow]:
    """The wheel's ``.data`` parts: scripts (``#!python`` rewritten), headers and data."""
    rows = []
    targets = {
        "scripts": scheme.scripts,
        "headers": scheme.headers / entry.name,
        "data": scheme.data,
    }
    for part, target_root in targets.items():
        source_root = paths.entry_part_dir(entry.path, part)
        if not source_root.is_dir():
            continue
        for dirpath, _dirnames, filenames in os.walk(source_root):
            target_dir = target_root / os.path.relpath(dirpath, source_root)
            target_dir.mkdir(parents=True, exist_ok=True)
            for name in filenames:
                source, target = Path(dirpath, name), target_dir / name
                content = source.read_bytes()
                if part == "scripts" and content.startswith(b"#!python"):
                    content = f"#!{scheme.python}\n".encode() + content.split(b"\n", 1)[-1]
                    _write_executable(target, content)
                else:
                    placer.place(str(source), str(target))
                rows.append(RecordRow.of(_relative(target, lib), content))
    return rows


def _write_scripts(entry: Entry, scheme: Scheme, lib: Path) -> list[RecordRow]:
    """Console and GUI scripts for the scheme's interpreter, written by installer's Script."""
    from installer.scripts import Script

    rows = []
    scheme.scripts.mkdir(parents=True, exist_ok=True)
    sections: tuple[tuple[Literal["console", "gui"], dict[str, str]], ...] = (
        ("console", entry.console_scripts),
        ("gui", entry.gui_scripts),
    )
    for section, scripts in sections:
        for name, target in scripts.items():
            module, _, attr = target.partition(":")
            attr = attr.split("[", 1)[0].strip()
            filename, content = Script(name, module.strip(), attr, section).generate(
                scheme.python, "posix"
            )
            path = scheme.scripts / filename
            _write_executable(path, content)
            rows.append(RecordRow.of(_relative(path, lib), content))
    return rows


def _write_executable(path: Path, content: bytes) -> None:
    if path.is_symlink() or path.exists():
        path.unlink()
    path.write_bytes(content)
    path.chmod(0o755)


def replace(
    entry: Entry,
    scheme: Scheme,
    present: dict[str, Installed],
    report: LinkReport,
    *,
    requested: bool = False,
    direct_url: dict[str, object] | None = None,
    installer: str = "monotrail",
) -> None:
    """Remove the installed distribution of the same name (if any), then link ``entry``."""
    name = canonical_name(entry.name)
    old = present.pop(name, None)
    if old is not None:
        remove(old)
        report.removed.append(f"{old.name}-{old.version}")
    files, copied = link(
        entry, scheme, requested=requested, direct_url=direct_url, installer=installer
    )
    report.files += files
    report.copied += copied
    report.installed.append(f"{entry.name}-{entry.version}")


def installed_by(dist: Installed) -> str:
    try:
        return (dist.dist_info / "INSTALLER").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def sync(entries: list[Entry], scheme: Scheme, exact: bool = True) -> LinkReport:
    """Make the scheme hold ``entries``: what is installed at the wanted version stays, other
    versions are replaced; with ``exact``, what monotrail installed earlier and is no longer
    wanted is removed (packages other installers put there, such as pip, stay)."""
    report = LinkReport()
    present = installed(scheme)
    wanted = {canonical_name(e.name): e for e in entries}
    for name, dist in list(present.items()):
        if name not in wanted and exact and installed_by(dist) == "monotrail":
            remove(dist)
            present.pop(name)
            report.removed.append(f"{dist.name}-{dist.version}")
    for name, entry in wanted.items():
        current = present.get(name)
        if current is not None and current.version == entry.version:
            report.unchanged.append(f"{entry.name}-{entry.version}")
            continue
        replace(entry, scheme, present, report, requested=True)
    return report


def make_venv(folder: Path, python: str) -> Path:
    """A new virtualenv at ``folder`` for ``python`` (stdlib venv, without pip)."""
    proc = subprocess.run(
        [python, "-m", "venv", "--without-pip", str(folder)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise MonotrailError(f"{folder}: could not create a virtualenv with {python}: {last}")
    return folder


def install_wheel(
    wheel: Path,
    scheme: Scheme,
    *,
    requested: bool = False,
    direct_url: dict[str, object] | None = None,
    installer: str = "monotrail",
) -> None:
    """Install a wheel that has no place in the store (a PEP 660 editable wheel, which points
    at one source tree) straight into the scheme, with installer."""
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    with WheelFile.open(wheel) as source:
        name = str(source.distribution)
        destination = SchemeDictionaryDestination(
            {
                "purelib": str(scheme.purelib),
                "platlib": str(scheme.platlib),
                "scripts": str(scheme.scripts),
                "headers": str(scheme.headers / name),
                "data": str(scheme.data),
            },
            interpreter=scheme.python,
            script_kind="posix",
        )
        install(source, destination, _installer_files(installer, requested, direct_url))
