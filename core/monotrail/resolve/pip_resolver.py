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
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from monotrail import paths
from monotrail.errors import MonotrailError
from monotrail.fetch import credentials
from monotrail.fetch.credentials import redact_all, strip
from monotrail.lockfile.model import Artifact, LockedPackage
from monotrail.log import logger
from monotrail.names import canonical_name
from monotrail.python.interpreter import Interpreter


def run_pip_report(
    args: list[str], interpreter: Interpreter, cwd: Path, ignore_installed: bool = True
) -> dict[str, Any]:
    """Run ``pip install --dry-run --report`` with ``args`` for the target; the parsed report.

    With ``ignore_installed`` false the target's installed packages count, as for a plain
    ``pip install`` into a venv: the report then lists only what must be (re)installed.
    """
    fd, report_name = tempfile.mkstemp(suffix=".json", dir=paths.tmp_dir())
    os.close(fd)
    cmd = [
        sys.executable, "-m", "pip", "--python", interpreter.executable,
        "install", "--dry-run", "--quiet", "--report", report_name,
        "--disable-pip-version-check", *(["--ignore-installed"] if ignore_installed else []),
        *args,
    ]  # fmt: skip
    logger.debug("resolving with pip: %s", redact_all(" ".join(cmd)))
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise MonotrailError(_pip_error(proc.stderr, args))
        with open(report_name, encoding="utf-8") as handle:
            report: dict[str, Any] = json.load(handle)
    finally:
        os.unlink(report_name)
    for item in report.get("install", []):  # pip redacts them; what is kept must hold none
        item["download_info"]["url"] = strip(item["download_info"]["url"])
    return report


def _pip_error(stderr: str, args: list[str]) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    chosen = errors[0] if errors else (lines[-1] if lines else "pip failed")
    chosen = chosen.removeprefix("ERROR: ")
    where = next((a for a in args if a.endswith((".txt", ".in"))), None)
    hint = ""
    if "ResolutionImpossible" in stderr or "conflicting dependencies" in stderr:
        hint = " (the requirements cannot all be satisfied)"
    if "DO NOT MATCH THE HASHES" in stderr:
        expected = next((line.split()[-1] for line in lines if line.startswith("Expected")), "?")
        chosen = (
            f"a downloaded file does not match its expected hash (sha256 {expected}): "
            "corrupted or tampered download"
        )
    refused = re.search(r"401 Error, Credentials not correct for (\S+)", stderr)
    if refused:
        chosen = str(credentials.refused(strip(refused.group(1)), 401))
    missing = re.search(r"satisfies the requirement (\S+) \(from versions: none\)", stderr)
    if missing and not refused:
        why = _refused_page(re.split(r"[<>=!~;\[ ]", missing.group(1))[0])
        chosen = str(why) if why else chosen
    prefix = f"{where}: " if where else ""
    return f"{prefix}pip could not resolve the requirements: {chosen}{hint}"


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
            raise MonotrailError(
                f"{name}: version-control requirements ({url}) are not supported yet"
            )
        if "dir_info" in info:
            packages.append(
                LockedPackage(name, version, [], source_dir=unquote(urlsplit(url).path))
            )
            continue
        hashes = dict(info.get("archive_info", {}).get("hashes", {}))
        legacy = info.get("archive_info", {}).get("hash")
        if legacy and "=" in legacy:
            algorithm, value = legacy.split("=", 1)
            hashes.setdefault(algorithm, value)
        filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        packages.append(LockedPackage(name, version, [Artifact(filename, url, hashes)]))
    return packages
