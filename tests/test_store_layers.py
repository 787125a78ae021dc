"""Store layers and shared stores: ``store export``, a layer mounted read-only and read from
another checkout path, and one store filled and collected by two Unix accounts of one group."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest
from conftest import assert_one_line_error, monotrail_exe, run
from support.index_server import IndexServer
from support.wheels import build_wheel
from test_uv_lock import HEAD, lock

pytestmark = pytest.mark.slow

CHECK = "import alpha, withextra; print('ok', alpha.__file__)"


def _can(*command: str) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except OSError:
        return False


needs_mounts = pytest.mark.skipif(
    not _can("unshare", "-m", "true"), reason="needs mount namespaces (unshare -m, as root)"
)
needs_users = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("setpriv"),
    reason="needs root, useradd and setpriv to create the test's Unix accounts",
)


def uv_project(
    folder: Path, index: IndexServer, tmp_path: Path, deps: str = '["alpha", "withextra"]'
) -> Path:
    """A uv project locked by the real ``uv lock`` against the local index."""
    if not list(index.root.rglob("withextra-*.whl")):
        build_wheel(index.root, "withextra", "1.0", {"withextra.py": "X = 1\n"})
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(HEAD + f"dependencies = {deps}\n")
    lock(folder, index, tmp_path)
    return folder


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every path below ``folder`` with its mode, size and mtime."""
    found = {}
    for path in [folder, *folder.rglob("*")]:
        st = path.lstat()
        found[str(path.relative_to(folder))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found


def entries_in(home: Path) -> list[str]:
    store = home / "store"
    return sorted(str(p.relative_to(store)) for p in store.glob("*/*/*") if p.is_dir())


@needs_mounts
def test_exported_layer_runs_read_only_from_another_checkout_without_network(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    project = uv_project(tmp_path / "ci-1" / "app", index, tmp_path)
    proc = run([monotrail_exe(), "install"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    layer = tmp_path / "layer"
    proc = run([monotrail_exe(), "store", "export", str(layer)], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert "exported 1 environments" in proc.stdout
    written = entries_in(layer)
    assert [e.split("/")[0] for e in written] == ["alpha", "beta", "withextra"]
    proc = run(
        [monotrail_exe(), "store", "export", str(tmp_path / "layer.tar")], project, offline_env
    )
    assert proc.returncode == 0, proc.stderr
    with tarfile.open(tmp_path / "layer.tar") as archive:
        members = {m.name for m in archive.getmembers() if not m.isdir()}
    assert members == {str(p.relative_to(layer)) for p in layer.rglob("*") if not p.is_dir()}

    # Another machine: the checkout at another path, an empty writable store, no index.
    other = tmp_path / "ci-2" / "checkout" / "app"
    shutil.copytree(project, other)
    saved = index.root.rename(tmp_path / "index-away")
    index.root.mkdir()
    before = snapshot(layer)
    fresh = tmp_path / "fresh-home"
    env = {**offline_env, "MONOTRAIL_HOME": str(fresh), "MONOTRAIL_STORES": str(layer)}
    script = (
        f'mount --bind "{layer}" "{layer}" && mount -o remount,ro,bind "{layer}" && '
        f'(touch "{layer}/probe" 2>/dev/null && echo LAYER-WRITABLE); '
        f'exec "{monotrail_exe()}" run python -c "{CHECK}"'
    )
    proc = run(["unshare", "-m", "sh", "-c", script], other, env)
    assert proc.returncode == 0, proc.stderr
    assert "LAYER-WRITABLE" not in proc.stdout
    assert proc.stdout.startswith("ok " + str(layer / "store" / "alpha")), proc.stdout
    assert snapshot(layer) == before
    assert entries_in(fresh) == [], "the layer's entries were unpacked again"
    assert not list(fresh.glob("artifacts/*/*")), "something was downloaded"

    # A layer that lacks an entry: that one goes to the writable store (the index is back);
    # a layer is never written, even where the account could write it.
    index.root.rmdir()
    saved.rename(index.root)
    partial = tmp_path / "partial"  # the tar archive, unpacked
    with tarfile.open(tmp_path / "layer.tar") as archive:
        archive.extractall(partial, filter="tar")
    shutil.rmtree(next((partial / "store" / "withextra").glob("*/*")))
    env = {
        **offline_env,
        "MONOTRAIL_HOME": str(tmp_path / "home-3"),
        "MONOTRAIL_STORES": str(partial),
    }
    untouched = snapshot(partial)
    proc = run([monotrail_exe(), "run", "python", "-c", CHECK], other, env)
    assert proc.returncode == 0, proc.stderr
    assert [e.split("/")[0] for e in entries_in(tmp_path / "home-3")] == ["withextra"]
    assert snapshot(partial) == untouched, "a writable layer was written to (or locked)"

    # A damaged layer: one line naming the entry in the layer.
    info = next((layer / "store" / "alpha").glob("*/*/.monotrail-data/entry.json"))
    info.unlink()
    env = {
        **offline_env,
        "MONOTRAIL_HOME": str(tmp_path / "home-4"),
        "MONOTRAIL_STORES": str(layer),
    }
    proc = run([monotrail_exe(), "run", "python", "-c", CHECK], other, env)
    assert_one_line_error(proc, str(layer / "store" / "alpha"))


@needs_users
def test_a_group_store_is_shared_by_two_accounts(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    with accounts(2) as (group, first, second):
        shared = Path(f"/tmp/monotrail-shared-{uuid.uuid4().hex[:8]}")
        try:
            shared.mkdir(mode=0o775)
            shutil.chown(shared, group=group)
            shared.chmod(0o2775)  # setgid: everything below belongs to the group
            projects = []
            for number, deps in ((1, '["alpha"]'), (2, '["alpha", "withextra"]')):
                folder = shared.parent / f"{shared.name}-p{number}"
                uv_project(folder, index, tmp_path, deps)
                shutil.chown(folder, group=group)
                folder.chmod(0o2775)
                projects.append(folder)
            env = {**offline_env, "MONOTRAIL_HOME": str(shared / "home")}
            both = [
                as_account(user, [monotrail_exe(), "install"], folder, env)
                for user, folder in zip((first, second), projects[::-1], strict=True)
            ]
            for proc in both:
                out, err = proc.communicate(timeout=300)
                assert proc.returncode == 0, err
            # Each account runs the other's environment; the second collects the store while
            # a program of the first runs in an environment that went dead meanwhile.
            proc = as_account(
                second, [monotrail_exe(), "run", "python", "-c", CHECK], projects[1], env
            )
            assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
            program = "import alpha, time; print('ready', flush=True); time.sleep(60)"
            sleeper = as_account(
                first, [monotrail_exe(), "run", "python", "-c", program], projects[0], env
            )
            try:
                assert sleeper.stdout is not None and sleeper.stdout.readline() == "ready\n"
                with (projects[0] / "uv.lock").open("a") as handle:
                    handle.write("# changed\n")  # the running program's environment is dead
                shutil.rmtree(projects[1])  # so is the first account's other environment
                gc = as_account(second, [monotrail_exe(), "store", "gc"], projects[0], env)
                out, err = gc.communicate(timeout=120)
                assert gc.returncode == 0, out + err
                assert "removed 1 environments" in out, out
                assert "kept" in out, out
                assert [e.split("/")[0] for e in entries_in(shared / "home")] == ["alpha", "beta"]
            finally:
                sleeper.kill()
                sleeper.wait()
            proc = as_account(
                first, [monotrail_exe(), "run", "python", "-c", "import alpha"], projects[0], env
            )
            assert proc.wait(timeout=120) == 0
        finally:
            for path in (shared, *shared.parent.glob(f"{shared.name}-p*")):
                shutil.rmtree(path, ignore_errors=True)


def as_account(user: str, argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """``argv`` as ``user`` with umask 002. The account can read what root's test set-up left
    in root's private folders (the interpreter, the test venv): only writes are checked."""
    caps = "+dac_read_search"
    command = [
        "setpriv", f"--reuid={user}", f"--regid={grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name}",
        "--init-groups",
        f"--inh-caps={caps}", f"--ambient-caps={caps}",
        "sh", "-c", 'umask 002 && exec "$@"', "sh", *argv,
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=cwd, env={**env, "HOME": str(cwd)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


class accounts:  # noqa: N801 - used like a function
    """``count`` Unix accounts in one new group, removed afterwards."""

    def __init__(self, count: int) -> None:
        tag = uuid.uuid4().hex[:6]
        self.group = f"mtg{tag}"
        self.users = [f"mtu{tag}{n}" for n in range(count)]

    def __enter__(self) -> tuple[str, ...]:
        subprocess.run(["groupadd", self.group], check=True)
        for user in self.users:
            subprocess.run(["useradd", "-M", "-N", "-g", self.group, user], check=True)
        return (self.group, *self.users)

    def __exit__(self, *exc: object) -> None:
        for user in self.users:
            subprocess.run(["userdel", user], capture_output=True)
        subprocess.run(["groupdel", self.group], capture_output=True)


def test_a_layer_carries_what_monotrail_resolved_itself(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    """A requirements.txt and a lock-less PEP 621 project: their resolutions travel in the layer,
    so another machine runs them without pip, Poetry or an index."""
    projects = {"reqs": {"requirements.txt": "alpha\n"}, "pep621": {"pyproject.toml": PEP621}}
    folders = []
    for name, files in projects.items():
        folder = tmp_path / "first" / name
        folder.mkdir(parents=True)
        for filename, text in files.items():
            (folder / filename).write_text(text)
        folders.append(folder)
    layer = tmp_path / "layer"
    args = [monotrail_exe(), "store", "export", str(layer)]
    proc = run([*args, *(f"--project={f}" for f in folders)], tmp_path, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert list((layer / "resolutions").glob("*.json"))
    # The same pip configuration (it is part of a resolution's key), but the index is gone.
    index.stop()
    env = {
        **offline_env,
        "MONOTRAIL_HOME": str(tmp_path / "other-home"),
        "MONOTRAIL_STORES": str(layer),
    }
    for folder in folders:
        copy = tmp_path / "second" / folder.name
        shutil.copytree(folder, copy)
        proc = run([monotrail_exe(), "run", "python", "-c", "import alpha"], copy, env)
        assert proc.returncode == 0, proc.stderr
        assert "Resolv" not in proc.stderr, proc.stderr
    assert entries_in(tmp_path / "other-home") == []


PEP621 = HEAD + 'dependencies = ["alpha"]\n\n[build-system]\nrequires = ["setuptools"]\n'
