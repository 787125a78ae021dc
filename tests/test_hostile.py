"""Hostile wheels through the real `monotrail install` (a local index, a PEP 751 lock of them).

Each is refused with one clear error line; nothing is written outside the store and no entry,
complete or partial, is left behind. A wheel whose RECORD lies is refused where no lock hash
vouches for the archive (``venv-install`` of a file); under a lock's hash it is installed, as the
lock says, and ``store verify`` names the file (README, security notes).
"""

from __future__ import annotations

import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import assert_one_line_error, monotrail_exe, run
from monotrail.store import unpack
from support.index_server import IndexServer, pip_env
from support.many_wheels import write_pylock_project
from support.wheels import build_wheel, record_hash
from test_pip_monotrail import make_venv

GOOD = {"pkg/__init__.py": "VALUE = 1\n"}


def _inflate_declared_sizes(wheel: Path, size: int) -> None:
    """Make every member's central-directory entry claim ``size`` uncompressed bytes."""
    data = bytearray(wheel.read_bytes())
    position = data.find(b"PK\x01\x02")
    while position != -1:
        struct.pack_into("<I", data, position + 24, size)
        position = data.find(b"PK\x01\x02", position + 4)
    wheel.write_bytes(bytes(data))


def _understate_size(wheel: Path, member: str, size: int) -> None:
    """Make ``member`` claim to be ``size`` bytes (local header and central directory)."""
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo(member)
    data = bytearray(wheel.read_bytes())
    struct.pack_into("<I", data, info.header_offset + 22, size)
    named = data.rfind(member.encode())  # the last mention is its central-directory entry
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02", 0, named) + 24, size)
    wheel.write_bytes(bytes(data))


def dotdot(root: Path) -> str:
    build_wheel(root, "dotdot", "1.0", GOOD, raw_members=[("../escape_dotdot.py", b"x = 1\n")])
    return "dotdot-1.0-py3-none-any.whl"


def nested_dotdot(root: Path) -> str:
    build_wheel(root, "nested", "1.0", GOOD, raw_members=[("pkg/../../escape_nested.py", b"")])
    return "nested-1.0-py3-none-any.whl"


def absolute(root: Path) -> str:
    target = root.parent / "escape_absolute.py"
    build_wheel(root, "absolute", "1.0", GOOD, raw_members=[(str(target), b"x = 1\n")])
    return "absolute-1.0-py3-none-any.whl"


def symlink_out(root: Path) -> str:
    build_wheel(root, "linky", "1.0", GOOD, symlinks={"pkg/passwd": "/etc/passwd"})
    return "linky-1.0-py3-none-any.whl"


def symlink_dir_out(root: Path) -> str:
    build_wheel(root, "linkdir", "1.0", GOOD, symlinks={"pkg/up": "../../.."})
    return "linkdir-1.0-py3-none-any.whl"


def lying_record(root: Path) -> str:
    fake = record_hash(b"VALUE = 2\n")
    build_wheel(root, "liar", "1.0", GOOD, record_override={"pkg/__init__.py": fake})
    return "liar-1.0-py3-none-any.whl"


def zip_bomb_ratio(root: Path) -> str:
    # 64 MiB of zeros compress to ~64 KiB; the test caps unpacking at 8 MiB.
    build_wheel(root, "bomb", "1.0", {**GOOD, "pkg/zeros.bin": b"\0" * (64 << 20)})
    return "bomb-1.0-py3-none-any.whl"


def zip_bomb_declared(root: Path) -> str:
    # Members that declare 4 GiB each: far beyond the default 16 GiB cap in total.
    files = {f"pkg/part{i}.bin": b"\0" for i in range(6)}
    wheel = build_wheel(root, "declared", "1.0", {**GOOD, **files})
    _inflate_declared_sizes(wheel, 0xFFFFFFF0)
    return wheel.name


def zip_bomb_understated(root: Path) -> str:
    # A member that says 10 bytes and inflates to 32 MiB.
    wheel = build_wheel(root, "sneaky", "1.0", {**GOOD, "pkg/zeros.bin": b"\0" * (32 << 20)})
    _understate_size(wheel, "pkg/zeros.bin", 10)
    return wheel.name


def _many(count: int = 2000) -> dict[str, str | bytes]:
    """Enough files for store/unpack's helper process, which writes every other one (the
    second file, ``pkg/m0000.py``, is the helper's)."""
    assert count >= unpack.HELPER_MIN_FILES
    return {f"pkg/m{i:04d}.py": f"N = {i}\n" for i in range(count)}


def lying_record_large(root: Path) -> str:
    fake = record_hash(b"N = -1\n")
    build_wheel(root, "bigliar", "1.0", {**GOOD, **_many()}, record_override={"pkg/m0000.py": fake})
    return "bigliar-1.0-py3-none-any.whl"


def zip_bomb_understated_large(root: Path) -> str:
    files = {**GOOD, "pkg/zeros.bin": b"\0" * (32 << 20), **_many()}  # zeros.bin: the helper's
    wheel = build_wheel(root, "bigsneaky", "1.0", files)
    _understate_size(wheel, "pkg/zeros.bin", 10)
    return wheel.name


CASES: dict[str, tuple[Callable[[Path], str], tuple[str, ...], dict[str, str]]] = {
    "dotdot": (dotdot, ("refused", "'../escape_dotdot.py' points outside the entry"), {}),
    "nested-dotdot": (nested_dotdot, ("refused", "points outside the entry"), {}),
    "absolute": (absolute, ("refused", "escape_absolute.py", "points outside the entry"), {}),
    "symlink-out": (symlink_out, ("refused", "'pkg/passwd' is a symbolic link"), {}),
    "symlink-dir-out": (symlink_dir_out, ("refused", "'pkg/up' is a symbolic link"), {}),
    "zip-bomb": (
        zip_bomb_ratio,
        ("refused", "unpacks to more than 8388608 bytes"),
        {"MONOTRAIL_MAX_UNPACKED_BYTES": str(8 << 20)},
    ),
    "zip-bomb-declared": (zip_bomb_declared, ("refused", "unpacks to more than"), {}),
    "zip-bomb-understated": (zip_bomb_understated, ("not a valid wheel",), {}),
    # The same checks when a second process writes half of the files.
    "zip-bomb-understated-large": (zip_bomb_understated_large, ("not a valid wheel",), {}),
}


def assert_nothing_left(home: Path, name: str, outside: Path) -> None:
    assert not [p for p in (home / "store").glob(f"{name}/*/*") if p.is_dir()]
    assert not [p for p in (home / "tmp").iterdir() if p.is_dir()]
    escaped = [p for p in outside.rglob("escape_*") if p.suffix != ".whl"]
    assert escaped == [], escaped
    assert not list(outside.rglob("passwd"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_wheel_is_refused(case: str, index: IndexServer, tmp_path: Path) -> None:
    make, needles, extra_env = CASES[case]
    filename = make(index.root)
    home = tmp_path / "home"
    project = write_pylock_project(tmp_path / "proj", index.root, index.files_url, [filename])
    env = pip_env({"MONOTRAIL_HOME": str(home), **extra_env})
    proc = run([monotrail_exe(), "install"], project, env, timeout=120)
    assert_one_line_error(proc, filename, *needles)
    assert_nothing_left(home, filename.split("-")[0], tmp_path)


def test_file_not_matching_the_lock_is_refused(index: IndexServer, tmp_path: Path) -> None:
    filename = "beta-2.0-py3-none-any.whl"
    home = tmp_path / "home"
    project = write_pylock_project(tmp_path / "proj", index.root, index.files_url, [filename])
    index.corrupt.add(filename)  # served bytes differ from those the lock's hash describes
    proc = run([monotrail_exe(), "install"], project, pip_env({"MONOTRAIL_HOME": str(home)}))
    assert_one_line_error(proc, filename, "hash mismatch")
    assert_nothing_left(home, "beta", tmp_path)
    assert not list((home / "artifacts").rglob("*.whl"))


LIARS = {"lying-record": (lying_record, "pkg/__init__.py"), "lying-record-large": (
    lying_record_large, "pkg/m0000.py"  # written by the helper process
)}  # fmt: skip


@pytest.mark.parametrize("case", sorted(LIARS))
def test_lying_record_is_refused_where_no_lock_hash_vouches(case: str, tmp_path: Path) -> None:
    make, member = LIARS[case]
    filename = make(tmp_path / "wheels")
    home = tmp_path / "home"
    venv = make_venv(tmp_path / "venv")
    wheel = tmp_path / "wheels" / filename
    env = pip_env({"MONOTRAIL_HOME": str(home)})
    proc = run([monotrail_exe(), "venv-install", "-p", str(venv), str(wheel)], tmp_path, env)
    assert_one_line_error(proc, filename, "refused", f"{member} does not match its hash")
    assert_nothing_left(home, filename.split("-")[0], tmp_path)


@pytest.mark.parametrize("case", sorted(LIARS))
def test_lying_record_under_a_lock_hash_is_installed_and_named_by_verify(
    case: str, index: IndexServer, tmp_path: Path
) -> None:
    make, member = LIARS[case]
    filename = make(index.root)
    home = tmp_path / "home"
    project = write_pylock_project(tmp_path / "proj", index.root, index.files_url, [filename])
    env = pip_env({"MONOTRAIL_HOME": str(home)})
    assert run([monotrail_exe(), "install"], project, env).returncode == 0
    proc = run([monotrail_exe(), "store", "verify"], project, env)
    assert proc.returncode != 0
    assert f"{member} does not match its hash in RECORD" in proc.stdout + proc.stderr


def test_cached_wheel_changed_after_download_is_refused(index: IndexServer, tmp_path: Path) -> None:
    filename = "beta-2.0-py3-none-any.whl"
    home = tmp_path / "home"
    project = write_pylock_project(tmp_path / "proj", index.root, index.files_url, [filename])
    env = pip_env({"MONOTRAIL_HOME": str(home)})
    assert run([monotrail_exe(), "install"], project, env).returncode == 0
    for part in ("store", "envs"):
        shutil.rmtree(home / part)
    (cached,) = (home / "artifacts").rglob(filename)
    build_wheel(tmp_path / "other", "beta", "2.0", {"beta/__init__.py": "EVIL = 1\n"})
    cached.chmod(0o644)
    cached.write_bytes((tmp_path / "other" / filename).read_bytes())  # valid, not the lock's
    proc = run([monotrail_exe(), "install"], project, env)
    assert_one_line_error(proc, filename, "refused, its sha256 is", "but the lock says")
    assert_nothing_left(home, "beta", tmp_path)


def test_wheel_for_another_platform_is_refused(index: IndexServer, tmp_path: Path) -> None:
    build_wheel(index.root, "winonly", "1.0", GOOD, tag="cp312-cp312-win_amd64")
    filename = "winonly-1.0-cp312-cp312-win_amd64.whl"
    home = tmp_path / "home"
    env = pip_env({"MONOTRAIL_HOME": str(home), "PIP_INDEX_URL": index.url})
    locked = write_pylock_project(tmp_path / "locked", index.root, index.files_url, [filename])
    proc = run([monotrail_exe(), "install"], locked, env)
    assert_one_line_error(proc, "winonly")
    required = tmp_path / "required"
    required.mkdir()
    (required / "requirements.txt").write_text("winonly\n")
    proc = run([monotrail_exe(), "install"], required, env)
    assert_one_line_error(proc, "winonly")
    assert_nothing_left(home, "winonly", tmp_path)
    assert not list((home / "artifacts").rglob("winonly*"))
