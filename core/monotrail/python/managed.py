"""Provisioning CPython: python-build-standalone ``install_only`` builds, into the store.

Which build, and its sha256, come from pbs-installer's version table, or from a table in the same
format (pbs-installer's ``versions.json``) named by ``MONOTRAIL_PYTHON_DOWNLOADS_JSON`` (a path or
URL), for builds the bundled table does not know: newer releases, a site's own builds.
``MONOTRAIL_PYTHON_MIRROR`` replaces the GitHub release-download prefix of the URLs, so a mirror
keeps the ``<release>/<file>`` layout (as uv's mirror setting does). Checksums always come from
the table: a mirror cannot substitute other bytes.

The archive is fetched by download.fetch (hash-checked before it is kept), unpacked by
pbs-installer into a temporary sibling, started once to prove it runs, and renamed into
``interpreters/managed/cpython-X.Y.Z-<os>-<arch>/`` by layout.create_entry: a killed install
leaves nothing a later run would use.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from monotrail import paths, progress
from monotrail._fs import discard
from monotrail.errors import MonotrailError
from monotrail.fetch import credentials, download
from monotrail.fetch.credentials import redact
from monotrail.lockfile.model import Artifact
from monotrail.log import logger
from monotrail.python.request import Version, matches, version_text
from monotrail.store import layout

MIRROR_VAR = "MONOTRAIL_PYTHON_MIRROR"
DOWNLOADS_VAR = "MONOTRAIL_PYTHON_DOWNLOADS_JSON"
_RELEASE_PREFIXES = (
    "https://github.com/astral-sh/python-build-standalone/releases/download/",
    "https://github.com/indygreg/python-build-standalone/releases/download/",
)


@dataclass(frozen=True)
class Build:
    """One ``install_only`` archive of one CPython version for this platform."""

    version: tuple[int, int, int]
    filename: str
    url: str
    sha256: str | None

    @property
    def dirname(self) -> str:
        arch, system = _arch_platform()
        return f"cpython-{version_text(self.version)}-{system}-{arch}"


def managed_dir() -> Path:
    """Where provisioned interpreters live: ``interpreters/managed/cpython-X.Y.Z-<os>-<arch>``."""
    return paths.interpreters_dir() / "managed"


def managed() -> list[tuple[Version, Path]]:
    """Provisioned interpreters (version, executable), newest first: those of the writable
    store, then those of the read-only stores (``MONOTRAIL_STORES``) at versions it lacks."""
    found: dict[Version, Path] = {}
    folders = [home / "interpreters" / "managed" for home in paths.all_homes()]
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            match = re.fullmatch(r"cpython-(\d+)\.(\d+)\.(\d+)-.+", name)
            if not match:
                continue
            version: Version = tuple(int(part) for part in match.groups())
            exe = folder / name / "bin" / f"python{version[0]}.{version[1]}"
            if version not in found and exe.is_file():
                found[version] = exe
    return sorted(found.items(), reverse=True)


def _arch_platform() -> tuple[str, str]:
    from pbs_installer._utils import get_arch_platform

    arch, system = get_arch_platform()
    return str(arch), str(system)


def table_source() -> str:
    """Where builds are looked up, for messages."""
    custom = os.environ.get(DOWNLOADS_VAR, "").strip()
    return redact(custom) if custom else "pbs-installer's version table"


def mirrored(url: str) -> str:
    """``url`` on the mirror named by MONOTRAIL_PYTHON_MIRROR, if any."""
    mirror = os.environ.get(MIRROR_VAR, "").strip().rstrip("/")
    if mirror:
        for prefix in _RELEASE_PREFIXES:
            if url.startswith(prefix):
                return f"{mirror}/{url[len(prefix) :]}"
    return url


def find_build(request: Version) -> Build | None:
    """The newest ``install_only`` build matching ``request`` for this platform, if any."""
    custom = os.environ.get(DOWNLOADS_VAR, "").strip()
    build = _from_custom_table(custom, request) if custom else _from_pbs_installer(request)
    if build is not None:
        build = Build(build.version, build.filename, mirrored(build.url), build.sha256)
    return build


def _from_pbs_installer(request: Version) -> Build | None:
    from pbs_installer import get_download_link

    try:
        version, (url, sha256) = get_download_link(version_text(request))
    except ValueError:
        return None
    filename = unquote(url.rsplit("/", 1)[-1])
    if "install_only" not in filename:
        return None  # only a full build (another layout) exists for this version
    return Build((version.major, version.minor, version.micro), filename, url, sha256)


def _from_custom_table(source: str, request: Version) -> Build | None:
    """Look ``request`` up in a versions.json (pbs-installer's format) from a path or URL."""
    if "://" in source:
        _type, body = download.get(source)
        if not body:
            raise MonotrailError(f"{redact(source)} ({DOWNLOADS_VAR}): not found on the server")
    else:
        try:
            body = Path(source).expanduser().read_bytes()
        except OSError as err:
            raise MonotrailError(
                f"{source} ({DOWNLOADS_VAR}): cannot read: {err.strerror}"
            ) from None
    try:
        table: list[dict[str, Any]] = json.loads(body)
        arch, system = _arch_platform()
        found: list[Build] = []
        for item in table:
            meta = item["python_version"]
            version = (int(meta["major"]), int(meta["minor"]), int(meta["micro"]))
            if meta["implementation"] != "cpython" or meta.get("freethreaded"):
                continue
            if not matches(version, request):
                continue
            for file in item["files"]:
                if file["platform"] == system and file["arch"] == arch and file["install_only"]:
                    found.append(Build(version, file["filename"], file["url"], file["sha256"]))
    except (ValueError, KeyError, TypeError) as err:
        raise MonotrailError(
            f"{redact(source)} ({DOWNLOADS_VAR}): not a pbs-installer versions.json table ({err!r})"
        ) from None
    return max(found, key=lambda b: b.version) if found else None


def install(request: Version) -> tuple[Path, bool]:
    """Provision the newest build matching ``request``: (executable, whether it was added)."""
    build = find_build(request)
    if build is None:
        arch, system = _arch_platform()
        raise MonotrailError(
            f"no python-build-standalone build of Python {version_text(request)} "
            f"for {system}-{arch} in {table_source()}"
        )
    exe = _executable(managed_dir() / build.dirname, build)
    if exe.is_file():
        return exe, False
    return install_build(build), True


def _executable(root: Path, build: Build) -> Path:
    return root / "bin" / f"python{build.version[0]}.{build.version[1]}"


#: Marks a provisioned Python the user asked for by name (`python install`): `store gc` keeps it
#: even while no environment uses it; an install made on the way by `run -p` has no mark.
KEEP_MARK = ".monotrail-keep"


def keep(exe: Path) -> None:
    """Mark the provisioned interpreter of ``exe`` as wanted for itself."""
    try:
        relative = exe.relative_to(managed_dir())
    except ValueError:
        return  # not one monotrail provisioned: gc never touches it anyway
    (managed_dir() / relative.parts[0] / KEEP_MARK).touch()


def install_build(build: Build) -> Path:
    """Download, verify, unpack and check ``build``; its executable in the store."""
    target = managed_dir() / build.dirname
    if not build.sha256:
        raise MonotrailError(
            f"{build.filename}: {table_source()} gives no sha256 for it; "
            "refusing to install an unverified interpreter"
        )
    archive = _download(build)
    layout.create_entry(target, lambda tmp: _unpack(archive, tmp, build))
    # The interpreter lives in the store now: the archive would only double its size.
    shutil.rmtree(archive.parent, ignore_errors=True)
    exe = _executable(target, build)
    from monotrail.python import interpreter

    interpreter.query(exe)  # ask its facts now: the first run should not have to
    print(f"Installed Python {version_text(build.version)} at {exe}", file=sys.stderr)
    return exe


def _download(build: Build) -> Path:
    total = _content_length(build.url)
    size = f" ({progress.size_text(total)})" if total else ""
    print(f"Downloading {build.filename}{size} from {redact(build.url)}", file=sys.stderr)
    with progress.phase("Downloading", total_bytes=total) as step:
        artifact = Artifact(build.filename, build.url, {"sha256": str(build.sha256)})
        archive = download.fetch(artifact, step)
    print(f"Verified sha256 {build.sha256}", file=sys.stderr)
    return archive


def _content_length(url: str) -> int | None:
    if not url.startswith(("http://", "https://")):
        return None
    try:
        response = download.session().head(
            url, allow_redirects=True, timeout=30, auth=credentials.auth_for(url)
        )
        return int(response.headers["Content-Length"]) if response.ok else None
    except Exception:  # noqa: BLE001 - the size only decorates the progress bar
        return None


def _unpack(archive: Path, tmp: Path, build: Build) -> None:
    """Unpack into ``tmp`` (``python/`` stripped, as pbs-installer does) and start it once."""
    from pbs_installer import install_file

    logger.debug("unpacking %s into %s", archive, tmp)
    try:
        install_file(str(archive), str(tmp), build.filename)
    except Exception as err:  # noqa: BLE001 - tarfile and zstd raise many types
        raise MonotrailError(f"{build.filename}: cannot unpack: {err}") from None
    exe = _executable(tmp, build)
    if not exe.is_file():
        raise MonotrailError(
            f"{build.filename}: not an install_only build (no python/bin/{exe.name} in it)"
        )
    from monotrail._lifeline import Helper

    code = "import sys; print('%d.%d.%d' % sys.version_info[:3])"
    # On a lifeline, as every process monotrail starts: it dies with monotrail (see _lifeline).
    proc = Helper([str(exe), "-I", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, said_err = (text.decode(errors="replace") for text in proc.communicate(timeout=60))
    except subprocess.TimeoutExpired as timeout:
        proc.kill()
        proc.wait()
        raise MonotrailError(
            f"{build.filename}: the unpacked interpreter does not start: {timeout}"
        ) from None
    expected = version_text(build.version)
    if proc.returncode != 0 or out.strip() != expected:
        said = out.strip() or (said_err.strip().splitlines() or ["nothing"])[-1]
        raise MonotrailError(
            f"{build.filename}: the unpacked interpreter does not run as Python {expected} "
            f"(it said: {said})"
        )


def remove(request: Version) -> list[Path]:
    """Remove the provisioned interpreters matching ``request``; the folders removed."""
    removed = []
    for version, exe in managed():
        if not matches(version, request):
            continue
        root = exe.parent.parent
        discard(root)  # never a half-removed interpreter
        removed.append(root)
    if not removed:
        have = ", ".join(version_text(v) for v, _ in managed()) or "none"
        raise MonotrailError(
            f"no provisioned Python {version_text(request)} to remove "
            f"(provisioned: {have}; interpreters found elsewhere are not monotrail's to remove)"
        )
    return removed
