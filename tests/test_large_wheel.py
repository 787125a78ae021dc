"""A wheel with thousands of files: a second process writes half of them while installer
writes the rest (unpack._Helper). The result must be what pip makes of the same wheel.

Hostile large wheels (a lying RECORD, an understated member) are in test_hostile.py; a full disk
during a large unpack in test_store_faults.py.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from conftest import monotrail_exe, run
from monotrail.store import unpack
from monotrail.store.verify import check_entry
from support.wheels import build_wheel
from test_pip_monotrail import comparable, make_venv, record_rows

COUNT = 2000


def large_wheel(out: Path) -> Path:
    assert COUNT >= unpack.HELPER_MIN_FILES
    files: dict[str, str | bytes] = {"bigpkg/__init__.py": "def main():\n    print('big main')\n"}
    for part in range(10):
        files[f"bigpkg/s{part}/__init__.py"] = ""
    for i in range(COUNT):
        files[f"bigpkg/s{i % 10}/m{i:04d}.py"] = f"N = {i}\n"
    files["bigpkg/tool.sh"] = "#!/bin/sh\necho tool\n"
    return build_wheel(
        out,
        "bigpkg",
        "1.0",
        files,
        executables=["bigpkg/tool.sh"],
        data_files={"scripts/bigtool": "#!python\nprint('big tool')\n"},
        entry_points={"console_scripts": {"bigcli": "bigpkg:main"}},
    )


def test_large_wheel_installs_as_pip_installs_it(
    tmp_path: Path, offline_env: dict[str, str], home: Path
) -> None:
    wheel = large_wheel(tmp_path / "wheels")
    env = dict(offline_env, MONOTRAIL_LOG="debug")
    env.pop("VIRTUAL_ENV", None)
    ours = make_venv(tmp_path / "ours")
    theirs = make_venv(tmp_path / "theirs")
    proc = run([monotrail_exe(), "venv-install", "-p", str(ours), str(wheel)], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert "a helper process writes" in proc.stderr  # the two-process path was taken
    pip = [str(theirs / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)]
    proc = run(pip, tmp_path, offline_env)
    assert proc.returncode == 0, proc.stderr

    dist_info = "bigpkg-1.0.dist-info"
    assert comparable(record_rows(ours, dist_info)) == comparable(record_rows(theirs, dist_info))
    site = next((ours / "lib").glob("python3*/site-packages"))
    assert os.stat(site / "bigpkg" / "tool.sh").st_mode & stat.S_IXUSR
    assert not os.stat(site / "bigpkg" / "s3" / "m0123.py").st_mode & stat.S_IXUSR
    code = "import bigpkg.s3.m0123 as m, bigpkg.s9.m1999 as n; print(m.N, n.N)"
    proc = run([str(ours / "bin" / "python"), "-c", code], tmp_path, offline_env)
    assert proc.stdout.split() == ["123", "1999"], proc.stderr
    for script, said in (("bigcli", "big main"), ("bigtool", "big tool")):
        proc = run([str(ours / "bin" / script)], tmp_path, offline_env)
        assert proc.stdout.strip() == said, proc.stderr

    entries = [p for p in (home / "store" / "bigpkg" / "1.0").iterdir() if p.is_dir()]
    assert len(entries) == 1
    assert check_entry(entries[0]) is None
    assert not [p for p in (home / "tmp").iterdir()]  # no listing or folder left behind
