"""Real projects' own test suites, run against monotrail's store and in a pip-made venv.

    .venv/bin/python bench/suites.py [NAME...] [--python PATH]

For each project: its sdist (which ships the tests) is downloaded with pip and its tests and
pytest configuration are copied out, without the package's source, so the tests import the
installed package. pip installs the package (from PyPI, as users get it), pytest and the test
dependencies into a fresh venv; monotrail installs the same pinned versions. The suite runs
as ``venv/bin/python -m pytest`` and as ``monotrail run command pytest``; the per-test outcomes
(JUnit XML) must be the same. Writes bench/results/test-suites.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compat import (  # noqa: E402
    REPO,
    WORK,
    StepFailed,
    base_python,
    monotrail_exe,
    monotrail_project,
    pip_venv,
    run_step,
)

RESULTS = REPO / "bench" / "results" / "test-suites.md"
CONFIG_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", "conftest.py")
#: Keeps runs comparable: no cache folder, no plugin autoloading from the base interpreter.
PYTEST_ARGS = ["-p", "no:cacheprovider", "-q", "-o", "addopts="]


@dataclass
class Suite:
    name: str
    version: str
    #: Paths inside the sdist to run (copied out with the pytest configuration).
    tests: list[str]
    requires: list[str] = field(default_factory=list)


SUITES = {
    s.name: s
    for s in (
        Suite("six", "1.17.0", ["test_six.py"]),
        Suite("iniconfig", "2.3.1", ["testing"]),
        Suite("idna", "3.20", ["tests"], ["hypothesis"]),
        Suite("more-itertools", "11.2.1", ["tests"]),
        Suite("pluggy", "1.7.0", ["testing"]),
        Suite("markupsafe", "3.0.4", ["tests"]),
        Suite(
            "python-dateutil",
            "4.0.0",
            ["tests"],
            ["freezegun", "pytest-cov", "hypothesis", "tzdata", "attrs"],
        ),
        Suite("attrs", "26.1.0", ["tests"], ["hypothesis"]),
    )
}


@dataclass
class SuiteResult:
    name: str
    version: str
    venv: dict[str, str] = field(default_factory=dict)
    monotrail: dict[str, str] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0

    @property
    def differences(self) -> list[str]:
        names = sorted(set(self.venv) | set(self.monotrail))
        return [
            f"{n}: venv {self.venv.get(n, 'not run')}, monotrail {self.monotrail.get(n, 'not run')}"
            for n in names
            if self.venv.get(n) != self.monotrail.get(n)
        ]

    @property
    def same(self) -> bool:
        return not self.error and bool(self.venv) and not self.differences


def fetch_tests(suite: Suite, work: Path) -> Path:
    """The suite folder: the sdist's tests and pytest configuration, no package source."""
    sdists = work / "sdist"
    shutil.rmtree(sdists, ignore_errors=True)
    spec = f"{suite.name}=={suite.version}"
    run_step(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            suite.name,
            "-d",
            sdists,
            spec,
        ],
        f"pip download {spec}",
    )
    archive = next(sdists.glob("*.tar.gz"))
    target = work / "suite"
    shutil.rmtree(target, ignore_errors=True)
    extracted = work / "extracted"
    shutil.rmtree(extracted, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(extracted, filter="data")
    (root,) = list(extracted.iterdir())
    target.mkdir()
    for name in [*suite.tests, *CONFIG_FILES]:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.is_file():
            shutil.copy2(source, target / name)
    shutil.rmtree(extracted)
    return target


def outcomes(junit: Path) -> dict[str, str]:
    """Test id -> passed / failed / error / skipped, from pytest's JUnit XML."""
    result = {}
    for case in ET.parse(junit).iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        outcome = next((k for k in ("error", "failure", "skipped") if k in kinds), "passed")
        result[test_id] = "failed" if outcome == "failure" else outcome
    return result


def run_suite(suite: Suite, work: Path, python: str, env: dict[str, str]) -> SuiteResult:
    """Run ``suite`` in a venv and with monotrail; the outcomes of both."""
    result = SuiteResult(suite.name, suite.version)
    started = time.perf_counter()
    try:
        tests_dir = fetch_tests(suite, work)
        pins = pip_venv(
            python, work / "venv", [f"{suite.name}=={suite.version}", "pytest", *suite.requires]
        )
        monotrail_project(work / "project", pins)
        ok = (0, 1)  # pytest: all passed / some failed
        venv_xml, mono_xml = work / "venv.xml", work / "monotrail.xml"
        run_step(
            [
                work / "venv" / "bin" / "python",
                "-m",
                "pytest",
                *PYTEST_ARGS,
                f"--junitxml={venv_xml}",
                *suite.tests,
            ],
            "pytest in the venv",
            cwd=tests_dir,
            ok_codes=ok,
        )
        run_step(
            [
                monotrail_exe(),
                "run",
                "-p",
                python,
                "--project",
                work / "project",
                "command",
                "pytest",
                *PYTEST_ARGS,
                f"--junitxml={mono_xml}",
                *suite.tests,
            ],
            "monotrail run command pytest",
            cwd=tests_dir,
            env=env,
            ok_codes=ok,
        )
        result.venv, result.monotrail = outcomes(venv_xml), outcomes(mono_xml)
    except StepFailed as err:
        result.error = str(err)
    result.seconds = round(time.perf_counter() - started, 1)
    return result


def _counts(outcome: dict[str, str]) -> str:
    counts = Counter(outcome.values())
    return ", ".join(
        f"{counts[k]} {k}" for k in ("passed", "failed", "error", "skipped") if counts[k]
    )


def render(results: list[SuiteResult], version: str) -> str:
    same = sum(r.same for r in results)
    lines = [
        "# Real test suites: pip + venv vs monotrail",
        "",
        f"Made by `bench/suites.py` on {time.strftime('%Y-%m-%d')} with Python {version}: each "
        "project's own tests from its sdist, run with `venv/bin/python -m pytest` and with "
        "`monotrail run command pytest` against the same pinned versions.",
        "",
        f"**{len(results)} suites: {same} with the same outcome for every test, "
        f"{len(results) - same} not.**",
        "",
        "| project | version | venv | monotrail | result |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in results:
        verdict = "same" if r.same else (r.error or "; ".join(r.differences[:5]))
        failing = [t for t, outcome in r.venv.items() if outcome in ("failed", "error")]
        if r.same and failing:
            verdict += f" (failing in both: {', '.join(failing[:4])})"
        lines.append(
            f"| {r.name} | {r.version} | {_counts(r.venv)} | {_counts(r.monotrail)} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"suites to run (default: {', '.join(SUITES)})")
    parser.add_argument("--python", default=base_python(), help="target interpreter (a path)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in SUITES]
    if unknown:
        parser.error(f"unknown suites: {', '.join(unknown)}")
    env = dict(os.environ, MONOTRAIL_HOME=str(WORK / "home"))
    results = []
    for name in args.names or list(SUITES):
        result = run_suite(SUITES[name], WORK / "suites" / name, args.python, env)
        results.append(result)
        print(
            f"{name:16} {'same' if result.same else 'DIFFERS'} {result.seconds:6.1f}s "
            f"venv: {_counts(result.venv)}; monotrail: {_counts(result.monotrail)} "
            f"{result.error}",
            flush=True,
        )
    if not args.names:
        version = run_step(
            [args.python, "-c", "import platform; print(platform.python_version())"], "python"
        ).stdout.strip()
        RESULTS.write_text(render(results, version))
    return 0 if all(r.same for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
