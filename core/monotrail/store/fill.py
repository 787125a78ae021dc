"""Filling the store for a resolution: choose files, fetch, build, unpack, compile.

Every step is skipped when its result exists: an entry already in the store costs one ``stat``,
an artifact in the cache is not downloaded again, an sdist is built once per interpreter.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path

# download, indexes and sdist_build are imported where used: a new environment whose
# packages are all in the store needs none of them (html.parser, tarfile, requests, subprocess).
# source_build imports only what is loaded already.
from monotrail import paths, progress
from monotrail.errors import MonotrailError
from monotrail.fetch import source_build
from monotrail.lockfile.model import Artifact, LockedPackage
from monotrail.log import logger
from monotrail.names import parse_wheel_name
from monotrail.python.interpreter import Interpreter
from monotrail.store import bytecode, heal, layout, locks
from monotrail.store.entry_files import write_new_file
from monotrail.store.layout import info_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail.store.unpack import InstalledWheel, Unpacker


@dataclass
class Entry:
    """A store entry of an environment, with the facts the env record needs."""

    name: str
    version: str
    path: Path
    console_scripts: dict[str, str] = field(default_factory=dict)
    gui_scripts: dict[str, str] = field(default_factory=dict)
    top_level: list[str] = field(default_factory=list)
    pth: list[str] = field(default_factory=list)
    data_scripts: list[str] = field(default_factory=list)


@dataclass
class FillReport:
    """What filling the store did for one package list."""

    #: The entry of every package, in the list's order.
    entries: list[Entry]
    #: ``name version`` of the packages unpacked now, and of those already in the store.
    added: list[str]
    reused: list[str]


def wheel_tag(filename: str) -> str:
    """The tag part of a wheel file name (``py3-none-any``), which names its store entry."""
    parsed = parse_wheel_name(filename, strict=False)
    if parsed is None:
        raise MonotrailError(f"{filename}: not a valid wheel file name")
    return parsed.tag


def wheel_tag_ranks(filename: str, priority: dict[str, int]) -> list[int]:
    """The priorities of the tags a wheel file name declares (empty: unsupported or invalid)."""
    parsed = parse_wheel_name(filename)
    if parsed is None:
        return []
    return [rank for tag in parsed.tags() if (rank := priority.get(tag)) is not None]


def choose(package: LockedPackage, interpreter: Interpreter) -> Artifact:
    """The best wheel for the target by tag priority, else the sdist."""
    priority = interpreter.tag_priority
    best: tuple[int, Artifact] | None = None
    sdists = []
    for artifact in package.artifacts:
        if artifact.is_wheel:
            rank = min(wheel_tag_ranks(artifact.filename, priority), default=None)
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, artifact)
        elif artifact.filename.endswith((".tar.gz", ".zip")):
            sdists.append(artifact)
    if best is not None:
        return best[1]
    if sdists:
        return sdists[0]
    raise MonotrailError(
        f"{package}: no wheel for this platform ({interpreter.tags[0]}) and no source archive"
    )


def read_entry(path: Path) -> Entry:
    data = json.loads(info_file(path).read_text())
    # A shared store may have been filled by another monotrail version: unknown keys are skipped.
    known = {f.name for f in fields(Entry)}
    return Entry(path=path, **{k: v for k, v in data.items() if k in known})


def entry_artifact(path: Path) -> str:
    """The wheel the entry at ``path`` was unpacked from, relative to the artifact cache; ""
    when unknown or unreadable (gc and verify look at entries that may be damaged)."""
    try:
        return str(json.loads(info_file(path).read_text()).get("artifact") or "")
    except (OSError, ValueError, AttributeError):
        return ""


def _scan_entry(root: Path, unpacked: InstalledWheel) -> dict[str, object]:
    top_level: set[str] = set()
    pth = []
    for child in os.scandir(root):
        name = child.name
        if child.is_dir():
            if name.isidentifier() and name != "__pycache__" and not _is_scripts_dir(child):
                top_level.add(name)
        elif name.endswith(".py"):
            top_level.add(name[:-3])
        elif name.endswith((".so", ".pyd")):
            top_level.add(name.split(".", 1)[0])
        elif name.endswith(".pth"):
            pth.append(name)
    scripts_dir = paths.entry_part_dir(root, "scripts")
    data_scripts = sorted(os.listdir(scripts_dir)) if scripts_dir.is_dir() else []
    return {
        "name": unpacked.name,
        "version": unpacked.version,
        "console_scripts": unpacked.console_scripts,
        "gui_scripts": unpacked.gui_scripts,
        "top_level": sorted(t for t in top_level if t.isidentifier()),
        "pth": sorted(pth),
        "data_scripts": data_scripts,
    }


def _is_scripts_dir(child: os.DirEntry[str]) -> bool:
    """The wheel's scripts folder (``bin/``, no package): not an import name."""
    return child.name == paths.ENTRY_SCRIPTS_DIR and not os.path.exists(
        os.path.join(child.path, "__init__.py")
    )


def unpack_into_store(
    wheel: Path,
    name: str,
    version: str,
    compiler: bytecode.Compiler | None = None,
    sha256: str = "",
    unpacker: Unpacker | None = None,
) -> tuple[Path, bool]:
    """The store entry for ``wheel``, unpacked if missing (by ``unpacker``'s workers, if given);
    True when this call made it. A new entry is compiled by ``compiler`` before it is published.
    ``sha256``: the lock's hash of the wheel, if it has one (store/unpack.py says what is checked).

    A wheel built from a git commit or a source tree names its entry by that source too
    (fetch/source_build.py).
    """
    tag = wheel_tag(wheel.name) + source_build.entry_tag(wheel)
    existing = heal.sound_entry(name, version, tag)
    if existing is not None:
        return existing, False
    target = layout.entry_path(name, version, tag)
    artifacts = paths.artifacts_dir()
    source = str(wheel.relative_to(artifacts)) if wheel.is_relative_to(artifacts) else ""

    def into(tmp: Path) -> None:
        if unpacker is None:
            from monotrail.store.unpack import unpack

            unpacked = unpack(wheel, tmp, sha256)
        else:
            unpacked = unpacker.unpack(wheel, tmp, sha256)
        info = _scan_entry(tmp, unpacked)
        info["artifact"] = source
        info_file(tmp).parent.mkdir(exist_ok=True)
        write_new_file(str(info_file(tmp)), json.dumps(info, indent=1).encode(), False, set())
        if compiler is not None:
            compiler.compile_entry(tmp, final=target)

    return target, layout.create_entry(target, into)


def _resolve_urls(missing: list[tuple[LockedPackage, Artifact]]) -> dict[Artifact, Artifact]:
    """Ask the indexes for the URLs of artifacts the lock lists only by name and hash."""
    from monotrail.fetch import credentials, download, indexes

    pages: dict[str, list[Artifact]] = {}

    def page(index_url: str, name: str) -> list[Artifact]:
        url = indexes.project_page_url(index_url, name)
        if url not in pages:
            content_type, body = download.get(url, accept="application/vnd.pypi.simple.v1+json")
            pages[url] = indexes.parse_project_page(url, content_type, body) if body else []
        return pages[url]

    def one(item: tuple[LockedPackage, Artifact]) -> tuple[Artifact, Artifact]:
        package, artifact = item
        for index_url in package.indexes:
            for listed in page(index_url, package.name):
                if listed.filename == artifact.filename:
                    return artifact, Artifact(
                        artifact.filename, listed.url, artifact.hashes or listed.hashes
                    )
        where = ", ".join(credentials.redact(url) for url in package.indexes) or "no index"
        raise MonotrailError(f"{package}: {artifact.filename} not found on {where}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(one, missing))


def fill_store(
    packages: list[LockedPackage], interpreter: Interpreter, compile_bytecode: bool = True
) -> FillReport:
    """Make sure every package has a store entry for the target; compile its bytecode."""
    # New entries are referenced by no env record yet: gc waits until this is done
    # (callers that write an env record hold the lock until then, see env/prepare.py).
    with locks.store_shared(), bytecode.Compiler(interpreter) as compiler:
        return _fill(packages, interpreter, compiler if compile_bytecode else None)


def _fill(
    packages: list[LockedPackage], interpreter: Interpreter, compiler: bytecode.Compiler | None
) -> FillReport:
    entries: dict[str, Entry] = {}
    reused: list[str] = []
    added: list[str] = []
    to_fetch: list[tuple[LockedPackage, Artifact]] = []
    to_build: list[LockedPackage] = []
    for package in packages:
        if source_build.is_built_from_source(package):
            to_build.append(package)
            continue
        artifact = choose(package, interpreter)
        wheel = artifact.filename if artifact.is_wheel else None
        if wheel is None and artifact.sha256:
            from monotrail.fetch import sdist_build

            built = sdist_build.cached_build(artifact.sha256, interpreter)
            wheel = built.name if built else None
        if wheel is not None:
            path = heal.sound_entry(package.name, package.version, wheel_tag(wheel))
            if path is not None:
                entries[package.name] = read_entry(path)
                reused.append(str(package))
                logger.debug("%s: reusing %s", package, path)
                continue
        to_fetch.append((package, artifact))

    total = len(to_fetch) + len(to_build)
    with progress.phase("Compiling bytecode", unit="files") as compiling:
        if compiler is not None:
            compiler.phase = compiling
        with progress.phase("Preparing", total=total, unit="packages") as step:
            if to_fetch:
                from monotrail.fetch import download, sdist_build
                from monotrail.store.unpack import Unpacker

                unknown = [
                    (p, a) for p, a in to_fetch if not a.url and download.cached_path(a) is None
                ]
                urls = _resolve_urls(unknown) if unknown else {}
                fetch_list = [(p, urls.get(a, a)) for p, a in to_fetch]
                fetched = download.fetch_all([a for _, a in fetch_list])

                def place(item: tuple[LockedPackage, Artifact]) -> tuple[LockedPackage, Path, bool]:
                    package, artifact = item
                    local = fetched[artifact]
                    sha256 = (artifact.sha256 or "") if artifact.is_wheel else ""
                    if not artifact.is_wheel:
                        digest = local.parent.name
                        local = sdist_build.build_sdist(local, digest, interpreter)
                    path, made = unpack_into_store(
                        local, package.name, package.version, compiler, sha256, unpacker
                    )
                    return package, path, made

                # One unpacking worker per core; twice as many threads, so that a worker has
                # the next wheel while a thread waits for the bytecode of the last one.
                workers = min(os.cpu_count() or 1, len(fetch_list))
                with (
                    Unpacker(workers) as unpacker,
                    ThreadPoolExecutor(max_workers=2 * workers) as pool,
                ):
                    # The largest first: the last wheel to finish decides the time.
                    largest = sorted(fetch_list, key=lambda item: -fetched[item[1]].stat().st_size)
                    made_now = {}
                    for package, path, made in pool.map(place, largest):
                        entries[package.name] = read_entry(path)
                        made_now[package.name] = made
                        step.advance()
                    for package, _ in fetch_list:
                        (added if made_now[package.name] else reused).append(str(package))
            for package in to_build:
                wheel_path = source_build.wheel(package, interpreter)
                path, made = unpack_into_store(wheel_path, package.name, package.version, compiler)
                entries[package.name] = read_entry(path)
                (added if made else reused).append(str(package))
                step.advance()
            if total:
                step.summary = f"Unpacked {progress.count_text(step.done, 'package')}"
        ordered = [entries[p.name] for p in packages]
        if compiler is not None:
            # Entries of read-only stores are used as they are (compiled when they were made).
            compiler.compile_in_place(e.path for e in ordered if layout.is_writable_entry(e.path))
        if compiling.done:
            files = progress.count_text(compiling.done, "file")
            compiling.summary = f"Compiled {files} to bytecode"
    return FillReport(ordered, added, reused)
