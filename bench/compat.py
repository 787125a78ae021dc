"""The compatibility matrix: popular PyPI projects installed by pip into a venv and by monotrail.

    .venv/bin/python bench/compat.py [--limit 200] [--only NAME...] [--python PATH] [--fresh]

For each project of test-data/popular-packages.txt (in download rank order, until ``--limit``
of them installed with pip): pip installs it into a fresh venv, monotrail installs the same
pinned versions into its store (``MONOTRAIL_HOME`` under bench/.work/compat), and
bench/compat_probe.py runs in both (the venv's python, ``monotrail run python``). The two
reports are compared: import success of every top-level module the distribution declares,
``__version__``, ``__file__``, ``importlib.metadata`` version and entry points, and the set of
installed distributions. Writes bench/results/compat.md. Results per project are kept in
bench/.work/compat/results, so an interrupted run goes on where it stopped (``--fresh``
starts over).

Importable without side effects: tests/test_compat.py uses ``check_batch`` on a few projects.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work" / "compat"
PACKAGES = REPO / "test-data" / "popular-packages.txt"
RESULTS = BENCH / "results" / "compat.md"
PROBE = BENCH / "compat_probe.py"

SAME, DIFFERS, FAILS = "same", "differs", "fails"
NOT_INSTALLABLE, EXCLUDED = "not installable", "excluded"


@dataclass
class Popular:
    rank: int
    name: str
    #: Why the project is left out of the matrix without trying ("" when it is tried).
    excluded: str = ""


@dataclass
class Row:
    """One project's line of the matrix."""

    name: str
    status: str
    version: str = ""
    modules: list[str] = field(default_factory=list)
    reason: str = ""
    #: Facts worth telling that are the same on both sides (imports failing in both).
    notes: list[str] = field(default_factory=list)
    rank: int = 0
    seconds: float = 0.0


class StepFailed(Exception):
    """A command of the comparison failed; the message says which and why."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_popular(path: Path = PACKAGES) -> list[Popular]:
    """``rank name`` lines; ``# exclude: reason`` after a name leaves it out; # comments."""
    result = []
    for line in path.read_text().splitlines():
        text, _, comment = line.partition("#")
        if not text.strip():
            continue
        rank, name = text.split()
        excluded = comment.split("exclude:", 1)[1].strip() if "exclude:" in comment else ""
        result.append(Popular(int(rank), name, excluded))
    return result


def base_python() -> str:
    """The interpreter behind this script, outside any venv (both sides target it)."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def monotrail_exe() -> str:
    path = Path(sys.executable).parent / "monotrail"
    if not path.exists():
        raise SystemExit(f"error: {path} missing: run this with the python of monotrail's venv")
    return str(path)


def run_step(
    args: list[str | Path],
    what: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 1800,
    ok_codes: tuple[int, ...] = (0,),
) -> subprocess.CompletedProcess[str]:
    """Run a step of a comparison; StepFailed (naming ``what``) unless it exits with ok_codes."""
    try:
        proc = subprocess.run(
            [str(a) for a in args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise StepFailed(f"{what}: no answer within {timeout:.0f} s") from None
    if proc.returncode not in ok_codes:
        raise StepFailed(f"{what}: {last_error_line(proc.stderr + proc.stdout)}")
    return proc


def last_error_line(output: str) -> str:
    """The line of a command's output that says what went wrong."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith(("error:", "ERROR:")) or re.match(r"^\w+(Error|Exception)\b", line):
            return line[:300]
    return (lines[-1] if lines else "(no output)")[:300]


def pip_venv(python: str, venv: Path, requirements: list[str]) -> list[str]:
    """A fresh venv (no pip inside) with ``requirements`` installed by pip; the pins it got."""
    shutil.rmtree(venv, ignore_errors=True)
    run_step([python, "-m", "venv", "--without-pip", venv], "python -m venv")
    report = venv / "pip-report.json"
    (venv / "requirements.txt").write_text("".join(f"{r}\n" for r in requirements))
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install"]
    run_step([*pip, "--report", report, "-r", venv / "requirements.txt"], "pip install")
    installed = json.loads(report.read_text())["install"]
    return sorted(f"{i['metadata']['name']}=={i['metadata']['version']}" for i in installed)


def monotrail_project(project: Path, pins: list[str]) -> None:
    """A requirements project with exactly the versions pip chose."""
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    (project / "requirements.txt").write_text("".join(f"{p}\n" for p in pins))


def probe(command: list[str | Path], out: Path, dists: list[str], **kwargs: Any) -> dict[str, Any]:
    """Run the probe with ``command`` (a python) for ``dists``; its JSON report."""
    out.unlink(missing_ok=True)
    run_step([*command, PROBE, out, *dists], kwargs.pop("what"), timeout=900, **kwargs)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def probe_both(
    work: Path, requirements: list[str], dists: list[str], python: str, env: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Install ``requirements`` both ways and probe ``dists``: (venv report, monotrail report).

    Raises StepFailed naming the side that failed; "pip install" failures mean the project is
    not installable here at all.
    """
    venv = work / "venv"
    pins = pip_venv(python, venv, requirements)
    venv_report = probe([venv / "bin" / "python"], work / "venv.json", dists, what="venv probe")
    project = work / "project"
    monotrail_project(project, pins)
    command: list[str | Path] = [monotrail_exe(), "run", "-p", python, "python"]
    mono_report = probe(
        command, work / "monotrail.json", dists, cwd=project, env=env, what="monotrail run"
    )
    return venv_report, mono_report


def _module_difference(name: str, venv: dict[str, Any], mono: dict[str, Any]) -> list[str]:
    reasons = []
    for key in ("import", "version", "file"):
        if venv.get(key) != mono.get(key):
            reasons.append(f"{name} {key}: venv {venv.get(key)!r}, monotrail {mono.get(key)!r}")
    return reasons


def compare(
    name: str, venv_report: dict[str, Any], mono_report: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """(differences, notes) between the two reports for distribution ``name``."""
    reasons: list[str] = []
    notes: list[str] = []
    venv_dists, mono_dists = set(venv_report["distributions"]), set(mono_report["distributions"])
    if venv_dists != mono_dists:
        only_venv, only_mono = sorted(venv_dists - mono_dists), sorted(mono_dists - venv_dists)
        reasons.append(
            f"installed distributions: only in the venv {only_venv}, only monotrail {only_mono}"
        )
    venv, mono = venv_report[name], mono_report[name]
    if "error" in venv or "error" in mono:
        if venv.get("error") != mono.get("error"):
            reasons.append(f"metadata: venv {venv.get('error')}, monotrail {mono.get('error')}")
        return reasons, notes
    if venv["version"] != mono["version"]:
        reasons.append(f"metadata version: venv {venv['version']}, monotrail {mono['version']}")
    if venv["entry_points"] != mono["entry_points"]:
        only_venv = sorted(set(venv["entry_points"]) - set(mono["entry_points"]))
        only_mono = sorted(set(mono["entry_points"]) - set(venv["entry_points"]))
        reasons.append(f"entry points: only in the venv {only_venv}, only monotrail {only_mono}")
    modules = sorted(set(venv["modules"]) | set(mono["modules"]))
    for module in modules:
        if module not in venv["modules"] or module not in mono["modules"]:
            side = "the venv" if module in venv["modules"] else "monotrail"
            reasons.append(f"top-level module {module} declared only in {side}")
            continue
        venv_module, mono_module = venv["modules"][module], mono["modules"][module]
        reasons.extend(_module_difference(module, venv_module, mono_module))
        if venv_module == mono_module and venv_module["import"] != "ok":
            notes.append(f"import {module} fails in both: {venv_module['import']}")
    return reasons, notes


def rows_from_reports(
    dists: list[str], venv_report: dict[str, Any], mono_report: dict[str, Any]
) -> list[Row]:
    rows = []
    for name in dists:
        reasons, notes = compare(name, venv_report, mono_report)
        info = venv_report[name]
        rows.append(
            Row(
                name=name,
                status=DIFFERS if reasons else SAME,
                version=info.get("version", ""),
                modules=sorted(info.get("modules", {})),
                reason="; ".join(reasons),
                notes=notes,
            )
        )
    return rows


def check_batch(
    work: Path,
    requirements: list[str],
    python: str,
    env: dict[str, str],
    dists: list[str] | None = None,
) -> list[Row]:
    """Install ``requirements`` with pip and with monotrail, probe ``dists`` (default: the
    requirements' names) in both, one Row each."""
    dists = dists or [re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0] for r in requirements]
    work.mkdir(parents=True, exist_ok=True)
    try:
        venv_report, mono_report = probe_both(work, requirements, dists, python, env)
    except StepFailed as err:
        status = NOT_INSTALLABLE if str(err).startswith("pip install") else FAILS
        return [Row(name=name, status=status, reason=str(err)) for name in dists]
    return rows_from_reports(dists, venv_report, mono_report)


# --- the report ------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(rows: list[Row], python: str, limit: int) -> str:
    """The Markdown report."""
    elapsed = sum(r.seconds for r in rows)
    counted = [r for r in rows if r.status in (SAME, DIFFERS, FAILS)]
    counts = {s: sum(r.status == s for r in rows) for s in (SAME, DIFFERS, FAILS)}
    skipped = [r for r in rows if r.status in (NOT_INSTALLABLE, EXCLUDED)]
    lines = [
        "# Compatibility matrix: pip + venv vs monotrail",
        "",
        f"Made by `bench/compat.py` on {time.strftime('%Y-%m-%d')} with Python {python}, "
        f"from `{PACKAGES.relative_to(REPO)}` (download rank order) until {limit} projects "
        f"installed with pip; {elapsed / 60:.0f} min of checks.",
        "",
        "Per project: pip into a fresh venv, monotrail into its store with the same pinned "
        "versions; in both, every top-level module the distribution declares is imported and "
        "compared (import outcome, `__version__`, `__file__` exists), with "
        "`importlib.metadata.version`, the distribution's entry points and the set of "
        "installed distributions.",
        "",
        f"**{len(counted)} projects: {counts[SAME]} same, {counts[DIFFERS]} differ, "
        f"{counts[FAILS]} fail** ({len(skipped)} more not counted: not installable with pip "
        "here, or left out; see the end).",
        "",
        "| rank | project | version | top-level modules | result | reason / notes |",
        "| ---: | --- | --- | --- | --- | --- |",
    ]
    for row in counted:
        text = row.reason or "; ".join(row.notes)
        modules = (
            ", ".join(row.modules)
            if len(row.modules) <= 6
            else (", ".join(row.modules[:6]) + f", ... ({len(row.modules)})")
        )
        lines.append(
            f"| {row.rank} | {row.name} | {row.version} | {_cell(modules)} | {row.status} "
            f"| {_cell(text)} |"
        )
    if skipped:
        lines += ["", "## Not counted", "", "| rank | project | why |", "| ---: | --- | --- |"]
        lines += [f"| {r.rank} | {r.name} | {r.status}: {_cell(r.reason)} |" for r in skipped]
    return "\n".join(lines) + "\n"


def _cached_row(path: Path) -> Row | None:
    try:
        return Row(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=200, help="projects to count (default 200)")
    parser.add_argument("--only", nargs="*", help="just these projects (no report written)")
    parser.add_argument("--python", default=base_python(), help="target interpreter (a path)")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results and store")
    parser.add_argument("--keep", action="store_true", help="keep each project's venv")
    parser.add_argument("--redo", action="store_true", help="check again what was not same")
    args = parser.parse_args(argv)
    if args.fresh:
        shutil.rmtree(WORK, ignore_errors=True)
    env = dict(os.environ, MONOTRAIL_HOME=str(WORK / "home"))
    done_dir = WORK / "results"
    done_dir.mkdir(parents=True, exist_ok=True)
    popular = read_popular()
    if args.only:
        wanted = {canonical(n) for n in args.only}
        popular = [p for p in popular if canonical(p.name) in wanted]
    version = run_step(
        [args.python, "-c", "import platform; print(platform.python_version())"], "python"
    ).stdout.strip()
    rows: list[Row] = []
    counted = 0
    for item in popular:
        if counted >= args.limit:
            break
        cache = done_dir / f"{canonical(item.name)}.json"
        row = _cached_row(cache) if not args.only else None
        if row is not None and args.redo and row.status in (DIFFERS, FAILS):
            row = None
        if row is None:
            t0 = time.perf_counter()
            if item.excluded:
                row = Row(name=item.name, status=EXCLUDED, reason=item.excluded)
            else:
                work = WORK / "projects" / canonical(item.name)
                row = check_batch(work, [item.name], args.python, env)[0]
                if not args.keep:
                    shutil.rmtree(work / "venv", ignore_errors=True)
            row.rank, row.seconds = item.rank, round(time.perf_counter() - t0, 1)
            cache.write_text(json.dumps(asdict(row), indent=1))
        rows.append(row)
        counted += row.status in (SAME, DIFFERS, FAILS)
        print(
            f"{row.rank:4} {row.name:32} {row.status:15} {row.seconds:6.1f}s {row.reason[:150]}",
            flush=True,
        )
        if not args.only:
            RESULTS.write_text(render(rows, version, args.limit))
    bad = [r for r in rows if r.status in (DIFFERS, FAILS)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
