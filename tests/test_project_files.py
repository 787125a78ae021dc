"""Which file decides, PEP 735 dependency groups everywhere, resolutions reused by content.

Offline against the localhost index: a PEP 621 project without a lock is locked by Poetry's
solver into the store (its folder stays as it was) and runs its own pytest suite; a Poetry 2
project with ``[dependency-groups]`` keeps its poetry.lock; uv's group options on a real
``uv lock``; a pinned requirements.txt resolved in one folder is ready in another without pip;
``monotrail show`` and ``run -v`` say which file, interpreter and env key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import assert_one_line_error, monotrail_exe, run
from support.index_server import IndexServer
from test_uv_lock import GROUPS, IMPORTABLE, files_of, make_project

pytestmark = pytest.mark.slow

#: pytest and what a universal lock of it needs from Python 3.11 on (colorama: Windows).
PYTEST_WHEELS = ["pytest", "pluggy", "iniconfig", "packaging", "pygments"]


@pytest.fixture(scope="session")
def pytest_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheels of the pytest this suite runs with (and colorama), from pip's own index
    configuration (a local mirror on an offline machine)."""
    folder = tmp_path_factory.mktemp("pytest-wheels")
    wanted = [f"{name}=={version(name)}" for name in PYTEST_WHEELS] + ["colorama"]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
    proc = subprocess.run(
        [*command, "-d", str(folder), *wanted], capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        pytest.skip(f"pip cannot download pytest's wheels here: {proc.stderr.strip()[-300:]}")
    return folder


@pytest.fixture
def suite_index(index: IndexServer, pytest_wheels: Path) -> IndexServer:
    """The localhost index with the fixture packages and pytest's wheels."""
    for wheel in pytest_wheels.iterdir():
        shutil.copy(wheel, index.root)
    return index


@pytest.fixture
def env(offline_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The offline environment; nothing of pytest's (bytecode, cache) lands in the folder."""
    return {
        **offline_env,
        "PYTHONDONTWRITEBYTECODE": "1",
        "POETRY_CACHE_DIR": str(tmp_path / "poetry-cache"),
    }


SETUPTOOLS_PROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "calc"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["alpha>=1"]

[dependency-groups]
test = [
    "pytest",
    {include-group = "lint"},
    "dataful; python_version < '3.0'",
]
lint = ["withpth"]
docs = ["nsa-one"]
"""

SUITE = """\
import importlib.util

import alpha
import withpth_hook
from calc import add


def test_add():
    assert add(2, 3) == 5
    assert alpha.__version__ == "1.0"


def test_marker_keeps_dataful_out():
    assert importlib.util.find_spec("dataful") is None
"""


def make_setuptools_project(folder: Path, pyproject: str = SETUPTOOLS_PROJECT) -> Path:
    (folder / "calc").mkdir(parents=True)
    (folder / "calc" / "__init__.py").write_text("def add(a, b):\n    return a + b\n")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_calc.py").write_text(SUITE)
    (folder / "pyproject.toml").write_text(pyproject)
    return folder


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and folder below ``folder``: content and modification time."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def test_pep621_project_without_a_lock_runs_its_suite_and_its_folder_stays_as_it_was(
    tmp_path: Path, suite_index: IndexServer, env: dict[str, str], home: Path
) -> None:
    project = make_setuptools_project(tmp_path / "calc")
    before = snapshot(project)
    exe = monotrail_exe()
    pytest_args = ["command", "pytest", "-q", "-p", "no:cacheprovider"]
    proc = run([exe, "run", "--group", "test", *pytest_args], project, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
    assert "with Poetry's solver" in proc.stderr
    assert snapshot(project) == before  # no poetry.lock, no build output, nothing touched
    assert list((home / "resolutions").glob("*.poetry.lock"))  # the lock is in the store

    # Without --group the default groups of uv apply: this project has no `dev`.
    names = ["alpha", "withpth_hook", "pytest", "nsa"]
    proc = run([exe, "run", "python", "-c", IMPORTABLE, *names], project, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["alpha"]
    assert "Resolv" not in proc.stderr  # the lock kept in the store serves every selection
    proc = run(
        [exe, "run", "--only-group", "lint", "python", "-c", IMPORTABLE, *names], project, env
    )
    assert proc.stdout.split() == ["withpth_hook"], proc.stderr
    proc = run([exe, "run", "--all-groups", "python", "-c", IMPORTABLE, *names], project, env)
    assert proc.stdout.split() == names, proc.stderr
    args = [exe, "run", "--all-groups", "--no-group", "test", "python", "-c", IMPORTABLE, *names]
    proc = run(args, project, env)
    assert proc.stdout.split() == ["alpha", "withpth_hook", "nsa"], proc.stderr
    proc = run([exe, "run", "--group", "tests", "python", "-c", "pass"], project, env)
    assert_one_line_error(proc, "pyproject.toml", "unknown group tests", "docs, lint, test")
    assert snapshot(project) == before


def test_uv_default_groups_and_include_cycles_in_a_lockless_project(
    tmp_path: Path, suite_index: IndexServer, env: dict[str, str]
) -> None:
    exe = monotrail_exe()
    defaults = SETUPTOOLS_PROJECT + '\n[tool.uv]\ndefault-groups = ["lint", "docs"]\n'
    project = make_setuptools_project(tmp_path / "calc", defaults)
    names = ["alpha", "withpth_hook", "nsa"]
    proc = run([exe, "run", "python", "-c", IMPORTABLE, *names], project, env)
    assert proc.stdout.split() == names, proc.stderr
    args = [exe, "run", "--no-default-groups", "--group", "docs", "python", "-c", IMPORTABLE]
    proc = run([*args, *names], project, env)
    assert proc.stdout.split() == ["alpha", "nsa"], proc.stderr

    cycle = SETUPTOOLS_PROJECT.replace('lint = ["withpth"]', 'lint = [{include-group = "test"}]')
    looped = make_setuptools_project(tmp_path / "looped", cycle)
    proc = run([exe, "run", "python", "-c", "pass"], looped, env)
    assert_one_line_error(proc, "pyproject.toml", "include each other: test -> lint -> test")
    assert sorted(os.listdir(looped)) == ["calc", "pyproject.toml", "tests"]


POETRY_PROJECT = """\
[project]
name = "shop"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[dependency-groups]
test = ["withpth", {include-group = "extra-tools"}]
extra-tools = ["nsa-one"]
docs = ["dataful"]

[tool.poetry]
package-mode = false

[tool.poetry.group.docs]
optional = true

[[tool.poetry.source]]
name = "local"
url = "{url}"
priority = "primary"
"""


def test_poetry_project_with_pep735_groups_keeps_its_poetry_lock(
    tmp_path: Path, index: IndexServer, env: dict[str, str]
) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    (project / "pyproject.toml").write_text(POETRY_PROJECT.replace("{url}", index.url))
    exe = monotrail_exe()
    names = ["alpha", "withpth_hook", "nsa", "dataful"]
    proc = run([exe, "run", "python", "-c", IMPORTABLE, *names], project, env)
    assert proc.returncode == 0, proc.stderr
    # Poetry's defaults: every group that is not optional (a PEP 735 group is not).
    assert proc.stdout.split() == ["alpha", "withpth_hook", "nsa"]
    assert "Wrote poetry.lock" in proc.stderr  # a Poetry project: its lock is its own
    proc = run([exe, "run", "--group", "docs", "python", "-c", IMPORTABLE, *names], project, env)
    assert proc.stdout.split() == names, proc.stderr
    args = [exe, "run", "--only-group", "extra-tools", "python", "-c", IMPORTABLE, *names]
    proc = run(args, project, env)
    assert proc.stdout.split() == ["nsa"], proc.stderr
    assert "Wrote poetry.lock" not in proc.stderr
    proc = run([exe, "run", "--group", "nope", "python", "-c", "pass"], project, env)
    assert_one_line_error(proc, "unknown group nope", "docs, extra-tools, main, test")


#: uv's defaults apply: `dev`, as no default-groups are set.
UV_GROUPS = GROUPS.replace('default-groups = ["tests"]', "")


def test_uv_group_options(tmp_path: Path, index: IndexServer, offline_env: dict[str, str]) -> None:
    project = make_project(tmp_path, index, UV_GROUPS)
    before = files_of(project)
    exe = monotrail_exe()
    names = ["alpha", "beta", "withpth_hook", "nsa", "dataful"]

    def importable(*options: str) -> list[str]:
        proc = run([exe, "run", *options, "python", "-c", IMPORTABLE, *names], project, offline_env)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    assert importable() == ["alpha", "beta", "nsa"]  # uv's default: dev
    assert importable("--no-default-groups") == ["alpha", "beta"]
    assert importable("--all-groups") == names
    assert importable("--all-groups", "--no-group", "docs") == [
        "alpha",
        "beta",
        "withpth_hook",
        "nsa",
    ]
    # --only-group: the group alone, without the project's own dependencies (as uv).
    assert importable("--only-group", "docs") == ["dataful"]
    assert importable("--only-group", "tests") == ["withpth_hook", "nsa"]
    proc = run([exe, "install", "--only-group", "docs"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    proc = run([exe, "run", "--only-group", "typo", "python", "-c", "pass"], project, offline_env)
    assert_one_line_error(proc, "unknown group typo", "dev, docs, tests")
    assert files_of(project) == before


def test_a_resolution_is_reused_by_content_in_another_folder(
    tmp_path: Path, index: IndexServer, env: dict[str, str]
) -> None:
    url = index.url
    exe = monotrail_exe()
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        (folder / "requirements.txt").write_text("alpha==1.0\nbeta==2.0\n")
    lockless = SETUPTOOLS_PROJECT.replace('"pytest",\n', "").replace(">=3.11", ">=3.9")
    make_setuptools_project(first / "calc", lockless)
    code = "import alpha, beta; print(alpha.__version__, beta.VALUE)"
    for project in (first, first / "calc"):
        proc = run([exe, "run", "python", "-c", code], project, env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == ["1.0", "beta-2"]
        assert "Resolved " in proc.stderr
    shutil.copytree(first / "calc", second / "calc")
    # gc keeps the resolutions that live environments were made from.
    proc = run([exe, "store", "gc"], tmp_path, env)
    assert proc.returncode == 0, proc.stderr

    index.stop()  # from now on, pip or Poetry asking the index would fail
    for project in (second, second / "calc"):
        proc = run([exe, "run", "-v", "python", "-c", code], project, env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == ["1.0", "beta-2"]
        assert "Resolv" not in proc.stderr
        # The kept resolution, or the environment derived from the first folder's (env.derive).
        assert "reusing the" in proc.stderr or "derived env record" in proc.stderr
    # --refresh resolves again: with the index gone, pip says it cannot.
    proc = run([exe, "run", "--refresh", "python", "-c", code], second, env)
    assert_one_line_error(proc, "requirements.txt", "pip could not resolve")
    proc = run([exe, "install", "--refresh"], second, env)
    assert_one_line_error(proc, "requirements.txt", "pip could not resolve")
    # Another index configuration is another resolution.
    third = tmp_path / "third"
    third.mkdir()
    shutil.copy(first / "requirements.txt", third)
    other = {**env, "PIP_EXTRA_INDEX_URL": url.replace("simple", "other")}
    proc = run([exe, "run", "python", "-c", code], third, other)
    assert_one_line_error(proc, "requirements.txt", "pip could not resolve")


def test_show_and_run_verbose_say_which_file_interpreter_and_env_key(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str], home: Path
) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / "requirements.txt").write_text("alpha==1.0\n")
    exe = monotrail_exe()
    proc = run([exe, "show", "--json"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["file"] == str(project / "requirements.txt")
    assert shown["kind"] == "requirements"
    record = Path(shown["record"])
    assert record.is_file() and record.parent == home / "envs"
    assert record.name == f"{shown['env_key']}.record"
    entries = {(e["name"], e["version"]): Path(e["path"]) for e in shown["entries"]}
    assert set(entries) == {("alpha", "1.0"), ("beta", "2.0")}
    assert all(path.is_dir() and home in path.parents for path in entries.values())

    proc = run([exe, "show"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"file:        {project / 'requirements.txt'} (")
    assert lines[1] == f"interpreter: {shown['interpreter']}"
    assert lines[2] == f"env key:     {shown['env_key']}"
    assert lines[3] == f"record:      {record}"
    assert f"  alpha 1.0  {entries['alpha', '1.0']}" in lines

    proc = run([exe, "run", "-v", "python", "-c", "import alpha"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    for line in lines[:4]:
        label, value = line.split(":", 1)
        assert f"monotrail DEBUG: {label}: {value.strip()}" in proc.stderr
    proc = run([exe, "show", "--help"], project, offline_env)
    assert "monotrail show --json" in proc.stdout
    assert "show" in run([exe, "list"], project, offline_env).stdout


def test_a_dynamic_version_still_gives_the_project_metadata(
    tmp_path: Path, index: IndexServer, env: dict[str, str]
) -> None:
    """``dynamic = ["version"]`` (setuptools-scm, hatch-vcs): the backend is not run, and
    ``importlib.metadata.version`` of the project answers a placeholder instead of failing."""
    pyproject = SETUPTOOLS_PROJECT.split("[dependency-groups]")[0]
    pyproject = pyproject.replace('version = "0.1.0"', 'dynamic = ["version"]')
    project = make_setuptools_project(tmp_path / "calc", pyproject.replace(">=3.11", ">=3.9"))
    code = "import importlib.metadata as m, alpha, calc; print(m.version('calc'))"
    proc = run([monotrail_exe(), "run", "python", "-c", code], project, env)
    assert (proc.returncode, proc.stdout) == (0, "0.0.0\n"), proc.stderr
