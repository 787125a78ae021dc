"""A project seen before in another folder (a copy, another checkout): its environment is derived
from the earlier one by content, with no resolution and no lock parse, and points at the new
folder."""

from __future__ import annotations

import marshal
import shutil
from pathlib import Path

import pytest
from conftest import monotrail_exe, run
from support.index_server import IndexServer
from test_uv_lock import HEAD, lock

pytestmark = pytest.mark.slow

SHOW = "import alpha, demo; print(demo.__file__)"


def uv_project(folder: Path, index: IndexServer, tmp_path: Path) -> Path:
    """A uv project with its own package and a console script, locked by the real uv."""
    (folder / "src" / "demo").mkdir(parents=True)
    (folder / "src" / "demo" / "__init__.py").write_text("def hello():\n    print('hello')\n")
    (folder / "pyproject.toml").write_text(
        HEAD + 'dependencies = ["alpha"]\n\n[project.scripts]\ndemo-hello = "demo:hello"\n'
    )
    lock(folder, index, tmp_path)
    return folder


def test_a_copy_of_a_locked_project_derives_its_environment(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str], home: Path
) -> None:
    first = uv_project(tmp_path / "first", index, tmp_path)
    proc = run([monotrail_exe(), "run", "python", "-c", SHOW], first, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(first / "src" / "demo" / "__init__.py")

    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(first, copy)
    env = {**offline_env, "MONOTRAIL_LOG": "debug"}
    proc = run([monotrail_exe(), "run", "python", "-c", SHOW], copy, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(copy / "src" / "demo" / "__init__.py")
    assert "derived env record" in proc.stderr, proc.stderr
    assert "reading" not in proc.stderr and "Installed" not in proc.stderr, proc.stderr
    # The new record names the copy's folder, its own scripts and its own gc lock file.
    [derived] = [
        p for p in (home / "envs").glob("*.record") if str(copy) in p.read_bytes().decode("latin-1")
    ]
    data = marshal.loads(derived.read_bytes())
    key = derived.name[: -len(".record")]
    assert data["lock"] == str(home / "envs" / f"{key}.lock")
    assert data["bin"] == str(home / "envs" / key / "bin")
    assert str(first) not in derived.read_bytes().decode("latin-1")
    # Its console scripts name the new record, and the first folder can go.
    shutil.rmtree(first)
    proc = run([monotrail_exe(), "store", "gc"], copy, offline_env)
    assert proc.returncode == 0, proc.stderr
    proc = run([monotrail_exe(), "run", "command", "demo-hello"], copy, offline_env)
    assert (proc.returncode, proc.stdout) == (0, "hello\n"), proc.stderr
    proc = run([monotrail_exe(), "run", "command", "alpha-cli"], copy, offline_env)
    assert proc.returncode == 0, proc.stderr
    # An edit to the copy's lock is not the same content any more: the slow path reads it.
    (copy / "uv.lock").write_text((copy / "uv.lock").read_text() + "\n")
    proc = run([monotrail_exe(), "run", "python", "-c", SHOW], copy, env)
    assert proc.returncode == 0 and "derived" not in proc.stderr, proc.stderr
    assert not [p for p in (home / "by-content").iterdir() if not p.exists()]
