"""A fast subset of bench/compat.py and bench/suites.py: popular packages and a real test
suite, installed by pip into a venv and by monotrail into its store, must look the same."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import compat  # noqa: E402
import suites  # noqa: E402

# Representative: pure Python, C extensions (pyyaml, markupsafe, charset-normalizer), a .pth
# file (setuptools), entry points (pytest, setuptools), a src layout, namespace-free and
# with dependencies. Pinned, so that a new release does not change what is compared.
BATCH = [
    "requests==2.32.3",
    "attrs==24.2.0",
    "pyyaml==6.0.2",
    "six==1.17.0",
    "typing-extensions==4.12.2",
    "packaging==24.2",
    "jinja2==3.1.4",
    "setuptools==75.6.0",
    "pytest==8.3.4",
]
ALSO_PROBED = ["markupsafe", "urllib3", "charset-normalizer", "pluggy"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, MONOTRAIL_HOME=str(tmp_path / "home"))


@pytest.mark.online
@pytest.mark.slow
def test_popular_packages_look_the_same(tmp_path: Path, env: dict[str, str]) -> None:
    names = [r.split("==")[0] for r in BATCH] + ALSO_PROBED
    rows = compat.check_batch(tmp_path / "batch", BATCH, compat.base_python(), env, names)
    assert {r.name: r.status for r in rows} == dict.fromkeys(names, compat.SAME), [
        f"{r.name}: {r.status}: {r.reason}" for r in rows if r.status != compat.SAME
    ]
    by_name = {r.name: r for r in rows}
    # The comparison saw what it claims to: top-level modules including C extensions.
    assert by_name["pyyaml"].modules == ["_yaml", "yaml"]
    assert "_distutils_hack" in by_name["setuptools"].modules
    assert by_name["requests"].version == "2.32.3"


@pytest.mark.online
@pytest.mark.slow
def test_real_test_suite_has_the_same_outcomes(tmp_path: Path, env: dict[str, str]) -> None:
    result = suites.run_suite(suites.SUITES["iniconfig"], tmp_path, compat.base_python(), env)
    assert result.error == ""
    assert result.same, result.differences
    assert list(result.venv.values()).count("passed") >= 40


def test_comparison_notices_a_difference() -> None:
    """The compare step is not blind: a changed import outcome or version is reported."""
    module = {"import": "ok", "version": "1.0", "file": "exists"}
    report = {
        "python": "3.11.7",
        "distributions": ["demo==1.0"],
        "demo": {"version": "1.0", "entry_points": [], "modules": {"demo": module}},
    }
    broken = {
        **report,
        "demo": {
            "version": "1.0",
            "entry_points": ["console_scripts: demo = demo:main"],
            "modules": {"demo": {"import": "ImportError: libfoo.so: cannot open"}},
        },
    }
    (row,) = compat.rows_from_reports(["demo"], report, broken)
    assert row.status == compat.DIFFERS
    assert "demo import: venv 'ok', monotrail 'ImportError" in row.reason
    assert "entry points: only in the venv [], only monotrail ['console_scripts" in row.reason
