"""Bad input gives one clear error line, never a traceback.

Property-based (hypothesis) over the readers, in process: whatever TOML, lock or script
metadata they are given, they return or raise MonotrailError with one line that names the file.
Then a few cases through the real command: malformed requirement lines, broken TOML, a lock with
missing fields, an unknown extra, unsatisfiable pins, a Python that does not exist, no network.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from conftest import assert_one_line_error, monotrail_exe, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from monotrail.errors import MonotrailError
from monotrail.python.interpreter import Interpreter
from support.index_server import IndexServer, pip_env

EXAMPLES = settings(
    max_examples=int(os.environ.get("MONOTRAIL_HYPOTHESIS_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder for generated files and a store for interpreter facts, for the whole module."""
    root = tmp_path_factory.mktemp("bad-input")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MONOTRAIL_HOME", str(root / "home"))
        yield root


@pytest.fixture(scope="module")
def target(workdir: Path) -> Interpreter:
    from monotrail.python import interpreter

    # The real interpreter behind the test venv's python (a target must not be a venv).
    return interpreter.query(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))


def refused_cleanly(call: Callable[[], object], names: Path) -> None:
    """``call`` returns, or raises MonotrailError: one non-empty line naming ``names``."""
    try:
        call()
    except MonotrailError as err:
        message = str(err)
        assert message.strip() and "\n" not in message, repr(message)
        assert str(names) in message, message


# ---------------------------------------------------------------------------------------------
# strategies: TOML documents that are sometimes right, mostly slightly or badly wrong

scalars = st.one_of(
    st.text(max_size=12),
    st.integers(-5, 5),
    st.booleans(),
    st.sampled_from(["main", "dev", "x", "3.9", ">=3.9", "==1.0", "sha256:00", "legacy"]),
)
toml_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _places(doc: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and index path inside ``doc``."""
    found: list[tuple[Any, ...]] = []
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    )
    for key, value in items:
        found.append((*at, key))
        found += _places(value, (*at, key))
    return found


@st.composite
def slightly_wrong(draw: st.DrawFn, valid: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A valid document with up to three changes: a field removed or given a wrong value."""
    doc = copy.deepcopy(draw(valid))
    for _ in range(draw(st.integers(0, 3))):
        places = _places(doc)
        if not places:
            break
        place = draw(st.sampled_from(places))
        parent = doc
        for key in place[:-1]:
            parent = parent[key]
        if draw(st.booleans()):
            del parent[place[-1]]
        else:
            parent[place[-1]] = draw(toml_values)
    return doc


names = st.sampled_from(["alpha", "beta-gamma", "x"])
pyprojects = slightly_wrong(st.fixed_dictionaries({
    "project": st.fixed_dictionaries({
        "name": names,
        "optional-dependencies": st.dictionaries(st.sampled_from(["x", "y"]), st.just(["alpha"])),
    }),
    "tool": st.fixed_dictionaries({"poetry": st.fixed_dictionaries({
        "extras": st.dictionaries(st.sampled_from(["x", "y"]), st.just(["beta"])),
        "group": st.dictionaries(
            st.sampled_from(["dev", "docs"]), st.fixed_dictionaries({"optional": st.booleans()})
        ),
        "source": st.lists(
            st.fixed_dictionaries({"name": names, "url": st.just("https://example.org/simple")}),
            max_size=1,
        ),
    })}),
}))  # fmt: skip
poetry_packages = st.fixed_dictionaries({
    "name": names,
    "version": st.sampled_from(["1.0", "2.0b1"]),
    "groups": st.lists(st.sampled_from(["main", "dev", "docs"]), min_size=1, max_size=2),
    "markers": st.sampled_from(['python_version >= "3"', 'extra == "x"', 'sys_platform == "x"'])
    | st.dictionaries(st.sampled_from(["main", "dev"]), st.just('python_version >= "3"')),
    "files": st.lists(st.fixed_dictionaries({
        "file": st.sampled_from(["alpha-1.0-py3-none-any.whl", "alpha-1.0.tar.gz"]),
        "hash": st.just("sha256:" + "0" * 64),
    }), min_size=1, max_size=2),
}, optional={"source": st.fixed_dictionaries({
    "type": st.sampled_from(["legacy", "url", "file", "directory", "git"]),
    "url": st.sampled_from(["https://example.org/simple", "../elsewhere", "a.whl"]),
})})  # fmt: skip
poetry_locks = slightly_wrong(
    st.fixed_dictionaries({"package": st.lists(poetry_packages, max_size=3)})
)
pylock_wheel = st.fixed_dictionaries({
    "name": st.just("alpha-1.0-py3-none-any.whl"),
    "url": st.just("https://example.org/alpha-1.0-py3-none-any.whl"),
    "hashes": st.just({"sha256": "0" * 64}),
})  # fmt: skip
pylocks = slightly_wrong(st.fixed_dictionaries({
    "lock-version": st.just("1.0"),
    "created-by": st.just("test"),
    "packages": st.lists(st.fixed_dictionaries(
        {"name": names, "version": st.just("1.0"), "wheels": st.lists(pylock_wheel, max_size=1)},
        optional={"marker": st.sampled_from(['python_version >= "3"', 'sys_platform == "x"'])},
    ), max_size=2),
}, optional={"requires-python": st.sampled_from([">=3.9", "<3"])}))  # fmt: skip


def write_toml(path: Path, data: dict[str, Any]) -> None:
    path.write_text(tomlkit.dumps(data), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# in process


@EXAMPLES
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_toml_reader_on_any_bytes(workdir: Path, content: bytes) -> None:
    from monotrail import toml

    path = workdir / "any.toml"
    path.write_bytes(content)
    refused_cleanly(lambda: toml.load(path), path)


@EXAMPLES
@given(
    pyproject=pyprojects,
    lock=poetry_locks,
    extras=st.lists(st.sampled_from(["x", "nope"]), max_size=1),
)
def test_poetry_reader_on_broken_projects_and_locks(
    workdir: Path,
    target: Interpreter,
    pyproject: dict[str, Any],
    lock: dict[str, Any],
    extras: list[str],
) -> None:
    from monotrail.lockfile import poetry_lock

    project = workdir / "poetry-project"
    project.mkdir(exist_ok=True)
    write_toml(project / "pyproject.toml", pyproject)
    write_toml(project / "poetry.lock", lock)
    refused_cleanly(
        lambda: poetry_lock.select(project, target, extras, [], "https://pypi.org/simple/"),
        project,
    )


@EXAMPLES
@given(lock=pylocks)
def test_pylock_reader_on_broken_locks(
    workdir: Path, target: Interpreter, lock: dict[str, Any]
) -> None:
    from monotrail.lockfile import pylock

    path = workdir / "pylock-project" / "pylock.toml"
    path.parent.mkdir(exist_ok=True)
    write_toml(path, lock)
    refused_cleanly(lambda: pylock.select(path, target, [], []), path)


script_lines = st.lists(
    st.sampled_from(
        [
            "# /// script",
            "# ///",
            "# dependencies = [",
            '#   "alpha>=1",',
            '#   "alpha>>=1",',
            "# ]",
        ]
        + ["# requires-python = '>=3.9'", "# requires-python = 3", "#", "print('hi')", "# x = ["]
    )
    | st.text(max_size=20).map(lambda t: "# " + t.replace("\n", " ")),
    max_size=8,
)


@EXAMPLES
@given(lines=script_lines)
def test_script_metadata_reader_on_broken_blocks(workdir: Path, lines: list[str]) -> None:
    from monotrail.lockfile import script_metadata

    where = str(workdir / "script.py")

    def read() -> None:
        block = script_metadata.find_block("\n".join(lines) + "\n", where)
        if block is not None:
            script_metadata.parse(block, where)

    refused_cleanly(read, Path(where))


@EXAMPLES
@given(text=st.text(max_size=120))
def test_requirement_includes_reader(workdir: Path, text: str) -> None:
    from monotrail.targets import project_env

    path = workdir / "reqs" / "requirements.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    refused_cleanly(lambda: project_env.requirement_file_includes(path), path)


@EXAMPLES
@given(
    argv=st.lists(
        st.sampled_from(
            [
                "-p",
                "3.99",
                "-E",
                "--group",
                "python",
                "command",
                "-x",
                "--",
                "--project",
                "nope",
                "-v",
            ]
        )
        | st.text(max_size=6),
        max_size=5,
    )
)
def test_run_argument_parser(argv: list[str]) -> None:  # fmt: skip
    from monotrail.cli import run_args

    try:
        run_args.parse(argv)
    except MonotrailError as err:
        assert str(err).strip() and "\n" not in str(err)


# ---------------------------------------------------------------------------------------------
# through the command


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("alpha >>= 1", "requirements.txt"),
        ("-r missing-other.txt", "missing-other.txt"),
        ("alpha\nbeta==1.0", "cannot all be satisfied"),
    ],
)
def test_bad_requirement_lines(
    line: str, needle: str, project: Path, offline_env: dict[str, str]
) -> None:
    (project / "requirements.txt").write_text(line + "\n")
    proc = run([monotrail_exe(), "install"], project, offline_env)
    assert_one_line_error(proc, needle)


def test_broken_toml_and_locks_through_the_command(
    project: Path, offline_env: dict[str, str], index: IndexServer
) -> None:
    exe = monotrail_exe()
    (project / "pyproject.toml").write_text('[project\nname = "x"\n')
    assert_one_line_error(run([exe, "install"], project, offline_env), "pyproject.toml")
    (project / "pyproject.toml").unlink()
    (project / "pylock.toml").write_text('lock-version = "1.0"\n[[packages]]\nversion = "1.0"\n')
    assert_one_line_error(run([exe, "install"], project, offline_env), "pylock.toml")
    (project / "pylock.toml").write_bytes(b"\xff\xfe not utf-8")
    assert_one_line_error(run([exe, "install"], project, offline_env), "pylock.toml")


def test_unknown_extra_and_missing_python(project: Path, offline_env: dict[str, str]) -> None:
    exe = monotrail_exe()
    data_science = Path(__file__).resolve().parents[1] / "test-data" / "poetry" / "data-science"
    command = [exe, "install", "-E", "no-such-extra", "--project", str(data_science)]
    proc = run(command, project, offline_env)
    assert_one_line_error(proc, "no-such-extra")
    (project / "requirements.txt").write_text("alpha\n")
    proc = run([exe, "install", "-p", "3.99"], project, offline_env)
    assert_one_line_error(proc, "3.99")
    proc = run([exe, "run", "-p", "2.1", "python", "-c", "pass"], project, offline_env)
    assert_one_line_error(proc, "2.1")


def test_no_network(project: Path, home: Path, index: IndexServer) -> None:
    closed = "http://127.0.0.1:9/simple/"  # the discard port: connection refused
    env = pip_env({"PIP_INDEX_URL": closed, "MONOTRAIL_HOME": str(home), "PIP_RETRIES": "0"})
    (project / "requirements.txt").write_text("alpha\n")
    assert_one_line_error(run([monotrail_exe(), "install"], project, env), "alpha")
    (project / "requirements.txt").unlink()
    (project / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n[[packages]]\nname = "alpha"\n'
        'version = "1.0"\nwheels = [{ name = "alpha-1.0-py3-none-any.whl", '
        'url = "http://127.0.0.1:9/files/alpha-1.0-py3-none-any.whl", '
        f'hashes = {{ sha256 = "{"0" * 64}" }} }}]\n'
    )
    proc = run([monotrail_exe(), "install"], project, env)
    assert_one_line_error(proc, "127.0.0.1:9")
    assert not list(home.glob("store/*/*/*"))
