"""The slow path's display, as a user sees it: in a real pseudo-terminal (read through the
``pyte`` terminal emulator), off a terminal, with ``-q``, ``NO_COLOR`` and ``--no-ansi``.

The localhost index answers slowly (``IndexServer.delay``), so that each phase lasts long enough
to be drawn while it runs.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyte
import pytest
from conftest import monotrail_exe, run
from support.importtime import heavy_imports
from support.index_server import IndexServer
from support.source_trees import BACKEND
from support.wheels import build_sdist

COLUMNS, LINES = 120, 40
PROGRAM = ["python", "-c", "import alpha; print('alpha', alpha.__version__)"]
#: The lines that stay after a cold run of a project needing alpha (and beta, its dependency).
SUMMARIES = [
    "Resolved 2 packages in ",
    "Downloaded 2 files (",
    "Unpacked 2 packages in ",
    "Compiled ",
    "Installed 2 packages into the store (0 already there) in ",
]
#: What the live rows start with: the phases' titles.
TITLES = ("Resolving", "Downloading", "Preparing", "Compiling bytecode")


class Terminal:
    """What a command wrote to a pseudo-terminal, chunk by chunk, with the time of each."""

    def __init__(self, chunks: list[tuple[float, bytes]], returncode: int) -> None:
        self.chunks = chunks
        self.returncode = returncode
        self.raw = b"".join(data for _, data in chunks)

    def screens(self) -> list[tuple[float, list[str]]]:
        """The screen's non-empty lines after each chunk, with the time it arrived."""
        screen = pyte.Screen(COLUMNS, LINES)
        stream = pyte.ByteStream(screen)
        shown = []
        for at, data in self.chunks:
            stream.feed(data)
            shown.append((at, [line.rstrip() for line in screen.display if line.strip()]))
        return shown

    def final_screen(self) -> list[str]:
        return self.screens()[-1][1]

    def first_seen(self, predicate: object) -> float | None:
        """When a screen line first satisfied ``predicate``."""
        assert callable(predicate)
        for at, lines in self.screens():
            if any(predicate(line) for line in lines):
                return at
        return None


def in_terminal(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> Terminal:
    """Run ``args`` with stdin, stdout and stderr on a new 120x40 pseudo-terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    chunks: list[tuple[float, bytes]] = []
    try:
        while time.monotonic() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            chunks.append((time.monotonic() - started, data))
        returncode = proc.wait(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return Terminal(chunks, returncode)


@pytest.fixture
def slow_project(tmp_path: Path, index: IndexServer, offline_env: dict[str, str]) -> Path:
    """A requirements.txt project on an index that takes 0.3 s for every answer."""
    index.delay = 0.3
    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("alpha\n")
    return project


@pytest.fixture
def term_env(offline_env: dict[str, str]) -> dict[str, str]:
    """A colour terminal's environment, without the variables that change rich's mind."""
    env = {k: v for k, v in offline_env.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES))
    env.pop("MONOTRAIL_LOG", None)
    return env


def assert_summaries_in_order(lines: list[str]) -> None:
    found = [next(i for i, line in enumerate(lines) if line.startswith(s)) for s in SUMMARIES]
    assert found == sorted(found), lines


def test_phases_are_drawn_while_they_run_and_summaries_stay(
    slow_project: Path, term_env: dict[str, str]
) -> None:
    shown = in_terminal([monotrail_exe(), "run", *PROGRAM], slow_project, term_env)
    assert shown.returncode == 0, shown.raw
    # Each phase's row was on screen before its summary line: drawn while the work ran.
    for title, summary in [("Resolving", "Resolved "), ("Downloading", "Downloaded ")]:
        row = shown.first_seen(lambda line, t=title: line[2:].startswith(t))
        done = shown.first_seen(lambda line, s=summary: line.startswith(s))
        assert row is not None and done is not None, shown.final_screen()
        assert done - row >= 0.2, (title, row, done)
    # The rows show counts and the elapsed time, e.g. "⠋ Downloading ━━━━ 0:00:00 0/2 files".
    rows = [line for _, lines in shown.screens() for line in lines if "0:00:0" in line]
    assert any("Downloading" in row and "/2 files" in row for row in rows), rows
    # When it is over, the summaries stay in order, the rows are gone, the program ran.
    final = shown.final_screen()
    assert_summaries_in_order(final)
    assert not [line for line in final if line[2:].startswith(TITLES)], final
    assert final[-1] == "alpha 1.0"
    assert b"\x1b[" in shown.raw  # drawn with escape codes


def test_a_warm_run_prints_nothing_and_imports_no_rich(
    slow_project: Path, term_env: dict[str, str]
) -> None:
    exe = monotrail_exe()
    assert in_terminal([exe, "run", *PROGRAM], slow_project, term_env).returncode == 0
    warm = in_terminal([exe, "run", *PROGRAM], slow_project, term_env)
    assert warm.returncode == 0
    assert warm.raw == b"alpha 1.0\r\n"
    # On a terminal too, the fast path imports none of the display's (or any heavy) modules.
    timed = in_terminal(
        [sys.executable, "-X", "importtime", exe, "run", *PROGRAM], slow_project, term_env
    )
    text = timed.raw.decode()
    assert "import time:" in text and heavy_imports(text) == [], heavy_imports(text)


def test_off_a_terminal_only_the_summaries(slow_project: Path, offline_env: dict[str, str]) -> None:
    proc = run([monotrail_exe(), "run", *PROGRAM], slow_project, offline_env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == len(SUMMARIES), lines
    assert all(line.startswith(s) for line, s in zip(lines, SUMMARIES, strict=True)), lines
    assert "\x1b" not in proc.stderr
    assert proc.stdout == "alpha 1.0\n"


@pytest.mark.parametrize(
    ("options", "variables"),
    [(["-q"], {}), (["--no-ansi"], {}), ([], {"NO_COLOR": "1"}), ([], {"TERM": "dumb"})],
    ids=["-q", "--no-ansi", "NO_COLOR", "TERM=dumb"],
)
def test_summaries_only_and_no_escape_codes_on_a_terminal_when_asked(
    slow_project: Path, term_env: dict[str, str], options: list[str], variables: dict[str, str]
) -> None:
    env = {**term_env, **variables}
    shown = in_terminal([monotrail_exe(), "run", *options, *PROGRAM], slow_project, env)
    assert shown.returncode == 0, shown.raw
    assert b"\x1b" not in shown.raw, shown.raw
    lines = shown.raw.decode().splitlines()
    assert_summaries_in_order(lines)
    assert not [line for line in lines if line.lstrip("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ").startswith(TITLES)]


def test_install_on_a_terminal_draws_and_says_what_was_added(
    slow_project: Path, term_env: dict[str, str]
) -> None:
    shown = in_terminal([monotrail_exe(), "install"], slow_project, term_env)
    assert shown.returncode == 0, shown.raw
    final = shown.final_screen()
    assert any(line.startswith("Resolved 2 packages in ") for line in final), final
    assert any("2 added, 0 already in the store" in line for line in final), final
    assert shown.first_seen(lambda line: line[2:].startswith("Downloading")) is not None


# The offline backend of support.source_trees, taking a second to build the wheel, so that the
# build is on screen while it runs.
SLOW_BACKEND = (
    BACKEND
    + """
_build_wheel = build_wheel

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import time
    time.sleep(1)
    return _build_wheel(wheel_directory, config_settings, metadata_directory)
"""
)


def test_an_sdist_build_is_shown_with_its_package(
    tmp_path: Path, index: IndexServer, term_env: dict[str, str]
) -> None:
    pyproject = (
        '[project]\nname = "slowpkg"\nversion = "1.0"\n\n'
        '[build-system]\nrequires = []\nbuild-backend = "tree_backend"\nbackend-path = ["."]\n'
    )
    files = {
        "pyproject.toml": pyproject,
        "tree_backend.py": SLOW_BACKEND,
        "slowpkg/__init__.py": "WHO = 'built'\n",
    }
    build_sdist(index.root, "slowpkg", "1.0", files)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("slowpkg\n")
    program = ["run", "python", "-c", "import slowpkg; print(slowpkg.WHO)"]
    shown = in_terminal([monotrail_exe(), *program], project, term_env)
    assert shown.returncode == 0, shown.raw
    row = shown.first_seen(lambda line: line[2:].startswith("Building slowpkg-1.0.tar.gz"))
    built = "Built slowpkg-1.0-py3-none-any.whl from slowpkg-1.0.tar.gz in "
    done = shown.first_seen(lambda line: line.startswith(built))
    assert row is not None and done is not None, shown.final_screen()
    assert done - row >= 0.5
    final = shown.final_screen()
    assert final[-1] == "built"
    assert not [line for line in final if line[2:].startswith("Building")], final


POETRY_PROJECT = """\
[project]
name = "shop"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "local"
url = "{url}"
priority = "primary"
"""


def test_poetrys_solver_shows_what_it_selects(
    tmp_path: Path, index: IndexServer, term_env: dict[str, str]
) -> None:
    index.delay = 0.3
    project = tmp_path / "shop"
    project.mkdir()
    (project / "pyproject.toml").write_text(POETRY_PROJECT.format(url=index.url))
    shown = in_terminal([monotrail_exe(), "run", *PROGRAM], project, term_env)
    assert shown.returncode == 0, shown.raw
    rows = [line for _, lines in shown.screens() for line in lines]
    solving = [row for row in rows if row[2:].startswith("Resolving dependencies with Poetry")]
    # Poetry's own progress: the packages its solver selected so far, the last one named.
    assert any("1 selected: alpha (1.0)" in row for row in solving), solving
    final = shown.final_screen()
    assert any(line.startswith("Resolved 2 packages with Poetry in ") for line in final), final
    assert "Wrote poetry.lock (2 packages)" in final
    assert final[-1] == "alpha 1.0"
