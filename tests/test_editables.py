"""Editable dependencies and uv workspaces, offline: a Poetry monorepo locked by the real
``poetry lock``, a requirements file with ``-e PATH``, a uv workspace locked by the real
``uv lock``. Each editable imports from its folder, edits show at once, a warm run builds
nothing, and a change to an editable's pyproject.toml makes the environment again."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, assert_one_line_error, monotrail_exe, run
from support.index_server import IndexServer
from support.wheels import build_wheel
from test_uv_lock import lock as uv_lock

pytestmark = pytest.mark.slow

SHOW = (
    "import json, importlib.metadata as md, liba\n"
    "print(json.dumps({'value': liba.VALUE, 'file': liba.__file__,\n"
    "    'version': md.version('liba'), 'requires': md.requires('liba'),\n"
    "    'url': md.distribution('liba').read_text('direct_url.json')}))\n"
)


def wheel_of_installed(out_dir: Path, name: str) -> Path:
    """A wheel made from a distribution installed in the test venv (the index is offline)."""
    dist = importlib.metadata.distribution(name)
    files = {
        str(f): Path(f.locate()).read_bytes()
        for f in dist.files or ()
        if not f.parts[0].startswith("..")
        and ".dist-info" not in f.parts[0]
        and "__pycache__" not in f.parts
    }
    entry_points: dict[str, dict[str, str]] = {}
    for entry_point in dist.entry_points:
        entry_points.setdefault(entry_point.group, {})[entry_point.name] = entry_point.value
    return build_wheel(
        out_dir,
        dist.metadata["Name"],
        dist.version,
        files,
        requires=dist.requires or (),
        entry_points=entry_points,
    )


def liba(folder: Path, dependencies: str = '"alpha"', value: str = "1") -> Path:
    """A PEP 621 library (poetry-core backend) with a console script, in ``folder``."""
    (folder / "src" / "liba").mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "liba"\nversion = "0.3.0"\nrequires-python = ">=3.9"\n'
        f"dependencies = [{dependencies}]\n"
        '[project.scripts]\nliba-hello = "liba:hello"\n'
        '[tool.poetry]\npackages = [{ include = "liba", from = "src" }]\n'
        '[build-system]\nrequires = ["poetry-core>=2"]\nbuild-backend = "poetry.core.masonry.api"\n'
    )
    (folder / "src" / "liba" / "__init__.py").write_text(
        f"VALUE = {value}\ndef hello():\n    print('hello from liba', VALUE)\n"
    )
    return folder


def show(project: Path, env: dict[str, str]) -> dict[str, object]:
    proc = run([monotrail_exe(), "run", "python", "-c", SHOW], project, env)
    assert proc.returncode == 0, proc.stderr
    assert "Buil" not in proc.stderr, proc.stderr  # an editable is never built
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def records(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (home / "envs").glob("*.record")}


@pytest.fixture
def monorepo(tmp_path: Path, index: IndexServer) -> Path:
    """apps/app needs libs/liba (``develop = true``), locked by the real ``poetry lock``."""
    root = tmp_path / "repo"
    liba(root / "libs" / "liba")
    app = root / "apps" / "app"
    app.mkdir(parents=True)
    (app / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "app"\nversion = "1.0.0"\npackage-mode = false\n'
        '[tool.poetry.dependencies]\npython = ">=3.9"\n'
        'liba = { path = "../../libs/liba", develop = true }\n'
        f'[[tool.poetry.source]]\nname = "local"\nurl = "{index.url}"\npriority = "primary"\n'
    )
    poetry_lock(app)
    assert "develop = true" in (app / "poetry.lock").read_text()
    return root


def poetry_lock(project: Path) -> None:
    """The real ``poetry lock`` (its sources: the local index only)."""
    poetry = BIN / "poetry"
    if not poetry.exists():
        pytest.skip("poetry is not installed in the test venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POETRY_")}
    env.update(
        POETRY_CACHE_DIR=str(project / ".poetry-cache"),
        POETRY_CONFIG_DIR=str(project / ".poetry-config"),
    )
    proc = subprocess.run(
        [str(poetry), "lock"], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr


def test_poetry_develop_path_dependency(
    monorepo: Path, offline_env: dict[str, str], home: Path
) -> None:
    app, lib = monorepo / "apps" / "app", monorepo / "libs" / "liba"
    first = show(app, offline_env)
    assert first["value"] == 1
    assert first["file"] == str(lib / "src" / "liba" / "__init__.py")
    assert first["version"] == "0.3.0"
    assert first["requires"] == ["alpha"]
    assert json.loads(str(first["url"])) == {"url": lib.as_uri(), "dir_info": {"editable": True}}
    proc = run([monotrail_exe(), "run", "python", "-c", "import alpha"], app, offline_env)
    assert proc.returncode == 0, proc.stderr  # liba's dependency, from the lock
    proc = run([monotrail_exe(), "run", "command", "liba-hello"], app, offline_env)
    assert (proc.returncode, proc.stdout) == (0, "hello from liba 1\n"), proc.stderr
    assert not (home / "store" / "liba").exists()  # nothing built into the store

    # An edit shows at once, and the warm run makes nothing.
    before = records(home)
    (lib / "src" / "liba" / "__init__.py").write_text("VALUE = 2\ndef hello(): pass\n")
    assert show(app, offline_env)["value"] == 2
    assert records(home) == before

    # New dependencies in liba's pyproject.toml: the environment is made again, from the lock
    # as it is (which says what it lacks), then with them once the lock is made again.
    liba(lib, dependencies='"alpha", "nsa-one>=1"', value="3")
    proc = run([monotrail_exe(), "run", "python", "-c", "import nsa.one"], app, offline_env)
    assert proc.returncode != 0
    assert f"{lib}: liba needs nsa-one>=1, the lock does not have it; lock again" in proc.stderr
    after = show(app, offline_env)
    assert after["value"] == 3
    assert after["requires"] == ["alpha", "nsa-one>=1"]
    assert records(home) != before
    poetry_lock(app)
    code = "import nsa.one; print(nsa.one.NAME)"
    proc = run([monotrail_exe(), "run", "python", "-c", code], app, offline_env)
    assert (proc.returncode, proc.stdout) == (0, "one\n"), proc.stderr
    assert "lock again" not in proc.stderr

    lib.rename(monorepo / "liba-away")
    proc = run([monotrail_exe(), "run", "python", "-c", "pass"], app, offline_env)
    assert_one_line_error(proc, "poetry.lock", "liba", "../../libs/liba", "missing")


def test_requirements_editable_line(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str], home: Path
) -> None:
    wheel_of_installed(index.root, "poetry-core")  # liba's build backend, for pip's metadata
    project = tmp_path / "proj"
    lib = liba(project / "libs" / "liba")
    (project / "requirements.txt").write_text("-e ./libs/liba\n")
    first = show(project, offline_env)
    assert (first["value"], first["file"]) == (1, str(lib / "src" / "liba" / "__init__.py"))
    proc = run([monotrail_exe(), "run", "python", "-c", "import alpha"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    before = records(home)
    (lib / "src" / "liba" / "__init__.py").write_text("VALUE = 5\n")
    assert show(project, offline_env)["value"] == 5
    assert records(home) == before


def workspace(tmp_path: Path, index: IndexServer) -> Path:
    """A uv workspace: the root app needs member liba, which needs member libb; pytest for
    the root's tests. Locked by the real ``uv lock`` against the local index."""
    for name in ("pytest", "pluggy", "iniconfig", "packaging", "pygments"):
        wheel_of_installed(index.root, name)
    build_wheel(index.root, "gamma", "1.0", {"gamma.py": "G = 'gamma'\n"})
    root = tmp_path / "ws"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["liba"]\n'
        '[dependency-groups]\ndev = ["pytest"]\n'
        "[tool.uv]\nenvironments = [\"sys_platform == 'linux'\"]\n"
        "[tool.uv.sources]\nliba = { workspace = true }\n"
        '[tool.uv.workspace]\nmembers = ["libs/*"]\nexclude = ["libs/old"]\n'
    )
    (root / "tests" / "test_it.py").write_text(
        "import liba, libb\ndef test_members():\n    assert (liba.VALUE, libb.B) == (1, 'b')\n"
    )
    lib = liba(root / "libs" / "liba", dependencies='"libb"')
    with (lib / "pyproject.toml").open("a") as handle:
        handle.write("[tool.uv.sources]\nlibb = { workspace = true }\n")
    libb = root / "libs" / "libb"
    (libb / "libb").mkdir(parents=True)
    (libb / "libb" / "__init__.py").write_text("B = 'b'\n")
    (libb / "pyproject.toml").write_text(
        '[project]\nname = "libb"\nversion = "2.0"\ndependencies = ["gamma"]\n'
        '[build-system]\nrequires = ["poetry-core>=2"]\nbuild-backend = "poetry.core.masonry.api"\n'
    )
    (root / "libs" / "old").mkdir()
    (root / "libs" / "old" / "pyproject.toml").write_text('[project]\nname = "old"\n')
    uv_lock(root, index, tmp_path)
    return root


def test_uv_workspace_from_root_and_member(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str], home: Path
) -> None:
    root = workspace(tmp_path, index)
    lock_before = (root / "uv.lock").read_bytes()
    proc = run(
        [monotrail_exe(), "run", "command", "pytest", "-q", "-p", "no:cacheprovider"],
        root,
        offline_env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
    from_root = show(root, offline_env)
    assert from_root["file"] == str(root / "libs" / "liba" / "src" / "liba" / "__init__.py")

    # From a member's folder (and below it): the workspace's lock, the member as the project.
    member = root / "libs" / "libb" / "libb"
    code = "import libb, gamma, importlib.metadata as m; print(libb.B, gamma.G, m.version('libb'))"
    proc = run([monotrail_exe(), "run", "python", "-c", code], member, offline_env)
    assert (proc.returncode, proc.stdout) == (0, "b gamma 2.0\n"), proc.stderr
    proc = run([monotrail_exe(), "run", "python", "-c", "import pytest"], member, offline_env)
    assert proc.returncode != 0  # the root's dev group is not the member's
    assert show(root / "libs" / "liba", offline_env)["requires"] == ["libb"]
    proc = run([monotrail_exe(), "run", "command", "liba-hello"], root / "libs", offline_env)
    assert (proc.returncode, proc.stdout) == (0, "hello from liba 1\n"), proc.stderr  # the root's
    # A new console script in a member's pyproject.toml: there on the next run.
    lib_pyproject = root / "libs" / "liba" / "pyproject.toml"
    lib_pyproject.write_text(
        lib_pyproject.read_text().replace(
            'liba-hello = "liba:hello"', 'liba-hello = "liba:hello"\nliba-bye = "liba:hello"'
        )
    )
    proc = run([monotrail_exe(), "run", "command", "liba-bye"], root, offline_env)
    assert (proc.returncode, proc.stdout) == (0, "hello from liba 1\n"), proc.stderr
    for folder in (root, root / "libs" / "liba", root / "libs" / "libb"):
        assert not (folder / "poetry.lock").exists()
    assert (root / "uv.lock").read_bytes() == lock_before

    # A member the lock names, missing on disk: one line naming it.
    (root / "libs" / "libb").rename(tmp_path / "libb-away")
    proc = run([monotrail_exe(), "run", "python", "-c", "pass"], root, offline_env)
    assert_one_line_error(proc, "uv.lock", "libb", "libs/libb", "missing")


def test_excluded_folder_is_not_a_member(tmp_path: Path) -> None:
    from monotrail.targets import project

    root = tmp_path / "ws"
    for folder in ("libs/a", "libs/old"):
        (root / folder).mkdir(parents=True)
        (root / folder / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (root / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["libs/*"]\nexclude = ["libs/old"]\n'
    )
    (root / "uv.lock").write_text("version = 1\n")
    member = project.discover(str(root / "libs" / "a"))
    assert (member.root_dir, member.kind, member.workspace_dir) == (
        str(root / "libs" / "a"),
        project.UV,
        str(root),
    )
    assert member.input_files[-1] == str(root / "uv.lock")
    excluded = project.discover(str(root / "libs" / "old"))
    assert (excluded.kind, excluded.workspace_dir) == (project.PYPROJECT, None)


def test_member_globs_match_as_glob_does(tmp_path: Path) -> None:
    """The workspace search reads the plain form of ``[tool.uv.workspace]`` and matches simple
    globs without a TOML parser or ``glob`` (they cost a run milliseconds): same answers."""
    import glob

    from monotrail import toml
    from monotrail.targets import project

    folders = ["libs/a", "libs/ab", "libs/.hidden", "libs/x/y", "apps/web-app", "tools"]
    for folder in folders:
        (tmp_path / folder).mkdir(parents=True)
    patterns = ["libs/*", "libs/a*", "libs/*b", "*/web-*", "libs/a", "tools/", "./libs/ab",
                "libs/**", "libs/?b", "*", "libs/*/y", "apps/*-*-*", "a*s/w*b*p*"]  # fmt: skip
    for pattern in patterns:
        expanded = glob.glob(str(tmp_path / pattern), recursive=True)
        for folder in folders:
            directory = str(tmp_path / folder)
            expected = any(os.path.abspath(f) == directory for f in expanded)
            assert project._is_member(str(tmp_path), directory, [pattern], []) == expected, (
                pattern,
                folder,
            )
    texts = [
        '[project]\nname = "r"\n\n[tool.uv.workspace]\nmembers = [\n  "libs/*",\n'
        "  'apps/x',\n]\nexclude = [\"libs/old\"]\n\n[tool.uv.sources]\na = { workspace = true }\n",
        '[tool.uv.workspace]\nmembers = ["packages/*"]\n',
    ]
    for text in texts:
        (tmp_path / "pyproject.toml").write_text(text)
        parsed = toml.load(tmp_path / "pyproject.toml")["tool"]["uv"]["workspace"]
        expected_globs = (parsed.get("members", []), parsed.get("exclude", []))
        assert project._workspace_globs(text) == expected_globs
    # Anything else is left to the TOML parser.
    for text in ['[tool.uv]\nworkspace = { members = ["a"] }\n',
                 '[tool.uv.workspace]\nmembers = ["a"]  # comment\n',
                 '[tool.uv.workspace]\nmembers = ["a\\\\b"]\n']:  # fmt: skip
        assert project._workspace_globs(text) is None


def test_uv_virtual_root_installs_every_member_and_editable_path_source(
    tmp_path: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    """At a workspace root that is no package, ``uv sync`` installs every member and the root's
    default groups; an ``editable = true`` path source outside the workspace imports in place."""
    root = tmp_path / "ws"
    (root / "libs").mkdir(parents=True)
    liba(root / "libs" / "liba", dependencies="")
    outside = liba(tmp_path / "outside", dependencies='"beta"')
    (outside / "pyproject.toml").write_text(
        (outside / "pyproject.toml").read_text().replace('"liba"', '"outside"')
    )
    (outside / "src" / "liba").rename(outside / "src" / "outside")
    (root / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["libs/*"]\n'
        '[dependency-groups]\ndev = ["outside"]\n'
        '[tool.uv.sources]\noutside = { path = "../outside", editable = true }\n'
    )
    uv_lock(root, index, tmp_path)
    assert 'source = { editable = "../outside" }' in (root / "uv.lock").read_text()
    code = "import liba, outside, beta; print(liba.__file__, outside.__file__, beta.VALUE)"
    proc = run([monotrail_exe(), "run", "python", "-c", code], root, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [
        str(root / "libs" / "liba" / "src" / "liba" / "__init__.py"),
        str(outside / "src" / "outside" / "__init__.py"),
        "beta-2",
    ]
    assert "Buil" not in proc.stderr
