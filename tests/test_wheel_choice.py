"""Which file of a locked release gets installed, for a real interpreter's tags.

A poetry.lock or pylock.toml lists every file of a release; monotrail must pick what pip would:
the wheel whose best tag ranks highest for the target, else the source archive.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from monotrail.errors import MonotrailError
from monotrail.lockfile.model import Artifact, LockedPackage
from monotrail.python import interpreter
from monotrail.store import fill
from packaging.utils import parse_wheel_filename

PYTHON_311 = "/root/.pyenv/versions/3.11.7/bin/python3.11"


@pytest.fixture
def cp311(home: Path) -> interpreter.Interpreter:
    return interpreter.query(PYTHON_311)


def package(*filenames: str) -> LockedPackage:
    return LockedPackage("foo", "1.0", [Artifact(name, None) for name in filenames], [], None)


def test_most_specific_wheel_wins(cp311: interpreter.Interpreter) -> None:
    machine = cp311.markers["platform_machine"]
    best = f"foo-1.0-cp311-cp311-manylinux_2_17_{machine}.manylinux2014_{machine}.whl"
    files = (
        "foo-1.0.tar.gz",
        "foo-1.0-py2.py3-none-any.whl",
        f"foo-1.0-cp310-cp310-manylinux_2_17_{machine}.whl",
        "foo-1.0-cp311-cp311-win_amd64.whl",
        best,
        f"foo-1.0-cp311-abi3-manylinux_2_17_{machine}.whl",
        "not-a-wheel-name.whl",
    )
    assert fill.choose(package(*files), cp311).filename == best


def test_compressed_tag_set_and_build_tag(cp311: interpreter.Interpreter) -> None:
    chosen = fill.choose(
        package("foo-1.0-cp311-cp311-win_amd64.whl", "foo-1.0-1build-py2.py3-none-any.whl"), cp311
    )
    assert chosen.filename == "foo-1.0-1build-py2.py3-none-any.whl"


def test_source_archive_when_no_wheel_fits(cp311: interpreter.Interpreter) -> None:
    chosen = fill.choose(package("foo-1.0-cp311-cp311-win_amd64.whl", "foo-1.0.tar.gz"), cp311)
    assert chosen.filename == "foo-1.0.tar.gz"
    with pytest.raises(MonotrailError, match="no wheel for this platform"):
        fill.choose(package("foo-1.0-cp311-cp311-win_amd64.whl"), cp311)


def test_ranks_agree_with_packaging(cp311: interpreter.Interpreter) -> None:
    # The name split must find exactly the tags packaging parses, for every kind of name.
    machine = cp311.markers["platform_machine"]
    names = [
        "foo-1.0-py3-none-any.whl",
        "foo-1.0-py2.py3-none-any.whl",
        "foo-1.0-2-cp311-cp311-linux_" + machine + ".whl",
        f"foo-1.0-cp311-cp311-manylinux_2_5_{machine}.manylinux1_{machine}.whl",
        f"foo-1.0-cp37-abi3-musllinux_1_1_{machine}.manylinux_2_17_{machine}.whl",
        "foo-1.0-cp311-cp311-macosx_11_0_arm64.whl",
    ]
    for name in names:
        expected = sorted(
            cp311.tag_priority[str(tag)]
            for tag in parse_wheel_filename(name)[3]
            if str(tag) in cp311.tag_priority
        )
        assert sorted(fill.wheel_tag_ranks(name, cp311.tag_priority)) == expected, name
