"""Fixtures for `bench/run.py scale`: a store with 10,000 entries, and a 300-package project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def make_scale_fixtures(work: str, python: str) -> None:
    from monotrail.store import fill
    from support.wheels import build_wheel  # tests/support: real wheels

    root = Path(work).absolute()
    wheels = root / "wheels"
    index = root / "index"
    filled = root / "store-filled"
    if not filled.exists():
        wheels.mkdir(parents=True, exist_ok=True)
        # 10,000 entries: 300 packages the large lock uses, plus filler versions of them.
        for number in range(300):
            name = f"pkg{number:04d}"
            for version in range(34):
                files = {f"{name}/__init__.py": f"V = {version}\n"}
                wheel = build_wheel(wheels, name, f"1.{version}", files)
                fill.unpack_into_store(wheel, name, f"1.{version}")
                wheel.unlink()
        index.mkdir(exist_ok=True)
        for number in range(300):
            name = f"pkg{number:04d}"
            build_wheel(index, name, "1.0", {f"{name}/__init__.py": "V = 0\n"})
        filled.touch()
    # Environments (again after a new monotrail: its env keys differ), from the local index.
    small = root / "small-project"
    large = root / "large-project"
    # The same 1-package project, also in a store that holds nothing else.
    tiny_store = {"MONOTRAIL_HOME": str(root / "tiny-store-home")}
    for project, count, home in ((small, 1, {}), (large, 300, {}), (small, 1, tiny_store)):
        project.mkdir(exist_ok=True)
        lines = [f"pkg{n:04d}==1.0" for n in range(count)]
        (project / "requirements.txt").write_text("\n".join(lines) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(index))
        env.update(home)
        subprocess.run(
            [
                str(Path(sys.executable).parent / "monotrail"),
                "run",
                "-p",
                python,
                "python",
                "-c",
                "import pkg0000",
            ],
            cwd=project,
            env=env,
            check=True,
        )
