"""Fixtures for the scale workload: a store with 10,000 entries, and a 300-package project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))


def make_scale_fixtures(work: str, python: str) -> None:
    from monotrail import installation

    from support.wheels import build_wheel  # tests/support: real wheels

    root = Path(work)
    wheels = root / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    # 10,000 entries: 300 packages the large lock uses, plus filler versions of them.
    for number in range(300):
        name = f"pkg{number:04d}"
        for version in range(34):
            wheel = build_wheel(
                wheels, name, f"1.{version}", {f"{name}/__init__.py": f"V = {version}\n"}
            )
            installation.unpack_into_store(wheel, name, f"1.{version}")
            wheel.unlink()
    index = root / "index"
    index.mkdir(exist_ok=True)
    for number in range(300):
        name = f"pkg{number:04d}"
        build_wheel(index, name, "1.0", {f"{name}/__init__.py": "V = 0\n"})
    small = root / "small-project"
    large = root / "large-project"
    for project, count in ((small, 1), (large, 300)):
        project.mkdir(exist_ok=True)
        lines = [f"pkg{n:04d}==1.0" for n in range(count)]
        (project / "requirements.txt").write_text("\n".join(lines) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(index))
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
