"""`monotrail --help` and `monotrail help` list monotrail's own commands, one line each."""

from __future__ import annotations

import subprocess

import pytest
from conftest import monotrail_exe


@pytest.mark.parametrize("words", [["--help"], ["-h"], ["help"], []])
def test_help_lists_the_commands(words: list[str]) -> None:
    proc = subprocess.run([monotrail_exe(), *words], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for command in ("run", "install", "ppipx", "from-git", "store gc", "python install"):
        assert any(
            line.split()[: len(command.split())] == command.split()
            for line in lines
            if line.strip()
        ), command
    assert (
        "Lists commands." not in proc.stdout.split("Available commands:")[0]
    )  # not list's own help


def test_help_of_one_command_still_works() -> None:
    proc = subprocess.run([monotrail_exe(), "help", "install"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "Fill the store with the project's locked packages" in proc.stdout
