"""The ``monotrail`` launcher (scripts/monotrail) as pip and uv install it, editable or not.

Installers drop anything after ``#!python``; the first run in a venv appends ``-S`` to the
``#!`` line, and later runs, without ``site``, still find monotrail (from site-packages, or from
the folder an editable install's ``.pth`` file names) and, off the fast path, its dependencies.
Each venv gets monotrail's dependencies through a ``.pth`` file naming the test venv's
site-packages: only ``site`` reads it, so the slow path works only if site was completed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import BIN, REPO, run


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """monotrail's own wheel, built by its build backend from this checkout."""
    out = tmp_path_factory.mktemp("wheel")
    build = "import sys\nfrom poetry.core.masonry.api import build_wheel\nbuild_wheel(sys.argv[1])"
    subprocess.run([sys.executable, "-c", build, str(out)], cwd=REPO, check=True)
    (found,) = out.glob("monotrail-*.whl")
    return found


def _venv(path: Path) -> Path:
    """A venv of this interpreter without pip, seeing monotrail's dependencies once site runs."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def _install(how: str, python: Path, wheel: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
    if how == "pip":
        command = [*pip, "--no-index", str(wheel)]
    elif how == "pip -e":
        command = [*pip, "--no-index", "--no-build-isolation", "-e", str(REPO)]
    else:
        command = [str(BIN / "uv"), "pip", "install", "-q", "--offline", "--no-deps"]
        command += ["--python", str(python), str(wheel)]
    subprocess.run(command, check=True)


@pytest.mark.parametrize("how", ["pip", "uv pip", "pip -e"])
def test_the_launcher_skips_site_from_its_second_run(
    how: str, wheel: Path, tmp_path: Path, home: Path
) -> None:
    python = _venv(tmp_path / "venv")
    _install(how, python, wheel)
    launcher = tmp_path / "venv" / "bin" / "monotrail"
    assert launcher.read_text().splitlines()[0] == f"#!{python}"

    program = "import sys; print(sys.flags.no_site, sys.version_info[:2])"
    command = [str(launcher), "run", "-p", sys.executable, "python", "-c", program]
    expected = f"0 {tuple(sys.version_info[:2])}\n"
    first = run(command, tmp_path)  # with site: makes the environment, then sets -S
    assert (first.returncode, first.stdout) == (0, expected), first.stderr
    assert launcher.read_text().splitlines()[0] == f"#!{python} -S"
    assert launcher.stat().st_mode & 0o111

    again = run(command, tmp_path)  # without site: the fast path
    assert (again.returncode, again.stdout) == (0, expected), again.stderr
    shutil.rmtree(home / "envs")  # without site: the slow path, which completes site first
    remade = run(command, tmp_path)
    assert (remade.returncode, remade.stdout) == (0, expected), remade.stderr
    # The slow path (cleo) imports monotrail's dependencies: site has run by then.
    version = run([str(launcher), "--version"], tmp_path)
    assert version.returncode == 0, version.stderr
    assert "0.1.0" in version.stdout


def test_a_user_install_keeps_site(wheel: Path, tmp_path: Path, home: Path) -> None:
    """Outside a venv (``pip install --user``, a system install) the ``#!`` line stays."""
    target = tmp_path / "user"  # --target: pip leaves the test venv's own monotrail alone
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*pip, "--target", str(target), str(wheel)], check=True)
    launcher = target / "bin" / "monotrail"
    header = launcher.read_text().splitlines()[0]
    base = sys._base_executable  # type: ignore[attr-defined]
    launcher.write_text(launcher.read_text().replace(header, f"#!{base}", 1))
    env = {"PYTHONPATH": f"{target}:{sysconfig.get_path('purelib')}", "PATH": "/usr/bin"}
    proc = run([str(launcher), "--version"], tmp_path, {**env, "MONOTRAIL_HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    assert launcher.read_text().splitlines()[0] == f"#!{base}"
