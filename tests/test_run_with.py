"""`monotrail run --with REQ` / `--with-requirements FILE`, and `run` outside any project:
packages added for one run, resolved with the project's locked versions kept, cached like any
environment; against the localhost index, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_one_line_error, monotrail_exe, run
from support.importtime import heavy_imports
from support.index_server import IndexServer
from support.wheels import build_wheel
from test_uv_lock import HEAD, lock

pytestmark = pytest.mark.slow

#: An index nobody answers on: a run that asked pip or fetched anything would fail.
DEAD_INDEX = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple/", "MONOTRAIL_LOG": "debug"}

#: Prints ``{distribution: version}`` of every distribution the program sees.
VERSIONS = (
    "import importlib.metadata as md, json\n"
    "print(json.dumps({d.metadata['Name']: d.version for d in md.distributions()}))\n"
)


def more_packages(index: IndexServer) -> None:
    """Packages the fixture index lacks: one that wants any beta, one that wants beta<2."""
    build_wheel(index.root, "epsilon", "1.0", {"epsilon.py": "import beta\n"}, requires=["beta"])
    build_wheel(index.root, "gamma", "1.0", {"gamma.py": "import beta\n"}, requires=["beta<2"])


@pytest.fixture
def uv_project(tmp_path: Path, index: IndexServer) -> Path:
    """A uv project whose uv.lock (made by `uv lock`) pins beta 1.0, though 2.0 exists."""
    more_packages(index)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(HEAD + 'dependencies = ["beta==1.0"]\n')
    lock(project, index, tmp_path)
    return project


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder in no project."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def versions(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """What ``VERSIONS`` printed."""
    assert proc.returncode == 0, proc.stderr
    found: dict[str, str] = json.loads(proc.stdout)
    return found


def test_with_adds_to_a_locked_project_and_keeps_its_pins(
    uv_project: Path, offline_env: dict[str, str], home: Path
) -> None:
    exe = monotrail_exe()
    plain = run([exe, "run", "python", "-c", VERSIONS], uv_project, offline_env)
    assert versions(plain) == {"demo": "0.1.0", "beta": "1.0"}
    # epsilon wants any beta: on its own pip would take 2.0; the lock's 1.0 is kept.
    added = ["--with", "epsilon", "--with", "nsa-one"]
    proc = run([exe, "run", *added, "python", "-c", VERSIONS], uv_project, offline_env)
    assert versions(proc) == {"demo": "0.1.0", "beta": "1.0", "epsilon": "1.0", "nsa-one": "1.0"}
    assert "Resolved 2 packages" in proc.stderr
    code = "import epsilon, nsa.one, beta; print(beta.VALUE, nsa.one.NAME)"
    proc = run([exe, "run", *added, "python", "-c", code], uv_project, offline_env)
    assert proc.stdout.strip() == "old-beta one", proc.stderr
    # The project's own environment is unchanged by it.
    again = run([exe, "run", "python", "-c", "import epsilon"], uv_project, offline_env)
    assert again.returncode == 1 and "No module named 'epsilon'" in again.stderr

    # The repeat run: no resolution, no index, nothing imported beyond the standard library.
    warm = [sys.executable, "-X", "importtime", exe, "run", *added, "python", "-c", code]
    proc = run(warm, uv_project, {**offline_env, **DEAD_INDEX})
    assert proc.returncode == 0, proc.stderr
    assert "old-beta one" in proc.stdout
    assert "fast path, env record" in proc.stderr and "Resolv" not in proc.stderr
    assert heavy_imports(proc.stderr) == []
    # Its env record gone (gc, a new monotrail), the resolution is still remembered.
    for record in (home / "envs").glob("*.record"):
        record.unlink()
    proc = run(
        [exe, "run", *added, "python", "-c", code], uv_project, {**offline_env, **DEAD_INDEX}
    )
    assert proc.stdout.strip() == "old-beta one", proc.stderr
    assert "Resolv" not in proc.stderr and "reusing the resolution" in proc.stderr


def test_conflict_with_the_lock_is_one_line_naming_both_sides(
    uv_project: Path, offline_env: dict[str, str]
) -> None:
    exe = monotrail_exe()
    lock_file = str(uv_project / "uv.lock")
    proc = run([exe, "run", "--with", "beta>=2", "python", "-c", "pass"], uv_project, offline_env)
    assert_one_line_error(proc, "--with beta>=2", f"{lock_file} pins beta 1.0")
    # Through a dependency: pip's reason, in the terms of the command line and the lock.
    proc = run([exe, "run", "--with", "alpha", "python", "-c", "pass"], uv_project, offline_env)
    assert_one_line_error(proc, "--with alpha", "alpha 1.0 depends on beta>=2", lock_file)
    proc = run([exe, "run", "--with", "no-such-pkg", "python"], uv_project, offline_env)
    assert_one_line_error(proc, "--with no-such-pkg: pip could not resolve", "no-such-pkg")


def test_with_requirements_file_in_a_requirements_project(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    more_packages(index)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("alpha\n")
    extra = tmp_path / "extra.txt"
    extra.write_text("nsa-one\n-r more.txt\n")
    (tmp_path / "more.txt").write_text("withpth\n")
    exe = monotrail_exe()
    added = ["--with-requirements", "../extra.txt"]
    proc = run([exe, "run", *added, "python", "-c", VERSIONS], project, offline_env)
    expected = {"alpha": "1.0", "beta": "2.0", "nsa-one": "1.0", "withpth": "1.0"}
    assert versions(proc) == expected
    # An include changed: the environment follows it.
    (tmp_path / "more.txt").write_text("dataful\n")
    proc = run([exe, "run", *added, "python", "-c", VERSIONS], project, offline_env)
    del expected["withpth"]
    assert versions(proc) == {**expected, "dataful": "1.0"}
    # The locked beta 2.0 against a requirement in the file that wants it older.
    extra.write_text("gamma\n")
    proc = run([exe, "run", *added, "python", "-c", "pass"], project, offline_env)
    assert_one_line_error(
        proc,
        f"--with-requirements {extra}",
        "gamma 1.0 depends on beta<2",
        f"{project / 'requirements.txt'} pins beta==2.0",
    )
    proc = run([exe, "run", "--with-requirements", "nope.txt", "python"], project, offline_env)
    assert_one_line_error(proc, f"{project / 'nope.txt'}: no such file")


def test_outside_a_project(outside: Path, index: IndexServer, offline_env: dict[str, str]) -> None:
    more_packages(index)
    exe = monotrail_exe()
    # Just the interpreter: the standard library, no site-packages, no packages.
    code = "import sys; print(sys.version_info[:2], [p for p in sys.path if 'site-packages' in p])"
    proc = run([exe, "run", "-p", "3.12", "python", "-c", code], outside, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(3, 12) []"
    proc = run([exe, "run", "python", "-c", VERSIONS], outside, offline_env)
    assert versions(proc) == {}
    # With packages: resolved alone, then the repeat run starts from the env record.
    added = ["--with", "alpha", "--with", "nsa-one"]
    proc = run([exe, "run", *added, "python", "-c", VERSIONS], outside, offline_env)
    assert versions(proc) == {"alpha": "1.0", "beta": "2.0", "nsa-one": "1.0"}
    proc = run([exe, "run", *added, "command", "alpha-cli", "x"], outside, offline_env)
    assert proc.stdout.strip() == "alpha-cli beta-2 x", proc.stderr
    warm = [sys.executable, "-X", "importtime", exe, "run", *added, "python", "-c", VERSIONS]
    proc = run(warm, outside, {**offline_env, **DEAD_INDEX})
    assert versions(proc) == {"alpha": "1.0", "beta": "2.0", "nsa-one": "1.0"}
    assert "fast path, env record" in proc.stderr and heavy_imports(proc.stderr) == []
    # What needs a project still says so in one line.
    proc = run([exe, "run", "command", "alpha-cli"], outside, offline_env)
    assert_one_line_error(proc, "no project found in")
    proc = run([exe, "run", "-E", "plotting", "python"], outside, offline_env)
    assert_one_line_error(proc, "no project found in", "-E/--group")
    proc = run([exe, "run", "--with", "alpha", "--with", "gamma", "python"], outside, offline_env)
    assert_one_line_error(proc, "cannot be installed together", "alpha 1.0 depends on beta>=2")
    script = outside / "tool.py"
    script.write_text('# /// script\n# dependencies = ["alpha"]\n# ///\nimport alpha\n')
    proc = run([exe, "run", "--with", "nsa-one", "python", "tool.py"], outside, offline_env)
    assert_one_line_error(proc, f"{script}: --with adds to a project", "# /// script")


def test_run_help_documents_with() -> None:
    proc = run([monotrail_exe(), "run", "--help"], Path.cwd())
    assert proc.returncode == 0
    assert "--with REQUIREMENT" in proc.stdout and "--with-requirements FILE" in proc.stdout
    assert "monotrail run --with rich python" in proc.stdout
    assert "Outside any project" in proc.stdout
