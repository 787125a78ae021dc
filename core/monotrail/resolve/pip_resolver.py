"""Resolving a requirements file with pip's own resolver, for the target interpreter.

pip parses every requirement-file syntax and applies the user's pip configuration; its JSON
install report (``--dry-run --ignore-installed --report``) is the resolution. ``--python`` makes
pip evaluate markers and wheel tags for the target interpreter, not the one running monotrail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from monotrail import paths, progress
from monotrail.errors import MonotrailError
from monotrail.fetch import credentials
from monotrail.fetch.credentials import redact_all, strip
from monotrail.lockfile.model import Artifact, GitSource, LockedPackage
from monotrail.log import logger
from monotrail.names import canonical_name
from monotrail.python.interpreter import Interpreter


class ResolutionConflict(MonotrailError):
    """pip found no versions that satisfy every requirement together."""

    def __init__(self, message: str, causes: list[str]) -> None:
        super().__init__(message)
        #: pip's own lines under "The conflict is caused by:", e.g. ``gamma 1.0 depends on
        #: beta<2``, ``The user requested beta<2``, ``The user requested (constraint) beta==2.0``.
        self.causes = causes


def run_pip_report(
    args: list[str], interpreter: Interpreter, cwd: Path, ignore_installed: bool = True
) -> dict[str, Any]:
    """Run ``pip install --dry-run --report`` with ``args`` for the target; the parsed report.
    The phase this thread shows (progress.py) counts the requirements pip collects.

    With ``ignore_installed`` false the target's installed packages count, as for a plain
    ``pip install`` into a venv: the report then lists only what must be (re)installed.
    pip runs without ``--quiet``: only then does it say why requirements conflict.
    """
    fd, report_name = tempfile.mkstemp(suffix=".json", dir=paths.tmp_dir())
    os.close(fd)
    cmd = [
        sys.executable, "-m", "pip", "--python", interpreter.executable,
        "install", "--dry-run", "--progress-bar", "off", "--report", report_name,
        "--disable-pip-version-check", *(["--ignore-installed"] if ignore_installed else []),
        *args,
    ]  # fmt: skip
    logger.debug("resolving with pip: %s", redact_all(" ".join(cmd)))
    try:
        with tempfile.TemporaryFile("w+", dir=paths.tmp_dir()) as stderr:
            printed: list[str] = []
            with subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=stderr) as proc:
                assert proc.stdout is not None
                for raw in proc.stdout:  # pip's own progress: "Collecting NAME ..."
                    line = raw.decode(errors="replace")
                    printed.append(line)
                    if line.startswith("Collecting "):
                        progress.advance()
                        progress.detail(line.split()[1])
            if proc.returncode != 0:
                stderr.seek(0)
                stdout = "".join(printed)
                output = stdout + stderr.read()
                causes = _conflict_causes(stdout)
                if causes:
                    raise ResolutionConflict(_pip_error(output, args, causes), causes)
                raise MonotrailError(_pip_error(output, args))
        with open(report_name, encoding="utf-8") as handle:
            report: dict[str, Any] = json.load(handle)
    finally:
        os.unlink(report_name)
    for item in report.get("install", []):  # pip redacts them; what is kept must hold none
        item["download_info"]["url"] = strip(item["download_info"]["url"])
    return report


def _conflict_causes(stdout: str) -> list[str]:
    """The lines pip prints under "The conflict is caused by:" (none when it printed none)."""
    lines = stdout.splitlines()
    try:
        start = lines.index("The conflict is caused by:") + 1
    except ValueError:
        return []
    causes = []
    for line in lines[start:]:
        if not line.startswith(" "):
            break
        causes.append(line.strip())
    return causes


def _pip_error(output: str, args: list[str], causes: Sequence[str] = ()) -> str:
    """pip's failure in one line (``output``: what pip printed, stdout and stderr)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    chosen = errors[0] if errors else (lines[-1] if lines else "pip failed")
    chosen = _git_error(output, lines) or chosen.removeprefix("ERROR: ")
    where = next((a for a in args if a.endswith((".txt", ".in"))), None)
    hint = ""
    if "ResolutionImpossible" in output or "conflicting dependencies" in output:
        why = f": {'; '.join(causes)}" if causes else ""
        hint = f" (the requirements cannot all be satisfied{why})"
    if "DO NOT MATCH THE HASHES" in output:
        expected = next((line.split()[-1] for line in lines if line.startswith("Expected")), "?")
        chosen = (
            f"a downloaded file does not match its expected hash (sha256 {expected}): "
            "corrupted or tampered download"
        )
    refused = re.search(r"401 Error, Credentials not correct for (\S+)", output)
    if refused:
        chosen = str(credentials.refused(strip(refused.group(1)), 401))
    missing = re.search(r"satisfies the requirement (\S+) \(from versions: none\)", output)
    if missing and not refused:
        refusal = _refused_page(re.split(r"[<>=!~;\[ ]", missing.group(1))[0])
        chosen = str(refusal) if refusal else chosen
    prefix = f"{where}: " if where else ""
    return f"{prefix}pip could not resolve the requirements: {chosen}{hint}"


_CLONING = re.compile(r"Cloning (\S+) \(to revision (\S+)\)")
_CLONE_FAILED = re.compile(r"git clone .* (\S+) \S+ did not run successfully")


def _git_error(output: str, lines: list[str]) -> str | None:
    """A git step of pip's that failed, in one line naming the repository."""
    cloning = _CLONING.search(output)
    if cloning and re.search(r"git checkout -q \S+ did not run successfully", output):
        return f"{cloning[1]}: no revision {cloning[2]!r} (no such commit, tag or branch)"
    clone = _CLONE_FAILED.search(output)
    if clone:
        fatal = next((line for line in lines if line.startswith("fatal: ")), "no output")
        return f"git could not fetch {clone[1]}: {fatal.removeprefix('fatal: ')}"
    return None


def _refused_page(name: str) -> credentials.Refused | None:
    """Why pip found no versions of ``name``: the first configured index whose page of it
    refuses its credentials (pip, told not to prompt, does not say so)."""
    from monotrail.fetch import download, indexes

    for index in credentials.configured():
        if index.url.startswith(("http://", "https://")):
            try:
                download.get(indexes.project_page_url(strip(index.url), name))
            except credentials.Refused as err:
                return err
            except MonotrailError:
                continue
    return None


def packages_from_report(report: dict[str, Any]) -> list[LockedPackage]:
    """The report's chosen distributions as locked packages with one artifact each."""
    packages = []
    for item in report.get("install", []):
        metadata = item["metadata"]
        name, version = canonical_name(metadata["name"]), metadata["version"]
        info = item["download_info"]
        url = info["url"]
        if "vcs_info" in info:
            packages.append(LockedPackage(name, version, [], git=_git_source(info)))
            continue
        if "dir_info" in info:
            editable = info["dir_info"].get("editable") is True  # a `-e PATH` line
            folder = unquote(urlsplit(url).path)
            packages.append(LockedPackage(name, version, [], source_dir=folder, editable=editable))
            continue
        hashes = dict(info.get("archive_info", {}).get("hashes", {}))
        legacy = info.get("archive_info", {}).get("hash")
        if legacy and "=" in legacy:
            algorithm, value = legacy.split("=", 1)
            hashes.setdefault(algorithm, value)
        filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        packages.append(LockedPackage(name, version, [Artifact(filename, url, hashes)]))
    return packages


def _git_source(info: dict[str, Any]) -> GitSource:
    """The commit pip resolved a ``git+URL@rev`` requirement to (other tools: an error)."""
    vcs = info["vcs_info"]
    if vcs.get("vcs") != "git":
        raise MonotrailError(
            f"{info['url']}: {vcs.get('vcs')} requirements are not supported (only git)"
        )
    return GitSource(info["url"], vcs["commit_id"], info.get("subdirectory"))
