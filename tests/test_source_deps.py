"""Git, non-editable path and URL-sdist dependencies, end to end and offline, in every input
format: requirements.txt (pip's report), a uv.lock made by the real ``uv lock``, a poetry.lock
made by the real ``poetry lock``. Repositories are real (``git`` over ``file://``); the packages
in them build with an in-tree backend (support/source_trees.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BIN, assert_one_line_error, monotrail_exe, run
from support.importtime import heavy_imports
from support.index_server import IndexServer
from support.source_trees import commit_all, git, sdist_of, write_package
from test_uv_lock import lock as uv_lock

pytestmark = pytest.mark.slow

SHOW = "import pkg_a, pkg_b, pkg_c; print(pkg_a.VALUE, pkg_b.VALUE, pkg_c.VALUE)"
EXPECTED = "a@1 b@2 c@3"
HEAD = '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.9"\n'


class Upstream:
    """A repository with packages pkg-a, pkg-b, pkg-c in folders a/, b/, c/: the first commit
    (``first``), the tag ``v2`` on the second, the branch ``feature`` on the third. Each
    package's VALUE says its commit (``b@2``); pkg-a needs beta==1.0 from the index."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        self.commits = []
        for number in (1, 2, 3):
            for letter in "abc":
                requires = ("beta==1.0",) if letter == "a" else ()
                write_package(root / letter, f"pkg-{letter}", "0.1", f"{letter}@{number}", requires)
            if number == 3:
                git(root, "checkout", "-q", "-b", "feature")
            self.commits.append(commit_all(root, f"commit {number}"))
            if number == 2:
                git(root, "tag", "v2")
        git(root, "checkout", "-q", "main")
        self.url = root.as_uri()
        self.first = self.commits[0]

    def requirements(self) -> str:
        """pkg-a at the first commit, pkg-b at the tag, pkg-c at the branch, as pip reads them."""
        return (
            f"git+{self.url}@{self.first}#egg=pkg-a&subdirectory=a\n"
            f"git+{self.url}@v2#egg=pkg-b&subdirectory=b\n"
            f"git+{self.url}@feature#egg=pkg-c&subdirectory=c\n"
        )


@pytest.fixture
def upstream(tmp_path: Path) -> Upstream:
    return Upstream(tmp_path / "upstream")


def built_and_fetched(stderr: str) -> list[str]:
    """The summary lines of builds and git fetches, without their timing."""
    lines = [line for line in stderr.splitlines() if line.startswith(("Built ", "Fetching"))]
    return [line.rsplit(" in ", 1)[0] if line.startswith("Built ") else line for line in lines]


def checkouts(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "git").glob("*/[!.]*"))


def test_requirements_git_commit_tag_branch(
    upstream: Upstream, tmp_path: Path, offline_env: dict[str, str], home: Path
) -> None:
    project = tmp_path / "reqs"
    project.mkdir()
    (project / "requirements.txt").write_text(upstream.requirements())
    exe = monotrail_exe()
    proc = run(
        [exe, "run", "python", "-c", SHOW + "; import beta; print(beta.VALUE)"],
        project,
        offline_env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == [EXPECTED, "old-beta"]
    assert checkouts(home) == sorted(upstream.commits)
    # One entry per package, named by its commit (and folder in the repository).
    tags = [p.name for p in (home / "store").glob("pkg-*/0.1/[!.]*")]
    assert sorted(t.split("@git-")[1][:40] for t in tags) == sorted(upstream.commits)

    # A revision that does not exist, an unreachable repository: one line each.
    (project / "requirements.txt").write_text(f"git+{upstream.url}@nope#egg=pkg-a&subdirectory=a\n")
    proc = run([exe, "run", "python", "-c", "pass"], project, offline_env)
    assert_one_line_error(proc, str(project / "requirements.txt"), upstream.url, "'nope'")
    missing = (tmp_path / "missing").as_uri()
    (project / "requirements.txt").write_text(f"git+{missing}@v2#egg=pkg-a\n")
    proc = run([exe, "run", "python", "-c", "pass"], project, offline_env)
    assert_one_line_error(proc, str(project / "requirements.txt"), f"git could not fetch {missing}")


def test_pylock_written_by_pip_monotrail_keeps_the_commits(
    upstream: Upstream, tmp_path: Path, offline_env: dict[str, str], home: Path
) -> None:
    project, locked = tmp_path / "reqs", tmp_path / "locked"
    project.mkdir()
    locked.mkdir()
    (project / "requirements.txt").write_text(upstream.requirements())
    env = {k: v for k, v in offline_env.items() if k != "VIRTUAL_ENV"}
    lock = locked / "pylock.toml"
    pm = monotrail_exe("pip-monotrail")
    proc = run([pm, "install", "-r", "requirements.txt", "--lock", str(lock)], project, env)
    assert proc.returncode == 0, proc.stderr
    text = lock.read_text()
    assert f'commit-id = "{upstream.commits[1]}"' in text and 'requested-revision = "v2"' in text
    # Read back: the same commits, already built, so nothing is fetched or built again.
    proc = run([monotrail_exe(), "run", "python", "-c", SHOW], locked, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == EXPECTED
    assert built_and_fetched(proc.stderr) == []


def uv_project(
    folder: Path, upstream: Upstream, index: IndexServer, tmp_path: Path, path_dep: str = ""
) -> Path:
    """A uv project needing pkg-a, pkg-b and pkg-c from ``upstream`` (and with ``path_dep``,
    the tree ``../<path_dep>``, and pytest in its dev group), locked by the real ``uv lock``."""
    folder.mkdir()
    url = upstream.url
    names = ["pkg-a", "pkg-b", "pkg-c", *([path_dep] if path_dep else [])]
    more = f'{path_dep} = {{ path = "../{path_dep}" }}\n' if path_dep else ""
    more += '\n[dependency-groups]\ndev = ["pytest"]\n' if path_dep else ""
    (folder / "pyproject.toml").write_text(
        HEAD.replace(">=3.9", ">=3.10")  # pytest 9 needs it
        + f"dependencies = {names!r}\n\n[tool.uv.sources]\n".replace("'", '"')
        + f'pkg-a = {{ git = "{url}", rev = "{upstream.first}", subdirectory = "a" }}\n'
        + f'pkg-b = {{ git = "{url}", tag = "v2", subdirectory = "b" }}\n'
        + f'pkg-c = {{ git = "{url}", branch = "feature", subdirectory = "c" }}\n'
        + more
    )
    uv_lock(folder, index, tmp_path)
    return folder


SUITE = f"""\
import pathdep, pkg_a, pkg_b, pkg_c

def test_values():
    assert (pkg_a.VALUE, pkg_b.VALUE, pkg_c.VALUE) == tuple({EXPECTED.split()!r})
    assert pathdep.VALUE == "path-1"
"""


def test_uv_lock_git_sources_fetched_and_built_once_per_commit(
    upstream: Upstream,
    tmp_path: Path,
    index: IndexServer,
    offline_env: dict[str, str],
    home: Path,
    pytest_wheels: Path,
) -> None:
    for wheel in pytest_wheels.iterdir():
        shutil.copy(wheel, index.root)
    write_package(tmp_path / "pathdep", "pathdep", "0.1", "path-1")
    project = uv_project(tmp_path / "uvproj", upstream, index, tmp_path, "pathdep")
    (project / "test_values.py").write_text(SUITE)
    text = (project / "uv.lock").read_text()
    assert f"?subdirectory=a&rev={upstream.first}#{upstream.first}" in text
    assert 'source = { directory = "../pathdep" }' in text
    exe = monotrail_exe()
    proc = run([exe, "run", "python", "-c", SHOW], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == EXPECTED
    # Three commits fetched, three packages and the path dependency built.
    assert len(built_and_fetched(proc.stderr)) == 7
    assert checkouts(home) == sorted(upstream.commits)
    pytest_run = [exe, "run", "command", "pytest", "-q", "-p", "no:cacheprovider"]
    proc = run(pytest_run, project, offline_env)
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout + proc.stderr

    # Another project with the same lock, after the repository is gone: nothing fetched or built.
    shutil.move(upstream.root, tmp_path / "moved")
    other = tmp_path / "other"
    shutil.copytree(project, other)
    proc = run(pytest_run, other, offline_env)
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout + proc.stderr
    assert built_and_fetched(proc.stderr) == []

    # A commit the repository does not have; a repository that is not there.
    shutil.move(tmp_path / "moved", upstream.root)
    broken = tmp_path / "broken"
    shutil.copytree(project, broken)
    lock_file = broken / "uv.lock"
    lock_file.write_text(text.replace(f"#{upstream.commits[1]}", "#" + "0" * 40))
    proc = run([exe, "run", "python", "-c", "pass"], broken, offline_env)
    assert_one_line_error(proc, str(lock_file), upstream.url, "0" * 40, "no revision")
    missing = (tmp_path / "missing").as_uri()  # a commit that was built needs no repository
    lock_file.write_text(text.replace(upstream.url, missing).replace(upstream.commits[1], "1" * 40))
    proc = run([exe, "run", "python", "-c", "pass"], broken, offline_env)
    assert_one_line_error(proc, str(lock_file), f"git could not fetch {missing}")


def poetry_env(offline_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """For the real ``poetry lock``: a cache of its own, no virtualenv made."""
    return {
        **offline_env,
        "POETRY_CACHE_DIR": str(tmp_path / "poetry-cache"),
        "POETRY_VIRTUALENVS_CREATE": "false",
    }


def test_poetry_lock_git_commit_tag_branch(
    upstream: Upstream, tmp_path: Path, offline_env: dict[str, str], index: IndexServer
) -> None:
    project = tmp_path / "poetryproj"
    project.mkdir()
    url = upstream.url
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.9"\n'
        'dynamic = ["dependencies"]\n\n[tool.poetry]\npackage-mode = false\n\n'
        "[tool.poetry.dependencies]\n"
        f'pkg-a = {{ git = "{url}", rev = "{upstream.first}", subdirectory = "a" }}\n'
        f'pkg-b = {{ git = "{url}", tag = "v2", subdirectory = "b" }}\n'
        f'pkg-c = {{ git = "{url}", branch = "feature", subdirectory = "c" }}\n\n'
        f'[[tool.poetry.source]]\nname = "local"\nurl = "{index.url}"\npriority = "primary"\n'
    )
    proc = run([str(BIN / "poetry"), "lock"], project, poetry_env(offline_env, tmp_path))
    assert proc.returncode == 0, proc.stderr
    lock_text = (project / "poetry.lock").read_text()
    assert f'resolved_reference = "{upstream.commits[2]}"' in lock_text
    exe = monotrail_exe()
    proc = run([exe, "run", "python", "-c", SHOW], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == EXPECTED

    bad = lock_text.replace(upstream.commits[2], "f" * 40)
    (project / "poetry.lock").write_text(bad)
    proc = run([exe, "run", "python", "-c", "pass"], project, offline_env)
    assert_one_line_error(proc, str(project / "poetry.lock"), "f" * 40, "no revision")


@pytest.fixture(scope="session")
def pytest_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pytest and its dependencies on every platform and Python (uv locks for all of them) as
    wheels, from the machine's pip configuration (an index mirror here), so that the localhost
    index can serve them."""
    folder = tmp_path_factory.mktemp("pytest-wheels")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(folder),
         "--only-binary", ":all:", f"pytest=={pytest.__version__}",
         "colorama", "exceptiongroup", "tomli", "typing-extensions"],
        capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.skip(f"pytest's wheels cannot be downloaded here: {proc.stderr.strip()[-200:]}")
    return folder


TEST_FILE = "import pathdep\n\ndef test_value():\n    assert pathdep.VALUE == 'path-1'\n"


def test_path_dependency_built_once_per_tree_content(
    tmp_path: Path,
    index: IndexServer,
    offline_env: dict[str, str],
    pytest_wheels: Path,
    home: Path,
) -> None:
    for wheel in pytest_wheels.iterdir():
        shutil.copy(wheel, index.root)
    tree = write_package(tmp_path / "pathdep", "pathdep", "0.1", "path-1")
    project = tmp_path / "app"
    project.mkdir()
    (project / "requirements.txt").write_text("../pathdep\npytest\n")
    (project / "test_it.py").write_text(TEST_FILE)
    exe = monotrail_exe()
    show = [exe, "run", "python", "-c", "import pathdep; print(pathdep.VALUE)"]
    proc = run(show, project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "path-1"
    assert [line.split(" from ")[-1] for line in built_and_fetched(proc.stderr)] == [str(tree)]

    # Warm: the fast path (stdlib only), nothing built; the tree is left as it was.
    warm = [sys.executable, "-X", "importtime", exe, "run", "-v", *show[2:]]
    proc = run(warm, project, offline_env)
    assert proc.returncode == 0 and proc.stdout.strip() == "path-1", proc.stderr
    assert "fast path" in proc.stderr and built_and_fetched(proc.stderr) == []
    assert heavy_imports(proc.stderr) == []
    assert sorted(p.name for p in tree.iterdir()) == [
        "pathdep",
        "pyproject.toml",
        "tree_backend.py",
    ]
    proc = run(
        [exe, "run", "command", "pytest", "-q", "-p", "no:cacheprovider"], project, offline_env
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout

    # An edit: built again, the new code runs; the old content again: its wheel is reused.
    (tree / "pathdep" / "__init__.py").write_text("VALUE = 'path-2'\n")
    proc = run(show, project, offline_env)
    assert proc.returncode == 0 and proc.stdout.strip() == "path-2", proc.stderr
    assert [line.split(" from ")[-1] for line in built_and_fetched(proc.stderr)] == [str(tree)]
    proc = run(
        [exe, "run", "command", "pytest", "-q", "-p", "no:cacheprovider"], project, offline_env
    )
    assert proc.returncode == 1 and "1 failed" in proc.stdout
    (tree / "pathdep" / "__init__.py").write_text("VALUE = 'path-1'\n")
    proc = run(show, project, offline_env)
    assert proc.returncode == 0 and proc.stdout.strip() == "path-1", proc.stderr
    assert built_and_fetched(proc.stderr) == []

    # gc: the build of the content no environment uses goes, entry and wheel.
    builds = {p.name for p in (home / "artifacts" / "built").glob("tree-*")}
    assert len(builds) == 2
    proc = run([exe, "store", "gc"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert "wheel built from source tree" in proc.stdout + proc.stderr
    kept = {p.name for p in (home / "artifacts" / "built").glob("tree-*")}
    assert len(kept) == 1 and kept < builds
    entries = [p.name for p in (home / "store" / "pathdep" / "0.1").glob("[!.]*")]
    assert entries == [f"py3-none-any@{kept.pop()}"]
    proc = run(show, project, offline_env)
    assert proc.returncode == 0 and proc.stdout.strip() == "path-1", proc.stderr
    assert built_and_fetched(proc.stderr) == []


def test_url_sdists_downloaded_checked_and_built_once(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str], home: Path
) -> None:
    tree = write_package(tmp_path / "tree", "urlpkg", "0.3", "from-url")
    sdist = sdist_of(tree, index.root, "urlpkg", "0.3")
    url = index.files_url + sdist.name
    exe = monotrail_exe()
    show = ["python", "-c", "import urlpkg; print(urlpkg.VALUE)"]
    reqs = tmp_path / "reqs"
    reqs.mkdir()
    (reqs / "requirements.txt").write_text(f"urlpkg @ {url}\n")
    proc = run([exe, "run", *show], reqs, offline_env)
    assert proc.returncode == 0 and proc.stdout.strip() == "from-url", proc.stderr
    assert len(built_and_fetched(proc.stderr)) == 1

    # The same sdist from a uv.lock's url source: downloaded file reused, not built again.
    uvproj = tmp_path / "uvproj"
    uvproj.mkdir()
    (uvproj / "pyproject.toml").write_text(
        HEAD + f'dependencies = ["urlpkg"]\n\n[tool.uv.sources]\nurlpkg = {{ url = "{url}" }}\n'
    )
    uv_lock(uvproj, index, tmp_path)
    assert f'source = {{ url = "{url}" }}' in (uvproj / "uv.lock").read_text()
    proc = run([exe, "run", *show], uvproj, offline_env)
    assert proc.returncode == 0 and proc.stdout.strip() == "from-url", proc.stderr
    assert built_and_fetched(proc.stderr) == []

    # And from a poetry.lock's url source (made by the real `poetry lock`).
    poetryproj = tmp_path / "poetryproj"
    poetryproj.mkdir()
    (poetryproj / "pyproject.toml").write_text(
        HEAD + 'dynamic = ["dependencies"]\n\n[tool.poetry]\npackage-mode = false\n\n'
        f'[tool.poetry.dependencies]\nurlpkg = {{ url = "{url}" }}\n'
    )
    proc = run([str(BIN / "poetry"), "lock"], poetryproj, poetry_env(offline_env, tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert 'type = "url"' in (poetryproj / "poetry.lock").read_text()
    proc = run([exe, "run", *show], poetryproj, offline_env)
    assert proc.returncode == 0 and proc.stdout.strip() == "from-url", proc.stderr
    assert built_and_fetched(proc.stderr) == []

    # A file that no longer matches the lock's hash is refused, in a new store.
    sdist.write_bytes(sdist.read_bytes() + b"\0")
    env = {**offline_env, "MONOTRAIL_HOME": str(tmp_path / "fresh-home")}
    proc = run([exe, "run", *show], uvproj, env)
    assert_one_line_error(proc, sdist.name, "hash mismatch")
    assert os.path.isdir(home / "store" / "urlpkg")


def test_without_the_git_command_dulwich_fetches(
    upstream: Upstream,
    tmp_path: Path,
    index: IndexServer,
    offline_env: dict[str, str],
    home: Path,
) -> None:
    project = uv_project(tmp_path / "uvproj", upstream, index, tmp_path)
    no_git = {**offline_env, "PATH": str(tmp_path / "empty-bin")}
    run_it = [monotrail_exe(), "run", "-p", sys.executable, "python", "-c", SHOW]
    proc = run(run_it, project, no_git)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == EXPECTED
    assert checkouts(home) == sorted(upstream.commits)
    lock_file = project / "uv.lock"
    lock_file.write_text(lock_file.read_text().replace(upstream.commits[2], "2" * 40))
    proc = run(run_it, project, no_git)
    assert_one_line_error(proc, str(lock_file), upstream.url, "2" * 40, "no revision")


def test_concurrent_runs_fetch_and_build_each_commit_once(
    upstream: Upstream, tmp_path: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    project = uv_project(tmp_path / "uvproj", upstream, index, tmp_path)
    procs = [
        subprocess.Popen(
            [monotrail_exe(), "run", "python", "-c", SHOW],
            cwd=project,
            env=offline_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == EXPECTED
    lines = [line for _, err in outputs for line in built_and_fetched(err)]
    assert len(lines) == 6 and len(set(lines)) == 6, lines  # each commit and package once


def test_tree_digest_leaves_build_output_out_and_sees_edits(tmp_path: Path) -> None:
    from monotrail import fingerprint

    tree = write_package(tmp_path / "tree", "pkg", "1.0", "one")
    digest, stamp = fingerprint.tree_digest(str(tree)), fingerprint.tree_stamp(str(tree))
    # What backends and tools write into a tree is not its source.
    for junk in ("build/lib/pkg/__init__.py", "dist/x.whl", "pkg.egg-info/PKG-INFO",
                 ".git/HEAD", "pkg/__pycache__/x.pyc", ".venv/bin/python"):  # fmt: skip
        (tree / junk).parent.mkdir(parents=True, exist_ok=True)
        (tree / junk).write_text("x")
    (tree / "pkg" / "up").symlink_to(tree)  # a loop: not followed
    (tree / "dangling").symlink_to(tmp_path / "nowhere")
    assert fingerprint.tree_digest(str(tree)) != digest  # the link is part of the tree
    (tree / "pkg" / "up").unlink()
    assert fingerprint.tree_digest(str(tree)) == digest
    assert fingerprint.tree_stamp(str(tree)) == stamp
    # A package folder named build below the top is source.
    (tree / "pkg" / "build").mkdir()
    (tree / "pkg" / "build" / "__init__.py").write_text("")
    assert fingerprint.tree_digest(str(tree)) != digest
    (tree / "pkg" / "build" / "__init__.py").unlink()
    (tree / "pkg" / "build").rmdir()
    # An edit of the same size changes the content digest; the stamp sees the new mtime.
    init = tree / "pkg" / "__init__.py"
    init.write_text(init.read_text().replace("one", "two"))
    os.utime(init, ns=(1, 1))
    assert fingerprint.tree_digest(str(tree)) != digest
    assert fingerprint.tree_stamp(str(tree)) != stamp


NOISY = """
_build_wheel = build_wheel

def build_wheel(*args, **kwargs):
    import sys, warnings
    print("backend chatter", file=sys.stderr)
    warnings.warn("backend warning")
    return _build_wheel(*args, **kwargs)
"""


def test_a_build_backends_output_shows_under_v_only(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    tree = write_package(tmp_path / "noisy", "noisy", "0.1", "quiet-1")
    with open(tree / "tree_backend.py", "a") as handle:
        handle.write(NOISY)
    project = tmp_path / "app"
    project.mkdir()
    (project / "requirements.txt").write_text("../noisy\n")
    show = [monotrail_exe(), "run", "python", "-c", "import noisy; print(noisy.VALUE)"]
    proc = run(show, project, offline_env)
    assert proc.returncode == 0 and proc.stdout.strip() == "quiet-1", proc.stderr
    assert built_and_fetched(proc.stderr) == [f"Built noisy-0.1-py3-none-any.whl from {tree}"]
    assert "Resolved 1 package in " in proc.stderr
    assert "backend warning" not in proc.stderr and "chatter" not in proc.stderr, proc.stderr

    (tree / "noisy" / "__init__.py").write_text("VALUE = 'quiet-2'\n")  # built again, with -v
    proc = run([*show[:2], "-v", *show[2:]], project, offline_env)
    assert proc.returncode == 0 and proc.stdout.strip() == "quiet-2", proc.stderr
    assert "backend warning" in proc.stderr and "backend chatter" not in proc.stderr
