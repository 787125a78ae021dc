"""Build real, spec-compliant wheels and sdists from Python data, for tests.

Standard library only, so this module runs in any interpreter/venv.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import re
import stat
import tarfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "build_sdist",
    "build_wheel",
    "canonicalize_name",
    "dist_name",
    "record_hash",
]

# Fixed timestamps so that building the same inputs twice gives identical bytes.
_ZIP_DATE_TIME = (2020, 1, 1, 0, 0, 0)
_TAR_MTIME = 1577836800  # 2020-01-01T00:00:00Z (zip can't store dates before 1980)

GENERATOR = "monotrail-tests (0.1.0)"


def canonicalize_name(name: str) -> str:
    """PEP 503 normalized project name (``Foo.Bar_baz`` -> ``foo-bar-baz``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def dist_name(name: str) -> str:
    """Name as used in wheel/sdist filenames and ``.dist-info`` dirs (``foo_bar_baz``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _filename_version(version: str) -> str:
    return version.replace("-", "_")


def _as_bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def record_hash(data: bytes) -> str:
    """RECORD hash field: ``sha256=`` + urlsafe base64 without padding."""
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _expand_tag(tag: str) -> list[str]:
    """``py2.py3-none-any`` -> ``["py2-none-any", "py3-none-any"]``."""
    try:
        pythons, abis, platforms = tag.split("-")
    except ValueError:
        raise ValueError(f"invalid wheel tag {tag!r}: expected python-abi-platform") from None
    return [
        f"{py}-{abi}-{plat}"
        for py in pythons.split(".")
        for abi in abis.split(".")
        for plat in platforms.split(".")
    ]


def _is_pure(tag: str) -> bool:
    return all(t.endswith("-none-any") for t in _expand_tag(tag))


def _metadata(
    name: str, version: str, requires: Iterable[str], extra_metadata: Iterable[str]
) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {req}" for req in requires]
    lines += list(extra_metadata)
    return "\n".join(lines) + "\n\n"


def _entry_points_txt(entry_points: Mapping[str, Mapping[str, str]]) -> str:
    sections = []
    for group, entries in entry_points.items():
        body = "".join(f"{key} = {value}\n" for key, value in entries.items())
        sections.append(f"[{group}]\n{body}")
    return "\n".join(sections)


def _zipinfo(arcname: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so that external_attr carries the mode
    info.external_attr = (mode & 0xFFFF) << 16
    return info


def build_wheel(
    out_dir: Path,
    name: str,
    version: str,
    files: Mapping[str, str | bytes],
    *,
    requires: Sequence[str] = (),
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
    tag: str = "py3-none-any",
    data_files: Mapping[str, str | bytes] | None = None,
    extra_metadata: Sequence[str] = (),
    record_override: Mapping[str, str] | None = None,
    raw_members: Sequence[tuple[str, bytes]] | None = None,
    top_level: Sequence[str] | None = None,
    symlinks: Mapping[str, str] | None = None,
    executables: Sequence[str] = (),
) -> Path:
    """Write ``{dist}-{version}-{tag}.whl`` into ``out_dir`` and return its path.

    - ``files``: archive path -> content (``{"pkg/__init__.py": "..."}``).
    - ``requires``: ``Requires-Dist`` values; ``extra_metadata``: further METADATA lines
      (``"Provides-Extra: x"``, ``'Requires-Dist: tqdm; extra == "x"'``,
      ``"Requires-Python: >=3.8"``).
    - ``entry_points``: group -> {name: "module:attr"}, written to ``entry_points.txt``.
    - ``data_files``: paths relative to ``{dist}-{version}.data/``
      (``{"scripts/hello": "#!python\\n...", "data/share/x.txt": "..."}``);
      ``scripts/*`` get mode 0o755.
    - ``record_override``: archive path -> hash field written in RECORD instead of the true
      one (e.g. ``"sha256=AAAA"`` or ``""``). A path not in the archive gets an extra
      RECORD line (a RECORD that lists a missing file).
    - ``raw_members``: ``(arcname, bytes)`` added verbatim to the zip (hostile names such as
      ``"../evil.py"`` or ``"/abs.py"``) and to RECORD with their true hash.
    - ``symlinks``: arcname -> target, stored as unix symlink entries
      (``external_attr`` = ``S_IFLNK | 0o777``, content = target), listed in RECORD.
    - ``top_level``: names for an optional ``top_level.txt``.
    - ``executables``: names in ``files`` stored with mode 0o755.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dist = dist_name(name)
    fversion = _filename_version(version)
    dist_info = f"{dist}-{fversion}.dist-info"
    data_dir = f"{dist}-{fversion}.data"
    wheel_path = out_dir / f"{dist}-{fversion}-{tag}.whl"

    # (arcname, bytes, unix mode)
    members: list[tuple[str, bytes, int]] = []
    for arcname, content in files.items():
        mode = 0o755 if arcname in executables else 0o644
        members.append((arcname, _as_bytes(content), stat.S_IFREG | mode))
    for rel, content in (data_files or {}).items():
        rel = rel.lstrip("/")
        mode = 0o755 if rel.startswith("scripts/") else 0o644
        members.append((f"{data_dir}/{rel}", _as_bytes(content), stat.S_IFREG | mode))
    for arcname, content in raw_members or ():
        members.append((arcname, content, stat.S_IFREG | 0o644))
    for arcname, target in (symlinks or {}).items():
        members.append((arcname, target.encode("utf-8"), stat.S_IFLNK | 0o777))

    wheel_txt = (
        "Wheel-Version: 1.0\n"
        f"Generator: {GENERATOR}\n"
        f"Root-Is-Purelib: {'true' if _is_pure(tag) else 'false'}\n"
        + "".join(f"Tag: {t}\n" for t in _expand_tag(tag))
    )
    members.append(
        (
            f"{dist_info}/METADATA",
            _metadata(name, version, requires, extra_metadata).encode("utf-8"),
            stat.S_IFREG | 0o644,
        )
    )
    members.append((f"{dist_info}/WHEEL", wheel_txt.encode("utf-8"), stat.S_IFREG | 0o644))
    if entry_points:
        members.append(
            (
                f"{dist_info}/entry_points.txt",
                _entry_points_txt(entry_points).encode("utf-8"),
                stat.S_IFREG | 0o644,
            )
        )
    if top_level is not None:
        members.append(
            (
                f"{dist_info}/top_level.txt",
                "".join(f"{t}\n" for t in top_level).encode("utf-8"),
                stat.S_IFREG | 0o644,
            )
        )

    record_path = f"{dist_info}/RECORD"
    overrides = dict(record_override or {})
    record_lines = []
    for arcname, content, _mode in members:
        hash_field = overrides.pop(arcname, record_hash(content))
        record_lines.append(f"{_csv_field(arcname)},{hash_field},{len(content)}")
    for arcname, hash_field in overrides.items():
        if arcname == record_path:
            continue
        record_lines.append(f"{_csv_field(arcname)},{hash_field},")
    record_lines.append(f"{record_path},,")
    members.append(
        (record_path, ("\n".join(record_lines) + "\n").encode("utf-8"), stat.S_IFREG | 0o644)
    )

    with zipfile.ZipFile(wheel_path, "w") as zf:
        for arcname, content, mode in members:
            zf.writestr(_zipinfo(arcname, mode), content)
    return wheel_path


def _csv_field(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def _pyproject_toml(
    name: str, version: str, files: Mapping[str, str], requires: Sequence[str]
) -> str:
    """A setuptools pyproject.toml with explicit package/module lists (no auto-discovery)."""
    paths = [p for p in files if not p.startswith("/")]
    src_layout = bool(paths) and all(p.startswith("src/") for p in paths if p.endswith(".py"))
    prefix = "src/" if src_layout else ""
    rel = [p[len(prefix) :] for p in paths if p.startswith(prefix)]
    packages = sorted(
        p[: -len("/__init__.py")].replace("/", ".") for p in rel if p.endswith("/__init__.py")
    )
    modules = sorted(
        p[: -len(".py")]
        for p in rel
        if p.endswith(".py") and "/" not in p and p not in ("setup.py", "__init__.py")
    )
    lines = [
        "[build-system]",
        'requires = ["setuptools>=61"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {_toml_str(name)}",
        f"version = {_toml_str(version)}",
        f"dependencies = {_toml_list(requires)}",
        "",
        "[tool.setuptools]",
        f"packages = {_toml_list(packages)}",
        f"py-modules = {_toml_list(modules)}",
        "include-package-data = false",
    ]
    if src_layout:
        lines.append('package-dir = {"" = "src"}')
    lines += ["", "[tool.setuptools.package-data]", '"*" = ["*"]', ""]
    return "\n".join(lines)


def build_sdist(
    out_dir: Path,
    name: str,
    version: str,
    files: Mapping[str, str],
    *,
    requires: Sequence[str] = (),
) -> Path:
    """Write a real sdist ``{dist}-{version}.tar.gz`` (PEP 625 name) and return its path.

    Contains ``{dist}-{version}/PKG-INFO``, the ``files`` and a ``pyproject.toml`` using the
    setuptools backend (``requires = ["setuptools>=61"]``) with a ``[project]`` table listing
    the packages (dirs with ``__init__.py``) and top-level modules found in ``files``; flat or
    ``src/`` layout. A ``pyproject.toml`` in ``files`` replaces the generated one.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"{dist_name(name)}-{_filename_version(version)}"
    sdist_path = out_dir / f"{base}.tar.gz"

    members: dict[str, bytes] = {
        "PKG-INFO": _metadata(name, version, requires, ()).encode("utf-8"),
    }
    if "pyproject.toml" not in files:
        members["pyproject.toml"] = _pyproject_toml(name, version, files, requires).encode()
    for path, content in files.items():
        members[path] = _as_bytes(content)

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        dirs: set[str] = set()
        for path in sorted(members):
            parts = path.split("/")[:-1]
            for i in range(len(parts) + 1):
                d = "/".join([base, *parts[:i]])
                if d not in dirs:
                    dirs.add(d)
                    dinfo = tarfile.TarInfo(d)
                    dinfo.type = tarfile.DIRTYPE
                    dinfo.mode = 0o755
                    dinfo.mtime = _TAR_MTIME
                    tf.addfile(dinfo)
            data = members[path]
            info = tarfile.TarInfo(f"{base}/{path}")
            info.size = len(data)
            info.mode = 0o644
            info.mtime = _TAR_MTIME
            tf.addfile(info, io.BytesIO(data))
    sdist_path.write_bytes(gzip.compress(buf.getvalue(), mtime=_TAR_MTIME))
    return sdist_path
