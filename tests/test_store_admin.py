"""`monotrail store list|size|verify|gc` on real stores filled by real installs (local index)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import monotrail_exe, run
from support.index_server import IndexServer
from support.many_wheels import write_pylock_project

STORE = Path("store")


ALPHA = ["alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"]


@pytest.fixture
def project(tmp_path: Path, index: IndexServer) -> Path:
    """A project locked (pylock.toml) to alpha 1.0 and beta 2.0 of the local index."""
    return write_pylock_project(tmp_path / "proj", index.root, index.files_url, ALPHA)


def change_lock(project: Path) -> None:
    """Edit the project's lock: its environment is dead from now on."""
    with open(project / "pylock.toml", "a") as handle:
        handle.write("# edited\n")


def store_cmd(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([monotrail_exe(), "store", *args], cwd, env, timeout=120)


def install(project: Path, env: dict[str, str]) -> None:
    proc = run([monotrail_exe(), "install"], project, env, timeout=120)
    assert proc.returncode == 0, proc.stderr


def entries(home: Path) -> set[str]:
    found = (home / STORE).glob("*/*/*")
    return {"/".join(p.relative_to(home / STORE).parts) for p in found if p.is_dir()}


def test_list_size_and_verify_after_install(
    project: Path, offline_env: dict[str, str], home: Path
) -> None:
    install(project, offline_env)
    proc = store_cmd(offline_env, project, "list")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    alpha = next(line for line in lines if line.startswith("alpha 1.0 (py3-none-any)"))
    assert f"used by 1 env: {project}" in alpha
    assert lines[-1].startswith("2 entries, ")
    proc = store_cmd(offline_env, project, "list", "Beta")
    assert [line.split("  ")[0] for line in proc.stdout.splitlines()[:-1]] == [
        "beta 2.0 (py3-none-any)"
    ]
    assert proc.stdout.splitlines()[-1].startswith("1 entries of beta, ")
    proc = store_cmd(offline_env, project, "size")
    assert proc.returncode == 0, proc.stderr
    sizes = {line.split()[0]: line for line in proc.stdout.splitlines()}
    assert "0 B" not in sizes["store"] and "0 B" not in sizes["artifacts"]
    assert str(home) in sizes["total"]
    proc = store_cmd(offline_env, project, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "checked 2 entries: all sound"


def test_verify_finds_and_repairs_broken_entries(
    project: Path, offline_env: dict[str, str], home: Path
) -> None:
    install(project, offline_env)
    alpha = home / STORE / "alpha" / "1.0" / "py3-none-any"
    beta = home / STORE / "beta" / "2.0" / "py3-none-any"
    source = alpha / "alpha" / "__init__.py"
    source.write_bytes(source.read_bytes().replace(b"1.0", b"6.6"))  # same size, other bytes
    (beta / "beta_extra.py").write_text("x = 1\n")
    pyc = next((alpha / "alpha" / "__pycache__").glob("__main__.*.pyc"))
    pyc.write_bytes(pyc.read_bytes()[:20])
    proc = store_cmd(offline_env, project, "verify")
    assert proc.returncode == 1
    assert "broken: alpha 1.0 (py3-none-any): alpha/__init__.py does not match its hash" in (
        proc.stdout
    )
    assert "broken: beta 2.0 (py3-none-any): beta_extra.py is not in RECORD" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "checked 2 entries: 2 broken"
    # beta's wheel is gone from the artifact cache: it is downloaded again for the project.
    shutil.rmtree(next(p for p in (home / "artifacts").iterdir() if any(p.glob("beta-*"))))
    proc = store_cmd(offline_env, project, "verify", "--repair")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "repaired alpha 1.0 (py3-none-any): unpacked again from alpha-1.0-py3-none-any.whl" in (
        proc.stdout
    )
    assert f"repaired beta 2.0 (py3-none-any): reinstalled for {project}" in proc.stdout
    assert store_cmd(offline_env, project, "verify").stdout.strip().endswith("all sound")
    # The repaired entries are compiled again and work.
    assert list((alpha / "alpha" / "__pycache__").glob("__main__.*.pyc"))
    proc = run([monotrail_exe(), "run", "command", "alpha-cli"], project, offline_env)
    assert proc.stdout.strip() == "alpha-cli beta-2", proc.stderr
    # Tampering with a pyc's header is caught too.
    pyc = next((alpha / "alpha" / "__pycache__").glob("__init__.*.pyc"))
    data = bytearray(pyc.read_bytes())
    data[12] ^= 0xFF
    pyc.write_bytes(bytes(data))
    proc = store_cmd(offline_env, project, "verify")
    assert "__init__" in proc.stdout and "does not match its source" in proc.stdout


def test_gc_removes_dead_environments_and_what_only_they_used(
    tmp_path: Path, project: Path, offline_env: dict[str, str], home: Path, index: IndexServer
) -> None:
    beta1 = ["beta-1.0-py3-none-any.whl"]
    other = write_pylock_project(tmp_path / "other", index.root, index.files_url, beta1)
    install(project, offline_env)
    install(other, offline_env)
    assert entries(home) == {
        "alpha/1.0/py3-none-any",
        "beta/2.0/py3-none-any",
        "beta/1.0/py3-none-any",
    }
    proc = store_cmd(offline_env, project, "gc")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith(
        "removed 0 environments, 0 entries, 0 artifacts, 0 interpreters; freed"
    )
    # The project's lock changes: its environment is dead (the next run makes a new one).
    change_lock(project)
    proc = store_cmd(offline_env, project, "gc", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert f"would remove environment {project}: {project / 'pylock.toml'} changed" in (proc.stdout)
    assert "would remove entry alpha 1.0 (py3-none-any)" in proc.stdout
    assert "would remove 1 environments, 2 entries, 2 artifacts" in proc.stdout
    assert len(entries(home)) == 3  # a dry run removes nothing
    proc = store_cmd(offline_env, project, "gc")
    assert "removed 1 environments, 2 entries, 2 artifacts, 0 interpreters" in proc.stdout
    assert "(1 environments kept)" in proc.stdout
    assert entries(home) == {"beta/1.0/py3-none-any"}
    # The other project is deleted: everything goes.
    shutil.rmtree(other)
    proc = store_cmd(offline_env, project, "gc")
    assert f"removed environment {other}: project {other} is gone" in proc.stdout
    assert entries(home) == set()
    assert not any((home / "artifacts").rglob("*.whl"))
    assert sorted(p.name for p in (home / "envs").iterdir()) == []
    # The first project still runs: its environment is made again.
    proc = run([monotrail_exe(), "run", "command", "alpha-cli"], project, offline_env)
    assert proc.stdout.strip() == "alpha-cli beta-2", proc.stderr
    assert store_cmd(offline_env, project, "verify").returncode == 0


WAITER = """
import pathlib, sys, time
here = pathlib.Path(sys.argv[1])
(here / "started").write_text("yes")
deadline = time.time() + 60
while not (here / "go").exists() and time.time() < deadline:
    time.sleep(0.02)
import beta  # imported only now: its entry must still be there
print(beta.VALUE)
"""


def test_gc_keeps_an_environment_a_running_program_uses(
    project: Path, offline_env: dict[str, str], home: Path
) -> None:
    install(project, offline_env)
    (project / "waiter.py").write_text(WAITER)
    exe = monotrail_exe()
    program = subprocess.Popen(
        [exe, "run", "python", "waiter.py", str(project)],
        cwd=project,
        env=offline_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 60
        while not (project / "started").exists():
            assert program.poll() is None and time.time() < deadline, program.communicate()
            time.sleep(0.02)
        change_lock(project)  # the env is dead now
        proc = store_cmd(offline_env, project, "gc")
        assert proc.returncode == 0, proc.stderr
        assert f"kept {project} ({project / 'pylock.toml'} changed, but in use)" in proc.stdout
        assert "removed 0 environments, 0 entries" in proc.stdout
        (project / "go").write_text("go")
        out, err = program.communicate(timeout=60)
    finally:
        program.kill()
    assert program.returncode == 0, err
    assert out.strip() == "beta-2"
    proc = store_cmd(offline_env, project, "gc")
    assert "removed 1 environments, 2 entries" in proc.stdout, proc.stdout


def test_gc_keeps_an_environment_a_child_uses_after_its_parent_exits(
    project: Path, offline_env: dict[str, str], home: Path
) -> None:
    """The launched program shares the launcher's lock; a child it starts locks on its own."""
    install(project, offline_env)
    (project / "waiter.py").write_text(WAITER)
    parent = (
        "import subprocess, sys\n"
        "assert 'MONOTRAIL_LOCK_FD' not in __import__('os').environ\n"
        "out = open('out.txt', 'w')\n"
        "subprocess.Popen([sys.executable, 'waiter.py', sys.argv[1]], stdout=out, stderr=out)\n"
    )
    (project / "parent.py").write_text(parent)
    proc = run([monotrail_exe(), "run", "python", "parent.py", str(project)], project, offline_env)
    assert proc.returncode == 0, proc.stderr  # the parent is gone, its child waits
    deadline = time.time() + 60
    while not (project / "started").exists():
        assert time.time() < deadline, (project / "out.txt").read_text()
        time.sleep(0.02)
    change_lock(project)
    proc = store_cmd(offline_env, project, "gc")
    assert f"kept {project} ({project / 'pylock.toml'} changed, but in use)" in proc.stdout
    (project / "go").write_text("go")
    while "beta-2" not in (project / "out.txt").read_text():
        assert time.time() < deadline, (project / "out.txt").read_text()
        time.sleep(0.02)


def test_gc_waits_for_a_running_install(offline_env: dict[str, str], home: Path) -> None:
    # The test holds the store lock as an install does (shared), from another process.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, monotrail.store.locks as s\n"
            "with s.store_shared():\n"
            "    print('holding', flush=True); sys.stdin.readline()\n",
        ],
        env=offline_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    gc = None
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        gc = subprocess.Popen(
            [monotrail_exe(), "store", "gc"],
            cwd=home.parent,
            env=offline_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert gc.stderr is not None
        assert gc.stderr.readline().strip() == "waiting for running installs to finish..."
        time.sleep(0.3)
        assert gc.poll() is None
        holder.communicate("done\n", timeout=30)
        out, _ = gc.communicate(timeout=60)
        assert gc.returncode == 0 and out.startswith("removed 0 environments")
    finally:
        holder.kill()
        if gc is not None:
            gc.kill()
