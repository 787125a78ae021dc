"""The store under load and faults: concurrent installs, SIGKILL, a full disk, read-only layers.

Everything is real: `monotrail` subprocesses, wheels on a local index, Poetry's lock, kernel
signals, a small tmpfs (or a file-size limit where mounting is not allowed).
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import assert_one_line_error, monotrail_exe, run
from monotrail.store import unpack
from support.index_server import IndexServer, pip_env
from support.many_wheels import COUNT, build_many_wheels, many_wheel_files, write_pylock_project
from support.pbs_mirror import (
    MirrorServer,
    build_install_only_archive,
    sha256_of,
    versions_table,
)
from support.wheels import build_wheel

#: Kill trials during installs and during gc; MONOTRAIL_FAULT_SEED replays a failing series.
TRIALS = 20
GC_TRIALS = 10
SEED = int(os.environ.get("MONOTRAIL_FAULT_SEED", str(time.time_ns() % 1_000_000)))
IMPORT_ALL = "import pkg00, pkg29, pkg15.sub.deep as d; print(pkg00.X + pkg29.double(1), d.NAME)"


@pytest.fixture(scope="module")
def many_index(
    tmp_path_factory: pytest.TempPathFactory, fixture_wheels: Path
) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("many-index")
    shutil.copytree(fixture_wheels, root, dirs_exist_ok=True)
    build_many_wheels(root)
    with IndexServer(root) as server:
        yield server


def env_for(home: Path, index: IndexServer, **extra: str) -> dict[str, str]:
    return pip_env({"MONOTRAIL_HOME": str(home), "PIP_INDEX_URL": index.url, **extra})


@pytest.fixture(scope="module")
def locked_project(tmp_path_factory: pytest.TempPathFactory, many_index: IndexServer) -> Path:
    """A project whose pylock.toml locks the 30 packages (with their hashes)."""
    root = tmp_path_factory.mktemp("many-project")
    return write_pylock_project(root, many_index.root, many_index.files_url, many_wheel_files())


def problems(home: Path) -> list[str]:
    """What `store verify` reports for the entries of ``home`` (computed in this process)."""
    from monotrail.store.verify import check_entry

    return [f"{path}: {problem}" for path in entry_dirs(home) if (problem := check_entry(path))]


def entry_dirs(home: Path) -> list[Path]:
    return [p for p in (home / "store").glob("*/*/*") if p.is_dir()]


# ---------------------------------------------------------------------------------------------
# load


def test_eight_processes_install_one_lock_into_an_empty_store(
    locked_project: Path, many_index: IndexServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = env_for(home, many_index, MONOTRAIL_LOG="debug")
    procs = [
        subprocess.Popen(
            [monotrail_exe(), "install"],
            cwd=locked_project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = [proc.communicate(timeout=240) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert f"({COUNT} packages for Python" in out
    unpacked = [
        line.rsplit(" ", 1)[-1]
        for _, err in outputs
        for line in err.splitlines()
        if "unpacked a new store entry" in line
    ]
    assert len(unpacked) == COUNT and len(set(unpacked)) == COUNT, unpacked  # once each
    added = sum(int(re.search(r"(\d+) added", out)[1]) for out, _ in outputs)  # type: ignore[index]
    assert added == COUNT
    assert len(entry_dirs(home)) == COUNT
    assert not [p for p in (home / "tmp").iterdir() if p.is_dir()]
    proc = run([monotrail_exe(), "store", "verify"], locked_project, env)
    assert proc.returncode == 0 and proc.stdout.strip() == f"checked {COUNT} entries: all sound"
    proc = run([monotrail_exe(), "run", "python", "-c", IMPORT_ALL], locked_project, env)
    assert proc.stdout.strip() == "2 pkg15", proc.stderr


# ---------------------------------------------------------------------------------------------
# SIGKILL at random moments


def kill_at_random_moment(
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    rng: random.Random,
    full_time: float,
    progress: Callable[[str], bool],
    lines: int,
    spread: float = 0.02,
) -> str:
    """Run ``cmd`` and SIGKILL it (with its children) at a random moment; how it was chosen.

    Half of the moments are uniform over a normal run's duration; the other half follow one of
    the ``lines`` progress lines a run prints (a download, an unpacked entry, a removal) by up to
    ``spread`` seconds, so that kills also land in the short window where the store is written.
    """
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen = 0
    reached, ended = threading.Event(), threading.Event()
    by_line = rng.random() < 0.5
    wanted = rng.randrange(0, lines) if by_line else -1

    def read() -> None:
        nonlocal seen
        assert proc.stderr is not None
        for line in proc.stderr:
            if progress(line):
                seen += 1
                if seen > wanted >= 0:
                    reached.set()
        ended.set()
        reached.set()  # the process ended first

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if by_line:
        reached.wait(timeout=120)
        delay = rng.uniform(0, spread)
        ended.wait(timeout=delay)  # returns early only when the process ended
        moment = f"{delay * 1000:.0f} ms after progress line {wanted}"
    else:
        delay = rng.uniform(0, full_time)
        ended.wait(timeout=delay)  # returns early only when the process ended
        moment = f"at {delay:.2f}s"
    finished = proc.poll() is not None
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)
    reader.join(timeout=30)
    return moment + (" (it had finished)" if finished else "")


def in_two_series(trial: Callable[[int, int], str], trials: int) -> list[str]:
    """Run ``trial(series, number)`` ``trials`` times, in two parallel series (own stores)."""

    def series(number: int) -> list[str]:
        return [trial(number, i) for i in range(trials // 2)]

    with ThreadPoolExecutor(2) as pool:
        return [line for done in pool.map(series, (0, 1)) for line in done]


def _install_progress(line: str) -> bool:
    return "downloaded " in line or "unpacked a new store entry" in line or "compiling" in line


def test_sigkill_during_install_never_leaves_an_entry_half_made(
    locked_project: Path, many_index: IndexServer, tmp_path: Path
) -> None:
    exe = monotrail_exe()
    setup: dict[int, tuple[dict[str, str], float]] = {}

    def trial(series: int, number: int) -> str:
        home = tmp_path / f"home{series}"
        if series not in setup:
            env = env_for(home, many_index, MONOTRAIL_LOG="debug")
            started = time.perf_counter()
            assert run([exe, "install"], locked_project, env).returncode == 0
            setup[series] = env, 0.8 * (time.perf_counter() - started)
        env, full_time = setup[series]
        rng = random.Random(f"{SEED}-{series}-{number}")
        downloads = number % 2 == 0
        for part in ("store", "envs", "tmp", *(("artifacts",) if downloads else ())):
            shutil.rmtree(home / part, ignore_errors=True)
        lines = 2 * COUNT + 1 if downloads else COUNT + 1
        moment = kill_at_random_moment(
            [exe, "install"], locked_project, env, rng, full_time, _install_progress, lines
        )
        made = len(entry_dirs(home))
        where = f"seed {SEED}, series {series}, trial {number}: killed {moment}, {made} entries"
        assert problems(home) == [], where
        proc = run([exe, "run", "python", "-c", IMPORT_ALL], locked_project, env)
        assert proc.returncode == 0 and proc.stdout.strip() == "2 pkg15", (where, proc.stderr)
        assert problems(home) == [], where
        return where

    outcomes = in_two_series(trial, TRIALS)
    print("\n".join(outcomes))
    partial = [o for o in outcomes if not o.endswith((" 0 entries", f" {COUNT} entries"))]
    assert partial, f"seed {SEED}: no kill landed while entries were being unpacked"
    proc = run([exe, "store", "verify"], locked_project, setup[0][0])
    assert proc.returncode == 0, proc.stdout


def test_sigkill_during_gc_removes_nothing_live_and_next_gc_completes(
    locked_project: Path, many_index: IndexServer, tmp_path: Path
) -> None:
    exe = monotrail_exe()
    live = write_pylock_project(
        tmp_path / "live",
        many_index.root,
        many_index.files_url,
        ["alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"],
    )
    setup: dict[int, tuple[dict[str, str], float]] = {}

    def trial(series: int, number: int) -> str:
        home, snapshot = tmp_path / f"home{series}", tmp_path / f"snapshot{series}"
        if series not in setup:
            env = env_for(home, many_index, MONOTRAIL_LOG="debug")
            assert run([exe, "install"], live, env).returncode == 0
            dead = tmp_path / f"dead{series}"
            shutil.copytree(locked_project, dead)
            assert run([exe, "install"], dead, env).returncode == 0
            shutil.rmtree(dead)  # its environment is dead: 30 entries and wheels are garbage
            shutil.copytree(home, snapshot, symlinks=True)
            started = time.perf_counter()
            proc = run([exe, "store", "gc"], live, env)
            assert f"removed 1 environments, {COUNT} entries, {COUNT} artifacts" in proc.stdout
            setup[series] = env, time.perf_counter() - started
        env, full_time = setup[series]
        rng = random.Random(f"{SEED}-gc-{series}-{number}")
        shutil.rmtree(home)
        shutil.copytree(snapshot, home, symlinks=True)  # the same paths: records stay valid
        lines = 2 * COUNT + 2
        moment = kill_at_random_moment(
            [exe, "store", "gc"], live, env, rng, full_time, lambda line: "gc: " in line, lines
        )
        left = len(entry_dirs(home))
        where = f"seed {SEED}, series {series}, gc trial {number}: killed {moment}, {left} entries"
        assert problems(home) == [], where
        proc = run([exe, "run", "command", "alpha-cli"], live, env)
        assert proc.stdout.strip() == "alpha-cli beta-2", (where, proc.stderr)
        if number % 2 == 0:
            proc = run([exe, "store", "gc"], live, env)
            assert proc.returncode == 0, (where, proc.stderr)
            assert {p.parent.parent.name for p in entry_dirs(home)} == {"alpha", "beta"}, where
            assert problems(home) == [] and not list((home / "tmp").glob("trash.*")), where
        return where

    print("\n".join(in_two_series(trial, GC_TRIALS)))


PROVISION_TRIALS = 8


@pytest.fixture(scope="module")
def pbs_mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    """A python-build-standalone mirror serving an install_only archive of pyenv's 3.12."""
    from pbs_installer._utils import get_arch_platform

    arch, system = get_arch_platform()
    versions = Path(os.environ.get("PYENV_ROOT", "~/.pyenv")).expanduser() / "versions"
    prefix = max(versions.glob("3.12.*"))  # a real CPython build to pack like pbs does
    version = tuple(int(part) for part in prefix.name.split("."))
    release = "20990101"
    filename = f"cpython-{prefix.name}+{release}-{arch}-unknown-{system}-gnu-install_only.tar.gz"
    root = tmp_path_factory.mktemp("pbs-mirror")
    (root / release).mkdir()
    archive = build_install_only_archive(prefix, "3.12", root / release / filename)
    table = versions_table(version, release, filename, sha256_of(archive), system, arch)  # type: ignore[arg-type]
    (root / "versions.json").write_text(json.dumps(table))
    with MirrorServer(root) as server:
        yield server


def test_sigkill_during_interpreter_provisioning(
    pbs_mirror: MirrorServer, tmp_path: Path, offline_env: dict[str, str]
) -> None:
    exe = monotrail_exe()
    home = tmp_path / "home"
    (tmp_path / "empty-bin").mkdir()
    env = {
        **offline_env,
        "MONOTRAIL_HOME": str(home),
        "MONOTRAIL_LOG": "debug",
        "PATH": str(tmp_path / "empty-bin"),  # no Python 3.12 on this machine but monotrail's
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
        "HOME": str(tmp_path / "user-home"),
        "MONOTRAIL_PYTHON_MIRROR": pbs_mirror.url,
        "MONOTRAIL_PYTHON_DOWNLOADS_JSON": f"{pbs_mirror.url}/versions.json",
    }
    managed = home / "interpreters" / "managed"

    def installed() -> list[Path]:
        return sorted(p for p in managed.glob("*") if not p.name.startswith("."))

    def works(root: Path) -> bool:
        check = run([str(root / "bin" / "python3.12"), "-c", "import json, ssl"], tmp_path)
        return check.returncode == 0

    install = [exe, "python", "install", "3.12"]
    started = time.perf_counter()
    assert run(install, tmp_path, env).returncode == 0
    full_time = time.perf_counter() - started
    outcomes = []
    for number in range(PROVISION_TRIALS):
        shutil.rmtree(managed, ignore_errors=True)
        if number % 2 == 0:
            shutil.rmtree(home / "artifacts", ignore_errors=True)  # download it again
        rng = random.Random(f"{SEED}-python-{number}")
        moment = kill_at_random_moment(
            install, tmp_path, env, rng, full_time, lambda line: "monotrail" in line, 3, 1.5
        )
        unpacking = [p for p in (home / "tmp").glob("cpython-*") if p.is_dir()]
        shown = [p.name for p in installed()]
        where = (
            f"seed {SEED}, provisioning trial {number}: killed {moment}, installed {shown}, "
            f"{len(unpacking)} half-unpacked in tmp/ (never used)"
        )
        assert all(works(root) for root in installed()), where  # none, or a complete one
        outcomes.append(where)
    proc = run(install, tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert [root.name for root in installed()] == [Path(proc.stdout.strip()).parent.parent.name]
    assert works(installed()[0])
    print("\n".join(outcomes))
    # gc clears what the killed installs left in tmp/; the Python installed by name with
    # `python install` stays although no environment uses it (the user removes it by name).
    name = installed()[0].name
    proc = run([exe, "store", "gc"], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert "removed interpreter" not in proc.stdout, proc.stdout
    assert not list((home / "tmp").glob("cpython-*"))
    assert [root.name for root in installed()] == [name]
    proc = run([exe, "python", "remove", "3.12"], tmp_path, env)
    assert proc.returncode == 0 and installed() == [], proc.stderr


# ---------------------------------------------------------------------------------------------
# a full disk


@contextmanager
def small_disk(
    path: Path, size: str
) -> Iterator[tuple[Callable[[], None] | None, Callable[[], None]]]:
    """``path`` on a file system with ``size`` free: a tmpfs where mounting is allowed, else a
    file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail with EFBIG) for subprocesses.

    Yields (preexec_fn for subprocesses or None, a function that gives room again).
    """
    path.mkdir(parents=True, exist_ok=True)
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )
    limit = {"on": True}

    def preexec() -> None:
        if limit["on"]:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    def grow() -> None:
        if mounted:
            subprocess.run(["mount", "-o", "remount,size=256m", str(path)], check=True)
        limit["on"] = False

    try:
        yield (None if mounted else preexec), grow
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.parametrize("shape", ["one-big-file", "many-files"])
def test_full_disk_leaves_no_partial_entry(shape: str, index: IndexServer, tmp_path: Path) -> None:
    if shape == "one-big-file":
        files: dict[str, str | bytes] = {"bulky/blob.bin": b"\0" * (8 << 20)}
    else:  # enough files for store/unpack's helper process: it meets the full disk too
        files = {f"bulky/f{i:04d}.bin": bytes([i % 251]) * 4096 for i in range(2000)}
    build_wheel(index.root, "bulky", "1.0", {"bulky/__init__.py": "", **files})
    wheels = [
        "alpha-1.0-py3-none-any.whl",
        "beta-2.0-py3-none-any.whl",
        "bulky-1.0-py3-none-any.whl",
    ]
    project = write_pylock_project(tmp_path / "proj", index.root, index.files_url, wheels)
    home = tmp_path / "home"
    with small_disk(home, "4m") as (preexec, grow):
        env = pip_env({"PIP_INDEX_URL": index.url, "MONOTRAIL_HOME": str(home)})

        def install() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [monotrail_exe(), "install"],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
                preexec_fn=preexec,
            )

        proc = install()
        assert_one_line_error(proc, "cannot write")
        assert "No space left on device" in proc.stderr or "File too large" in proc.stderr
        assert not (home / "store" / "bulky" / "1.0" / "py3-none-any").exists()
        assert not [p for p in (home / "tmp").iterdir() if p.is_dir()]
        assert problems(home) == []
        grow()
        proc = install()
        assert proc.returncode == 0, proc.stderr
        entry = home / "store" / "bulky" / "1.0" / "py3-none-any"
        assert all((entry / name).is_file() for name in files)
        assert problems(home) == []


# ---------------------------------------------------------------------------------------------
# helpers die with their parent

#: When `monotrail install` alone is killed: so long after a helper whose command line has the
#: text appears (the unpacking helper, a bytecode worker).
HELPER_KILLS = (
    ("entry_files", 0.0),
    ("entry_files", 0.2),
    ("py_compile", 0.0),
    ("py_compile", 0.5),
)


def processes_mentioning(text: str) -> dict[int, str]:
    """Live processes whose command line contains ``text`` (zombies have none)."""
    found = {}
    for pid in os.listdir("/proc"):
        try:
            cmdline = Path("/proc", pid, "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if text in cmdline:
            found[int(pid)] = cmdline
    return found


def home_processes(home: Path) -> dict[int, str]:
    """Processes whose environment names ``home`` as MONOTRAIL_HOME (every helper of a run
    inherits it), with their command lines."""
    wanted = f"MONOTRAIL_HOME={home}".encode()
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            environ = Path("/proc", pid, "environ").read_bytes().split(b"\0")
            cmdline = Path("/proc", pid, "cmdline").read_bytes()
        except OSError:
            continue
        if wanted in environ:
            found[int(pid)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def wait_until_none(text: str, bound: float = 1.0) -> dict[int, str]:
    """The processes mentioning ``text`` still there after up to ``bound`` seconds."""
    deadline = time.monotonic() + bound
    while (left := processes_mentioning(text)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


def slow_wheel(out: Path) -> Path:
    """A wheel large enough for the unpacking helper, with modules slow enough to compile that
    its helpers would outlive a killed install by seconds (as numpy's do)."""
    body = "".join(f"def f{j}(x):\n    return [x + {j} for _ in range(3)]\n" for j in range(120))
    files = {f"slowpkg/m{i:04d}.py": body for i in range(unpack.HELPER_MIN_FILES + 100)}
    return build_wheel(out, "slowpkg", "1.0", {"slowpkg/__init__.py": "", **files})


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_helpers_die_with_a_sigkilled_install(tmp_path: Path, fixture_wheels: Path) -> None:
    root = tmp_path / "index"
    shutil.copytree(fixture_wheels, root)
    big = slow_wheel(root).name
    exe = monotrail_exe()
    with IndexServer(root) as index:
        wheels = [big, "alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"]
        project = write_pylock_project(tmp_path / "project", root, index.files_url, wheels)
        killed_with_helpers = 0
        for number, (helper, delay) in enumerate(HELPER_KILLS):
            home = tmp_path / f"home{number}"
            env = env_for(home, index)
            proc = subprocess.Popen(
                [exe, "install"], cwd=project, env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            deadline = time.monotonic() + 120
            while proc.poll() is None and not any(
                helper in cmdline for cmdline in home_processes(home).values()
            ):
                assert time.monotonic() < deadline, f"no {helper} helper ever started"
                time.sleep(0.01)
            time.sleep(delay)
            helpers = home_processes(home)
            proc.kill()
            proc.wait(timeout=30)
            killed_with_helpers += bool(helpers)
            deadline = time.monotonic() + 1.0
            while (left := home_processes(home)) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not left, f"trial {number} ({helper}, {delay}s): still running {left}"
            again = run([exe, "install"], project, env)
            assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
            assert problems(home) == []
        assert killed_with_helpers >= len(HELPER_KILLS) // 2


def test_a_helper_and_its_children_die_with_the_process_that_started_it(tmp_path: Path) -> None:
    marker = tmp_path / "helper-marker"
    listing = tmp_path / "listing.txt"
    listing.write_text("x")
    # A parent that starts a helper (a shell with a child shell), then waits forever.
    inner = f"sleep 60; : {marker}"
    command = ["sh", "-c", f"sh -c {shlex.quote(inner)} & sleep 61; : {marker}"]
    code = (
        "import sys, time; from monotrail._lifeline import Helper\n"
        f"Helper({command!r}, [{str(listing)!r}])\n"
        "print('started', flush=True); time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
    )  # fmt: skip
    assert parent.stdout is not None and parent.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 10
    while len(processes_mentioning(str(marker))) < 3:  # the supervisor and two shells
        assert time.monotonic() < deadline
        time.sleep(0.01)
    parent.kill()
    parent.wait(timeout=30)
    assert not wait_until_none(str(marker))
    assert not listing.exists()


# ---------------------------------------------------------------------------------------------
# damaged entries


def _damage_entry_json(entry: Path) -> str:
    (entry / ".monotrail-data" / "entry.json").unlink()
    return "it has no .monotrail-data/entry.json"


def _damage_record(entry: Path) -> str:
    (entry / "alpha-1.0.dist-info" / "RECORD").unlink()
    return "its .dist-info/RECORD is missing"


@pytest.mark.parametrize("damage", [_damage_entry_json, _damage_record])
def test_install_heals_a_damaged_entry_of_the_writable_store(
    index: IndexServer, tmp_path: Path, damage: Callable[[Path], str]
) -> None:
    exe = monotrail_exe()
    home = tmp_path / "home"
    env = env_for(home, index)
    wheels = ["alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"]
    project = write_pylock_project(tmp_path / "project", index.root, index.files_url, wheels)
    assert run([exe, "install"], project, env).returncode == 0
    entry = home / "store" / "alpha" / "1.0" / "py3-none-any"
    problem = damage(entry)
    (project / "pylock.toml").write_text((project / "pylock.toml").read_text() + "\n")  # slow path
    proc = run([exe, "install"], project, env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    repaired = [line for line in proc.stderr.splitlines() if "damaged store entry" in line]
    assert repaired == [
        f"repairing damaged store entry alpha 1.0 (py3-none-any): {problem}; unpacking it again"
    ], proc.stderr
    assert problems(home) == []
    proc = run([exe, "store", "verify"], project, env)
    assert proc.returncode == 0 and proc.stdout.strip() == "checked 2 entries: all sound"
    proc = run([exe, "run", "python", "-c", "import alpha, beta; print(beta.VALUE)"], project, env)
    assert proc.stdout.strip() == "beta-2", proc.stderr


def test_a_damaged_entry_of_a_read_only_store_stops_with_the_repair_command(
    index: IndexServer, tmp_path: Path
) -> None:
    exe = monotrail_exe()
    shared = tmp_path / "shared"
    wheels = ["alpha-1.0-py3-none-any.whl"]
    first = write_pylock_project(tmp_path / "first", index.root, index.files_url, wheels)
    shared_env = env_for(shared, index)
    assert run([exe, "install"], first, shared_env).returncode == 0
    entry = shared / "store" / "alpha" / "1.0" / "py3-none-any"
    _damage_entry_json(entry)
    layered_env = {**shared_env, "MONOTRAIL_HOME": str(tmp_path / "own")}
    layered_env["MONOTRAIL_STORES"] = str(shared)
    second = write_pylock_project(tmp_path / "second", index.root, index.files_url, wheels)
    with read_only(shared):
        proc = run([exe, "install"], second, layered_env)
        assert_one_line_error(proc, str(entry), "monotrail store verify --repair")
    assert not (entry / ".monotrail-data" / "entry.json").exists()  # never touched


# ---------------------------------------------------------------------------------------------
# layered stores


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` read-only for real: a read-only bind mount as root, else no write bits."""
    bound = (
        os.geteuid() == 0
        and subprocess.run(["mount", "--bind", str(path), str(path)]).returncode == 0
    )
    if not bound and os.geteuid() == 0:
        pytest.skip("root without the right to mount: no way to make a folder read-only")
    try:
        if bound:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
        else:
            subprocess.run(["chmod", "-R", "a-w", str(path)], check=True)
        assert not os.access(path, os.W_OK)
        yield
    finally:
        if bound:
            subprocess.run(["umount", "-l", str(path)], check=False)
        else:
            subprocess.run(["chmod", "-R", "u+w", str(path)], check=False)


def test_read_only_store_is_used_in_place_and_new_entries_go_to_the_writable_one(
    index: IndexServer, tmp_path: Path
) -> None:
    exe = monotrail_exe()
    shared = tmp_path / "shared"
    alpha = ["alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"]
    first = write_pylock_project(tmp_path / "first", index.root, index.files_url, alpha)
    shared_env = pip_env({"PIP_INDEX_URL": index.url, "MONOTRAIL_HOME": str(shared)})
    assert run([exe, "install"], first, shared_env).returncode == 0
    assert run([exe, "run", "python", "-c", "pass"], first, shared_env).returncode == 0
    own = tmp_path / "own"
    layered_env = {**shared_env, "MONOTRAIL_HOME": str(own), "MONOTRAIL_STORES": str(shared)}
    wheels = [*alpha, "withpth-1.0-py3-none-any.whl"]
    second = write_pylock_project(tmp_path / "second", index.root, index.files_url, wheels)
    with read_only(shared):
        proc = run([exe, "install"], second, layered_env)
        assert proc.returncode == 0, proc.stderr
        assert "1 added, 2 already in the store" in proc.stdout
        assert [p.relative_to(own / "store").parts[0] for p in entry_dirs(own)] == ["withpth"]
        code = "import alpha, beta, withpth_hook; print(alpha.__file__); print(beta.VALUE)"
        proc = run([exe, "run", "python", "-c", code], second, layered_env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines() == [
            str(shared / "store/alpha/1.0/py3-none-any/alpha/__init__.py"),
            "beta-2",
        ]
        proc = run([exe, "store", "list"], second, layered_env)
        listed = next(line for line in proc.stdout.splitlines() if line.startswith("alpha "))
        assert listed.endswith(f"[read-only store {shared}]")
        assert f"used by 1 env: {second}" in listed
        proc = run([exe, "store", "verify"], second, layered_env)
        assert proc.stdout.strip() == "checked 3 entries: all sound", proc.stdout + proc.stderr
        assert run([exe, "store", "gc"], second, layered_env).returncode == 0
        # The read-only store alone: its environments still start; a new entry has nowhere to go.
        proc = run([exe, "run", "python", "-c", "import alpha; print('ok')"], first, shared_env)
        assert proc.stdout.strip() == "ok", proc.stderr
        dataful = ["dataful-1.0-py3-none-any.whl"]
        third = write_pylock_project(tmp_path / "third", index.root, index.files_url, dataful)
        proc = run([exe, "install"], third, shared_env)
        assert_one_line_error(proc, f"new store entries would go to {shared / 'store'}")
        assert "MONOTRAIL_HOME" in proc.stderr
    # A read-only store that holds nothing yet (not even interpreter facts) says the same.
    empty = tmp_path / "empty"
    empty.mkdir()
    with read_only(empty):
        for command in (["install"], ["run", "python", "-c", "pass"]):
            proc = run([exe, *command], third, {**shared_env, "MONOTRAIL_HOME": str(empty)})
            assert_one_line_error(proc, f"new store entries would go to {empty / 'store'}")
