"""`monotrail --help` and `monotrail help` list monotrail's own commands, one line each."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

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


def command_names() -> list[str]:
    """The commands `monotrail list` names (``store gc``...), but cleo's own help and list."""
    proc = subprocess.run([monotrail_exe(), "list"], capture_output=True, text=True)
    listed = proc.stdout.split("Available commands:", 1)[1]
    names = [line.split("  ")[1].strip() for line in listed.splitlines() if line.startswith("  ")]
    return [name for name in names if name not in ("help", "list")]


def test_every_command_is_listed() -> None:
    names = command_names()
    for name in ("run", "install", "ppipx", "from-git", "completions", "store gc", "python shim"):
        assert name in names


@pytest.mark.parametrize("name", command_names())
def test_every_commands_help_has_examples_of_that_command(name: str) -> None:
    for words in ([*name.split(), "--help"], ["help", name]):
        proc = subprocess.run([monotrail_exe(), *words], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        examples = proc.stdout.split("Examples:", 1)[1].splitlines()[1:]
        assert any(f"monotrail {name} " in f"{line} " for line in examples), proc.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_name_our_commands(shell: str) -> None:
    proc = subprocess.run([monotrail_exe(), "completions", shell], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for word in ("install", "ppipx", "from-git", "export-venv", "store", "extras", "dry-run"):
        assert word in proc.stdout, word


def test_bash_completes_commands_and_options(tmp_path: Path) -> None:
    script = subprocess.run(
        [monotrail_exe(), "completions", "bash"], capture_output=True, text=True, check=True
    ).stdout
    function = re.search(r"complete -o default -F (\S+) monotrail\n", script)
    assert function, script
    (tmp_path / "completion.bash").write_text(script)
    # The two helpers of the bash-completion package the script calls, at their simplest.
    probe = (
        "_get_comp_words_by_ref() {\n"
        '  cur="${COMP_WORDS[COMP_CWORD]}"; words=("${COMP_WORDS[@]}")\n'
        "}\n"
        "__ltrim_colon_completions() { :; }\n"
        "source completion.bash\n"
        "complete_line() { COMP_WORDS=($1); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ));"
        f' {function[1]}; echo "${{COMPREPLY[*]}}"; }}\n'
        'complete_line "monotrail ins"\n'
        'complete_line "monotrail install --gr"\n'
        'complete_line "monotrail completions --al"\n'
    )
    proc = subprocess.run(["bash", "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["install", "--group", "--alias"], proc.stdout + proc.stderr
