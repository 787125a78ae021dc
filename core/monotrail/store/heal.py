"""Damaged store entries on the slow path: found cheaply, moved aside, made again.

An entry is taken as damaged when its ``entry.json`` or its dist-info ``RECORD`` is missing (a
partial ``rm -rf``, a disk error, a process killed by an old version): two ``stat`` calls per
entry, made only when a store is filled, never when an environment starts. ``store verify``
checks every file; this check only keeps installs from failing on what they read themselves.

A damaged entry in the writable store is discarded under the file lock that ``create_entry``
takes for it, after checking again under that lock, so two processes never both move it (one
may find it already made again), and is then treated as absent: unpacked again from the cached
artifact, or downloaded. One line on stderr says so. An entry of a read-only store is never
touched: the install stops with one line naming it and the repair command.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from monotrail import paths
from monotrail._fs import discard
from monotrail.errors import MonotrailError
from monotrail.store import layout


def damage(entry: Path) -> str | None:
    """What is wrong with the entry at ``entry`` ("it has no entry.json"); None when it looks
    whole. Its folder name is the wheel tag, its parents' names the version and the name."""
    if not layout.info_file(entry).is_file():
        return f"it has no {paths.ENTRY_DATA_DIR}/{paths.ENTRY_INFO}"
    if _record(entry) is None:
        return "its .dist-info/RECORD is missing"
    return None


def _record(entry: Path) -> Path | None:
    """The entry's RECORD file: where wheels built today put it (one ``stat``), else found by
    listing the entry (older wheels keep the project's spelling of the name)."""
    version = entry.parent.name
    name = re.sub(r"[-_.]+", "_", entry.parent.parent.name)
    guess = entry / f"{name}-{version}.dist-info" / "RECORD"
    if guess.is_file():
        return guess
    try:
        found = [entry / d / "RECORD" for d in os.listdir(entry) if d.endswith(".dist-info")]
    except OSError:
        return None
    return next((record for record in found if record.is_file()), None)


def sound_entry(name: str, version: str, tag: str) -> Path | None:
    """The entry for one wheel, or None when it must be made: absent, or damaged in the
    writable store (then moved aside here). A damaged entry of a read-only store is an error."""
    path = layout.find_entry(name, version, tag)
    if path is None:
        return None
    problem = damage(path)
    if problem is None:
        return path
    if not layout.is_writable_entry(path):
        home = path.parents[3]
        raise MonotrailError(
            f"store entry {path} is damaged ({problem}) and lives in a read-only store: "
            f"repair it with MONOTRAIL_HOME={home} monotrail store verify --repair"
        )
    with layout.entry_lock(path):
        if not path.is_dir():
            return None
        problem = damage(path)
        if problem is None:  # another process made it again meanwhile
            return path
        with layout.write_errors():
            discard(path)
    sys.stderr.write(
        f"repairing damaged store entry {name} {version} ({tag}): {problem}; unpacking it again\n"
    )
    return None
