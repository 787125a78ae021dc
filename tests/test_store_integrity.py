"""Entries complete when visible and read-only after, damage found and healed, and the gc lock
held by every program of an environment; repeated SIGKILL of installs, bytecode compilation,
sdist builds and gc, each followed by a check that the killed run left no process and changed
nothing outside the store's ``tmp/`` once dead.

Everything is real: `monotrail` subprocesses, wheels and an sdist with a real PEP 517 backend on a
local index, kernel signals, /proc.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import monotrail_exe, run
from support.index_server import IndexServer
from support.many_wheels import write_pylock_project
from support.wheels import build_sdist, build_wheel
from test_from_git import repo  # noqa: F401 - the fixture of a real repository
from test_large_wheel import large_wheel
from test_pip_monotrail import make_venv
from test_store_faults import env_for, home_processes, problems

#: SIGKILLs per scenario; MONOTRAIL_KILL_TRIALS runs more by hand, MONOTRAIL_FAULT_SEED replays.
KILLS = int(os.environ.get("MONOTRAIL_KILL_TRIALS", "5"))
SEED = int(os.environ.get("MONOTRAIL_FAULT_SEED", str(time.time_ns() % 1_000_000)))
ALPHA_BETA = ["alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"]


def as_unprivileged(command: list[str]) -> list[str]:
    """``command`` without the right to write files regardless of their mode (root's
    CAP_DAC_OVERRIDE), as every user but root runs."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--bounding-set", "-dac_override", *command]


# ---------------------------------------------------------------------------------------------
# complete and read-only entries


def test_entries_are_published_compiled_and_read_only(
    index: IndexServer, tmp_path: Path, offline_env: dict[str, str], home: Path
) -> None:
    exe = monotrail_exe()
    wheels = [*ALPHA_BETA, "dataful-1.0-py3-none-any.whl"]
    project = write_pylock_project(tmp_path / "project", index.root, index.files_url, wheels)
    proc = subprocess.run(
        [exe, "install"], cwd=project, env=offline_env, capture_output=True, text=True,
        preexec_fn=lambda: os.umask(0o022),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    entry = home / "store" / "alpha" / "1.0" / "py3-none-any"
    [marker] = (entry / ".monotrail-data").glob("compiled-*")
    tag = marker.name.removeprefix("compiled-")  # the cache tag of the project's interpreter
    modes = {}
    for path in entry.rglob("*"):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir():
            assert mode & stat.S_IWUSR, path  # folders stay writable: gc and later bytecode
        else:
            modes[str(path.relative_to(entry))] = mode
    assert modes["alpha/__init__.py"] == 0o444
    assert modes[f"alpha/__pycache__/__init__.{tag}.pyc"] == 0o444
    assert modes[f".monotrail-data/compiled-{tag}"] == 0o444
    assert modes[".monotrail-data/entry.json"] == 0o444
    assert not [name for name, mode in modes.items() if mode & 0o222], modes
    # The code object names the file's place in the store, not the folder it was compiled in.
    pyc = entry / "alpha" / "__pycache__" / f"__init__.{tag}.pyc"
    code = f"import marshal; print(marshal.loads(open({str(pyc)!r}, 'rb').read()[16:]).co_filename)"
    proc = run([exe, "run", "python", "-c", code], project, offline_env)
    assert proc.stdout.strip() == str(entry / "alpha" / "__init__.py"), proc.stderr


def test_a_write_through_a_venv_link_fails_and_the_store_stays_whole(
    tmp_path: Path, offline_env: dict[str, str], home: Path, fixture_wheels: Path
) -> None:
    exe = monotrail_exe()
    venv = make_venv(tmp_path / "venv")
    wheel = fixture_wheels / "alpha-1.0-py3-none-any.whl"
    proc = run([exe, "venv-install", "-p", str(venv), str(wheel)], tmp_path, offline_env)
    assert proc.returncode == 0, proc.stderr
    site = next((venv / "lib").glob("python3*/site-packages"))
    linked = site / "alpha" / "__init__.py"
    stored = home / "store" / "alpha" / "1.0" / "py3-none-any" / "alpha" / "__init__.py"
    assert os.path.samefile(linked, stored)  # a hard link: one file
    before = stored.read_bytes()
    edit = [str(venv / "bin" / "python"), "-c", f"open({str(linked)!r}, 'a').write('X = 1\\n')"]
    proc = run(as_unprivileged(edit), tmp_path, offline_env)
    assert proc.returncode != 0 and "PermissionError" in proc.stderr, proc.stderr
    assert stored.read_bytes() == before
    proc = run([exe, "store", "verify"], tmp_path, offline_env)
    assert proc.returncode == 0 and "all sound" in proc.stdout, proc.stdout
    # pip replaces what it upgrades (unlink, then a new file): that still works in the venv.
    proc = run([str(venv / "bin" / "python"), "-m", "pip", "uninstall", "-y", "alpha"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not linked.exists() and stored.read_bytes() == before


# ---------------------------------------------------------------------------------------------
# damaged entries


def _truncate(path: Path) -> None:
    path.chmod(0o644)  # entry files are read-only: damage is done on purpose here
    path.write_bytes(path.read_bytes()[:3])


def test_damage_is_healed_where_install_sees_it_and_named_by_verify_elsewhere(
    index: IndexServer, tmp_path: Path, offline_env: dict[str, str], home: Path
) -> None:
    exe = monotrail_exe()
    wheels = [*ALPHA_BETA, "dataful-1.0-py3-none-any.whl"]
    project = write_pylock_project(tmp_path / "project", index.root, index.files_url, wheels)
    assert run([exe, "install"], project, offline_env).returncode == 0
    store = home / "store"
    (store / "alpha/1.0/py3-none-any/.monotrail-data/entry.json").unlink()
    (store / "beta/2.0/py3-none-any/beta.py").unlink()
    _truncate(store / "dataful/1.0/py3-none-any/dataful/data.txt")
    (project / "pylock.toml").write_text((project / "pylock.toml").read_text() + "\n")
    proc = run([exe, "install"], project, offline_env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    healed = [line for line in proc.stderr.splitlines() if "damaged store entry" in line]
    assert len(healed) == 1 and "alpha 1.0" in healed[0], proc.stderr
    proc = run([exe, "store", "verify"], project, offline_env)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    named = sorted(line for line in proc.stdout.splitlines() if line.startswith("broken: "))
    assert named == [
        "broken: beta 2.0 (py3-none-any): beta.py is missing",
        "broken: dataful 1.0 (py3-none-any): dataful/data.txt has 3 bytes, its RECORD entry says 8",
    ], proc.stdout
    proc = run([exe, "store", "verify", "--repair"], project, offline_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert problems(home) == []
    code = "import alpha, beta, dataful; print(beta.VALUE, dataful.by_file())"
    proc = run([exe, "run", "python", "-c", code], project, offline_env)
    assert proc.stdout.strip() == "beta-2 payload", proc.stderr


# ---------------------------------------------------------------------------------------------
# the gc lock of programs started directly, git checkouts


def test_a_console_script_started_directly_keeps_its_environment_from_gc(
    index: IndexServer, tmp_path: Path, offline_env: dict[str, str], home: Path
) -> None:
    exe = monotrail_exe()
    waiter_py = "import sys\ndef main():\n    print('ready', flush=True)\n    sys.stdin.read()\n"
    build_wheel(
        index.root,
        "waiter",
        "1.0",
        {"waiter.py": waiter_py},
        entry_points={"console_scripts": {"waiter": "waiter:main"}},
    )
    wheels = ["waiter-1.0-py3-none-any.whl"]
    project = write_pylock_project(tmp_path / "project", index.root, index.files_url, wheels)
    assert run([exe, "install"], project, offline_env).returncode == 0
    [script] = (home / "envs").glob("*/bin/waiter")
    waiter = subprocess.Popen(
        [str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={k: v for k, v in offline_env.items() if not k.startswith("MONOTRAIL_ENV")},
    )  # fmt: skip
    try:
        assert waiter.stdout is not None and waiter.stdout.readline().strip() == "ready"
        shutil.rmtree(project)  # its environment is dead now, but a program still uses it
        proc = run([exe, "store", "gc"], tmp_path, offline_env)
        assert proc.returncode == 0, proc.stderr
        assert "kept " in proc.stdout and "but in use" in proc.stdout, proc.stdout
        assert (home / "store" / "waiter").is_dir()
    finally:
        waiter.communicate("")
    assert waiter.returncode == 0
    proc = run([exe, "store", "gc"], tmp_path, offline_env)
    assert "removed 1 environments, 1 entries" in proc.stdout, proc.stdout
    assert not (home / "store" / "waiter").exists()


def test_gc_collects_git_checkouts_no_environment_uses(
    repo: tuple[str, str, str],  # noqa: F811 - the fixture
    tmp_path: Path,
    offline_env: dict[str, str],
    home: Path,
) -> None:
    exe = monotrail_exe()
    url, first, tag = repo
    hello = ["python", "-c", "import gitpkg; print(gitpkg.hello())"]
    for rev in (first, tag):
        proc = run([exe, "from-git", url, rev, *hello], tmp_path, offline_env)
        assert proc.returncode == 0, proc.stderr
    checkouts = {p.name: p for p in (home / "git").glob("*/*") if p.is_dir()}
    assert set(checkouts) == {first, tag}
    # The environment of the first revision is gone (removed by hand, say); both checkouts
    # are older than an hour, so neither can be a from-git run's that has no record yet.
    for record in (home / "envs").glob("*.record"):
        if first in record.read_bytes().decode(errors="replace"):
            record.unlink()
    for checkout in checkouts.values():
        old = time.time() - 7200
        os.utime(checkout, (old, old))
    proc = run([exe, "store", "gc", "-v"], tmp_path, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert f"git checkout {checkouts[first].parent.name}/{first}" in proc.stdout, proc.stdout
    assert not checkouts[first].exists() and checkouts[tag].is_dir()
    proc = run([exe, "from-git", url, tag, *hello], tmp_path, offline_env)
    assert proc.stdout.strip() == "gitpkg 2 beta old-beta", proc.stderr
    proc = run([exe, "from-git", url, first, *hello], tmp_path, offline_env)  # fetched again
    assert proc.stdout.strip() == "gitpkg 1 beta beta-2", proc.stderr


# ---------------------------------------------------------------------------------------------
# SIGKILL at random moments: no process left, nothing changing after


def session_processes(sid: int) -> dict[int, str]:
    """Live processes of session ``sid`` (the killed run started one: every process it started
    is in it, whatever process group it moved to), with their command lines."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path("/proc", pid, "stat").read_text().rpartition(")")[2].split()
            cmdline = Path("/proc", pid, "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found[int(pid)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def snapshot(home: Path) -> dict[str, tuple[int, int, int]]:
    """Every path below ``home`` but ``tmp/``: (size, mtime, mode)."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(home):
        if dirpath == str(home):
            dirnames[:] = [d for d in dirnames if d != "tmp"]
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            seen[os.path.relpath(path, home)] = (info.st_size, info.st_mtime_ns, info.st_mode)
    return seen


def kill_and_check(
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    home: Path,
    moment: Callable[[], None],
    group: bool,
) -> str:
    """Start ``cmd`` in a session of its own, call ``moment()`` (which waits for the moment to
    kill), SIGKILL the command's process alone or (``group``) its process group, and check that
    within 300 ms no process of its session remains and that nothing outside ``tmp/`` changes
    after. Returns what it saw."""
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        moment()
    finally:
        finished = proc.poll() is not None
        helpers = len(session_processes(proc.pid)) - 1
        if group:  # as a closed terminal or `kill -9 -PGID` does
            with contextlib.suppress(ProcessLookupError):  # the run had finished
                os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait(timeout=30)
    deadline = time.monotonic() + 0.3
    while (left := session_processes(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not left, f"still running 300 ms after the kill: {left}"
    before = snapshot(home)
    time.sleep(0.3)
    assert snapshot(home) == before, "the store changed after the killed run was gone"
    return "it had finished" if finished else f"killed with {helpers} other processes"


def wait_for_process(
    home: Path, text: str, rng: random.Random, spread: float
) -> Callable[[], None]:
    """A moment: up to ``spread`` seconds after a process whose command line or environment
    mentions ``text`` and ``home`` appears (or the run ends)."""

    def moment() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(text in cmdline for cmdline in home_processes(home).values()):
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0, spread))

    return moment


def sleep_for(seconds: float) -> Callable[[], None]:
    """A moment: ``seconds`` after the start."""
    return lambda: time.sleep(seconds)


def after_next_install(
    cmd: list[str], cwd: Path, env: dict[str, str], home: Path, where: str
) -> None:
    proc = run(cmd, cwd, env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, (where, proc.stderr)
    assert problems(home) == [], where


BACKEND = '''\
"""A PEP 517 backend whose build runs a child process (a "compiler") for a while."""
import base64, hashlib, os, subprocess, sys, time, zipfile

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    subprocess.run([sys.executable, "-c", "import time; time.sleep(0.6)"], check=True)
    name = "built-1.0-py3-none-any.whl"
    files = {
        "built/__init__.py": b"VALUE = 'built'\\n",
        "built-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: built\\nVersion: 1.0\\n",
        "built-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
        ),
    }
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append("built-1.0.dist-info/RECORD,,")
        archive.writestr("built-1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
    return name
'''


def sdist_project(root: Path, index: IndexServer) -> Path:
    """A project locking ``built``, published as an sdist only, whose backend ``slowbackend``
    (a wheel on the index) the isolated build installs with pip first."""
    build_wheel(index.root, "slowbackend", "1.0", {"slowbackend.py": BACKEND})
    pyproject = (
        '[build-system]\nrequires = ["slowbackend"]\nbuild-backend = "slowbackend"\n\n'
        '[project]\nname = "built"\nversion = "1.0"\n'
    )
    sdist = build_sdist(index.root, "built", "1.0", {"pyproject.toml": pyproject})
    import hashlib

    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    root.mkdir(parents=True, exist_ok=True)
    url = f"{index.files_url}{sdist.name}"
    (root / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "monotrail-tests"\n\n[[packages]]\nname = "built"\n'
        f'version = "1.0"\nsdist = {{ name = "{sdist.name}", url = "{url}", '
        f'hashes = {{ sha256 = "{digest}" }} }}\n'
    )
    return root


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("scenario", ["unpack", "bytecode", "sdist-build", "gc"])
def test_sigkill_leaves_no_process_and_nothing_changing(
    scenario: str, tmp_path: Path, fixture_wheels: Path
) -> None:
    root = tmp_path / "index"
    shutil.copytree(fixture_wheels, root)
    exe = monotrail_exe()
    outcomes = []
    with IndexServer(root) as index:
        if scenario == "sdist-build":
            project = sdist_project(tmp_path / "project", index)
        else:
            wheels = [large_wheel(root).name, *ALPHA_BETA]
            project = write_pylock_project(tmp_path / "project", root, index.files_url, wheels)
        home = tmp_path / "home"
        env = env_for(home, index)
        install = [exe, "install"]
        assert run(install, project, env).returncode == 0  # artifacts cached; timings known

        def make_garbage() -> None:
            garbage = tmp_path / "garbage"
            shutil.copytree(project, garbage, dirs_exist_ok=True)
            assert run(install, garbage, env).returncode == 0
            shutil.rmtree(garbage)  # a dead environment: gc removes its entries
            for record in (home / "envs").glob("*.record"):
                record.unlink()

        if scenario == "gc":  # how long a whole gc takes here: the kills land within it
            make_garbage()
            started = time.monotonic()
            assert run([exe, "store", "gc"], project, env).returncode == 0
            gc_time = time.monotonic() - started
        for number in range(KILLS):
            rng = random.Random(f"{SEED}-{scenario}-{number}")
            if scenario == "gc":
                make_garbage()
                cmd = [exe, "store", "gc"]
                moment = sleep_for(rng.uniform(0.05, 0.9) * gc_time)
            else:
                shutil.rmtree(home / "store", ignore_errors=True)
                shutil.rmtree(home / "envs", ignore_errors=True)
                if scenario == "sdist-build":
                    shutil.rmtree(home / "artifacts" / "built", ignore_errors=True)
                cmd = install
                text = {"unpack": "entry_files", "bytecode": "py_compile"}.get(
                    scenario,
                    "monotrail.fetch.sdist_build",  # then pip, then the backend
                )
                spread = {"unpack": 0.2, "bytecode": 0.4}.get(scenario, 2.0)
                moment = wait_for_process(home, text, rng, spread)
            group = number % 2 == 1
            seen = kill_and_check(cmd, project, env, home, moment, group)
            whom = "its process group" if group else "the process"
            where = f"seed {SEED}, {scenario} kill {number} of {whom}: {seen}"
            assert problems(home) == [], where
            after_next_install(install, project, env, home, where)
            outcomes.append(where)
    print("\n".join(outcomes))
    landed = [o for o in outcomes if "killed with" in o]
    assert len(landed) >= KILLS // 2, outcomes
    if scenario != "gc":
        assert any(not o.endswith(" 0 other processes") for o in landed), outcomes
