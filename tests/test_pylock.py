"""PEP 751 pylock.toml: selecting a target's packages, and mistakes reported as one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from monotrail.errors import MonotrailError
from monotrail.lockfile import pylock
from monotrail.lockfile.model import GitSource
from monotrail.python import interpreter

LOCK = """\
lock-version = "1.0"
created-by = "hand"
extras = ["fast"]
dependency-groups = ["dev", "docs", "vcs"]
default-groups = ["dev"]

[[packages]]
name = "plain"
version = "1.0"
index = "https://example.invalid/simple"
wheels = [
  {url = "https://example.invalid/plain-1.0-py3-none-any.whl", hashes = {sha256 = "aa"}},
  {url = "https://example.invalid/plain-1.0-cp27-cp27m-win32.whl", hashes = {sha256 = "bb"}},
]

[[packages]]
name = "windows-only"
version = "1.0"
marker = 'sys_platform == "win32"'
sdist = {url = "https://example.invalid/windows_only-1.0.tar.gz", hashes = {sha256 = "cc"}}

[[packages]]
name = "devtool"
version = "2.0"
marker = '"dev" in dependency_groups'
archive = {path = "vendor/devtool-2.0-py3-none-any.whl", hashes = {sha256 = "dd"}}

[[packages]]
name = "speedup"
version = "3.0"
marker = '"fast" in extras'
directory = {path = "../speedup"}

[[packages]]
name = "from-git"
version = "0.1"
marker = '"vcs" in dependency_groups'
vcs = {type = "git", url = "https://example.invalid/x.git", commit-id = "abc"}
"""


@pytest.fixture
def target(home: Path) -> interpreter.Interpreter:
    return interpreter.query(sys.executable)


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    path = tmp_path / "proj" / "pylock.toml"
    path.parent.mkdir()
    path.write_text(LOCK)
    return path


def test_markers_extras_and_groups_select(lock: Path, target: interpreter.Interpreter) -> None:
    chosen = {p.name: p for p in pylock.select(lock, target, [], [])}
    assert sorted(chosen) == ["devtool", "plain"]
    plain = chosen["plain"]
    assert [a.filename for a in plain.artifacts] == ["plain-1.0-py3-none-any.whl"]
    assert plain.artifacts[0].url == "https://example.invalid/plain-1.0-py3-none-any.whl"
    assert plain.indexes == ["https://example.invalid/simple/"]
    vendored = chosen["devtool"].artifacts[0]
    assert vendored.url == (lock.parent / "vendor" / "devtool-2.0-py3-none-any.whl").as_uri()
    assert vendored.filename == "devtool-2.0-py3-none-any.whl" and vendored.sha256 == "dd"

    chosen = {p.name: p for p in pylock.select(lock, target, ["fast"], ["!dev"])}
    assert sorted(chosen) == ["plain", "speedup"]
    assert chosen["speedup"].source_dir == str(lock.parent.parent / "speedup")
    chosen = {p.name: p for p in pylock.select(lock, target, [], ["vcs"])}
    assert chosen["from-git"].git == GitSource("https://example.invalid/x.git", "abc")


def test_mistakes_name_the_lock(
    lock: Path, target: interpreter.Interpreter, tmp_path: Path
) -> None:
    lock.write_text(LOCK.replace('type = "git"', 'type = "hg"'))
    with pytest.raises(MonotrailError, match=f"{lock}: from-git comes from hg; only git"):
        pylock.select(lock, target, [], ["vcs"])
    with pytest.raises(MonotrailError, match="Undeclared extras: nope"):
        pylock.select(lock, target, ["nope"], [])
    lock.write_text('lock-version = "1.0"\ncreated-by = "x"\npackages = [{name = "a"}]\n')
    with pytest.raises(MonotrailError, match=f"{lock}: not a valid pylock file"):
        pylock.select(lock, target, [], [])
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "x"\nenvironments = [\'sys_platform == "os2"\']\n'
        "packages = []\n"
    )
    with pytest.raises(MonotrailError, match="environments"):
        pylock.select(lock, target, [], [])
    with pytest.raises(MonotrailError, match="pylock.NAME.toml"):
        pylock.write(tmp_path / "lock.toml", {})


def test_a_written_lock_reads_back(tmp_path: Path, target: interpreter.Interpreter) -> None:
    wheel = tmp_path / "local-1.0-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    report = {
        "install": [
            {
                "metadata": {"name": "Remote_Pkg", "version": "2.0"},
                "download_info": {
                    "url": "https://example.invalid/files/remote_pkg-2.0.tar.gz",
                    "archive_info": {"hashes": {"sha256": "ee"}},
                },
            },
            {
                "metadata": {"name": "local", "version": "1.0"},
                "is_direct": True,
                "download_info": {"url": wheel.as_uri(), "archive_info": {}},
            },
        ]
    }
    path = tmp_path / "pylock.toml"
    pylock.write(path, pylock.from_pip_report(report, target, tmp_path))
    chosen = {p.name: p for p in pylock.select(path, target, [], [])}
    assert chosen["remote-pkg"].artifacts[0].filename == "remote_pkg-2.0.tar.gz"
    assert chosen["local"].artifacts[0].url == wheel.as_uri()
    assert len(chosen["local"].artifacts[0].hashes["sha256"]) == 64  # hashed from the file
