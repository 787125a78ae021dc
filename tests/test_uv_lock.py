"""uv projects: uv.lock files made by the real ``uv lock`` against the localhost index, read as
``uv sync --frozen`` would (groups, markers, forks), the folder left as it was."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BIN, assert_one_line_error, monotrail_exe, run
from monotrail.errors import MonotrailError
from monotrail.lockfile import uv_lock
from monotrail.python import interpreter
from monotrail.targets import project as projects
from support.importtime import heavy_imports
from support.index_server import IndexServer
from support.wheels import build_wheel

pytestmark = pytest.mark.slow


def lock(project: Path, index: IndexServer, tmp_path: Path, *args: str) -> None:
    """``uv lock`` in ``project`` against the local index only."""
    uv = BIN / "uv"
    assert uv.exists(), "uv missing: install the test extras (pip install -e '.[test]')"
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(
        UV_INDEX_URL=index.url,
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_CONFIG="1",
    )
    proc = subprocess.run(
        [str(uv), "lock", "--python", sys.executable, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr


def make_project(tmp_path: Path, index: IndexServer, pyproject: str) -> Path:
    build_wheel(
        index.root,
        "withextra",
        "1.0",
        {"withextra.py": "X = 1\n"},
        extra_metadata=["Provides-Extra: fast", 'Requires-Dist: nsa-one; extra == "fast"'],
    )
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(pyproject)
    lock(project, index, tmp_path)
    return project


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


HEAD = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'

IMPORTABLE = (
    "import importlib.util as u, sys\n"
    "names = sys.argv[1:]\n"
    "print(' '.join(n for n in names if u.find_spec(n) is not None))\n"
)

PLAIN = (
    HEAD
    + """\
dependencies = [
    "alpha",
    "withextra[fast]",
    "dataful; python_version < '3.10'",
    "nsa-two; python_version <= '3.8'",
]
"""
)


def test_plain_project_runs_warm_stdlib_only_and_folder_untouched(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    project = make_project(tmp_path, index, PLAIN)
    before = files_of(project)
    exe = monotrail_exe()
    names = ["alpha", "beta", "withextra", "nsa", "dataful"]
    proc = run([exe, "run", "python", "-c", IMPORTABLE, *names], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert "out of date" not in proc.stderr  # uv rewrote the markers; still the same lock
    python = run(
        [exe, "run", "python", "-c", "import sys; print(sys.version_info >= (3, 10))"],
        project,
        offline_env,
    )
    if python.stdout.strip() == "True":
        assert proc.stdout.split() == ["alpha", "beta", "withextra", "nsa"]
    else:
        assert "dataful" in proc.stdout.split()
    warm = [sys.executable, "-X", "importtime", exe, "run", "python", "-c", "import alpha"]
    proc = run(warm, project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert heavy_imports(proc.stderr) == []
    assert files_of(project) == before  # no poetry.lock, no uv.lock rewrite, nothing else


GROUPS = (
    HEAD
    + """\
dependencies = ["alpha"]

[dependency-groups]
dev = ["nsa-two"]
tests = ["withpth", {include-group = "dev"}]
docs = ["dataful"]

[tool.uv]
default-groups = ["tests"]
"""
)


def test_groups_default_added_and_unknown(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    project = make_project(tmp_path, index, GROUPS)
    root = uv_lock.read(project / "uv.lock").root()
    # include-group is expanded by uv in the lock itself.
    assert sorted(d.name for d in root.groups["tests"]) == ["nsa-two", "withpth"]
    exe = monotrail_exe()
    names = ["alpha", "withpth_hook", "nsa", "dataful"]
    proc = run([exe, "run", "python", "-c", IMPORTABLE, *names], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["alpha", "withpth_hook", "nsa"]
    args = [exe, "run", "--group", "docs", "python", "-c", IMPORTABLE, *names]
    proc = run(args, project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == names
    proc = run([exe, "run", "--group", "nope", "python", "-c", "pass"], project, offline_env)
    assert_one_line_error(proc, "pyproject.toml", "unknown group nope", "dev, docs, tests")


def test_default_groups_as_uv_has_them(tmp_path: Path, index: IndexServer, home: Path) -> None:
    project = make_project(tmp_path, index, GROUPS.replace('default-groups = ["tests"]', ""))
    target = interpreter.query(sys.executable)

    def chosen(groups: list[str]) -> list[str]:
        return sorted(p.name for p in uv_lock.select(project, target, [], groups))

    assert chosen([]) == ["alpha", "beta", "nsa-two"]  # `dev` by default
    assert chosen(["!dev"]) == ["alpha", "beta"]
    pyproject = project / "pyproject.toml"
    pyproject.write_text(GROUPS.replace('["tests"]', '"all"'))
    assert chosen([]) == ["alpha", "beta", "dataful", "nsa-two", "withpth"]


FORKED = (
    HEAD
    + """\
dependencies = [
    "beta==1.0; python_version < '3.10'",
    "beta==2.0; python_version >= '3.10'",
    "dataful; python_version <= '3.10' and sys_platform == 'linux'",
    "withextra[fast]; python_version == '3.9'",
]

[project.optional-dependencies]
more = ["withpth"]
"""
)


def test_markers_and_forks_for_the_target(tmp_path: Path, index: IndexServer, home: Path) -> None:
    project = make_project(tmp_path, index, FORKED)
    assert "resolution-markers" in (project / "uv.lock").read_text()
    target = interpreter.query(sys.executable)

    def chosen(full_version: str, platform: str, extras: list[str] = []) -> list[str]:  # noqa: B006
        minor = ".".join(full_version.split(".")[:2])
        markers = {
            **target.markers,
            "python_full_version": full_version,
            "python_version": minor,
            "sys_platform": platform,
        }
        there = dataclasses.replace(target, markers=markers)
        return sorted(str(p) for p in uv_lock.select(project, there, extras, []))

    assert chosen("3.9.4", "linux") == ["beta 1.0", "dataful 1.0", "nsa-one 1.0", "withextra 1.0"]
    assert chosen("3.10.2", "linux") == ["beta 2.0", "dataful 1.0"]
    assert chosen("3.12.1", "linux", ["more"]) == ["beta 2.0", "withpth 1.0"]
    assert chosen("3.9.4", "win32") == ["beta 1.0", "nsa-one 1.0", "withextra 1.0"]
    beta = [p for p in uv_lock.select(project, target, [], []) if p.name == "beta"][0]
    assert beta.artifacts[0].url and beta.artifacts[0].url.startswith(index.url.rsplit("/", 2)[0])
    assert beta.artifacts[0].sha256 and beta.indexes == [index.url.rstrip("/") + "/"]
    with pytest.raises(MonotrailError, match="unknown extra nope"):
        uv_lock.select(project, target, ["nope"], [])
    old = dataclasses.replace(target, markers={**target.markers, "python_full_version": "3.8.1"})
    with pytest.raises(MonotrailError, match=r"the lock is for Python >=3.9, not 3.8.1"):
        uv_lock.select(project, old, [], [])


CONFLICTS = (
    HEAD
    + """\
dependencies = []

[project.optional-dependencies]
old = ["beta==1.0", "withextra[fast]"]
new = ["alpha", "withextra"]

[tool.uv]
conflicts = [[{ extra = "old" }, { extra = "new" }]]
"""
)


def test_conflicting_extras(tmp_path: Path, index: IndexServer, home: Path) -> None:
    project = make_project(tmp_path, index, CONFLICTS)
    assert "extra == 'extra-4-demo-old'" in (project / "uv.lock").read_text()
    target = interpreter.query(sys.executable)

    def chosen(extras: list[str]) -> list[str]:
        return sorted(str(p) for p in uv_lock.select(project, target, extras, []))

    assert chosen([]) == []
    assert chosen(["old"]) == ["beta 1.0", "nsa-one 1.0", "withextra 1.0"]
    assert chosen(["new"]) == ["alpha 1.0", "beta 2.0", "withextra 1.0"]


def test_stale_lock_is_used_as_it_is(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    project = make_project(tmp_path, index, GROUPS)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(GROUPS.replace('dependencies = ["alpha"]', 'dependencies = ["alpha>=1"]'))
    lock_before = (project / "uv.lock").read_bytes()
    exe = monotrail_exe()
    proc = run([exe, "run", "python", "-c", IMPORTABLE, "alpha"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["alpha"]
    line = (
        f"{project / 'uv.lock'} is out of date with pyproject.toml; using it as it is "
        "(run `uv lock` to update it)"
    )
    assert line in proc.stderr.splitlines(), proc.stderr
    assert (project / "uv.lock").read_bytes() == lock_before
    # uv's --frozen says the same: the lock as it is (install too).
    proc = run([exe, "run", "--frozen", "python", "-c", IMPORTABLE, "alpha"], project, offline_env)
    assert (proc.returncode, proc.stdout.split()) == (0, ["alpha"]), proc.stderr
    proc = run([exe, "install", "--frozen"], project, offline_env)
    assert proc.returncode == 0 and "up to date" in proc.stdout, proc.stdout + proc.stderr
    assert (project / "uv.lock").read_bytes() == lock_before
    # A new group counts too; a group's members are compared by meaning, not spelling.
    lock_doc = uv_lock.read(project / "uv.lock")
    data = {"project": {"dependencies": ["alpha"]}, "dependency-groups": {"dev": ["nsa_two"]}}
    assert uv_lock.stale_reason(lock_doc, data) is not None
    data["dependency-groups"] = {
        "dev": ["nsa_two"],
        "tests": ["WithPth", {"include-group": "dev"}],
        "docs": ["dataful ; sys_platform == 'linux'"],
    }
    assert uv_lock.stale_reason(lock_doc, data) is not None  # a marker that was not there
    data["dependency-groups"]["docs"] = ["dataful"]  # type: ignore[index]
    assert uv_lock.stale_reason(lock_doc, data) is None
    # uv drops a requirement written twice, and the specifier of one a non-index source gives.
    data["project"] = {"dependencies": ["alpha", "Alpha==9"]}
    assert uv_lock.stale_reason(lock_doc, data) is not None
    data["tool"] = {"uv": {"sources": {"alpha": {"path": "../alpha"}}}}
    assert uv_lock.stale_reason(lock_doc, data) is None


def test_flat_folder_registry_and_a_path_source(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    project = tmp_path / "flat"
    wheels = project / "wheels"
    wheels.mkdir(parents=True)
    for name in ("alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"):
        (wheels / name).write_bytes((index.root / name).read_bytes())
    pyproject = '[project]\nname = "flat"\nversion = "1"\ndependencies = ["alpha"]\n'
    (project / "pyproject.toml").write_text(pyproject)
    lock(project, index, tmp_path, "--no-index", "--find-links", "wheels")
    assert 'registry = "wheels"' in (project / "uv.lock").read_text()
    exe = monotrail_exe()
    proc = run(
        [exe, "run", "python", "-c", "import alpha; print(alpha.__version__)"], project, offline_env
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "1.0", proc.stderr
    (wheels / "withpth-1.0-py3-none-any.whl").write_bytes(
        (index.root / "withpth-1.0-py3-none-any.whl").read_bytes()
    )
    pyproject = pyproject.replace('["alpha"]', '["alpha", "withpth"]')
    pyproject += '[tool.uv.sources]\nwithpth = { path = "wheels/withpth-1.0-py3-none-any.whl" }\n'
    (project / "pyproject.toml").write_text(pyproject)
    lock(project, index, tmp_path, "--no-index", "--find-links", "wheels")
    proc = run(
        [exe, "run", "python", "-c", "import withpth_extra; print('ok')"], project, offline_env
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_uv_lock_decides_before_poetry_lock(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "poetry.lock", "uv.lock", "requirements.txt"):
        (tmp_path / name).write_text("")
    found = projects.discover(str(tmp_path))
    assert found.kind == projects.UV
    assert found.input_files == (str(tmp_path / "pyproject.toml"), str(tmp_path / "uv.lock"))


def test_other_lock_versions_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "uv.lock"
    path.write_text("version = 2\nrevision = 1\n")
    with pytest.raises(MonotrailError, match=f"{path}: uv.lock version 2 is not supported"):
        uv_lock.read(path)
