"""A new folder of a project seen before: its environment derived from the earlier one.

A copy of a locked project (uv.lock, poetry.lock, pylock.toml), another checkout (CI, a second
worktree), or the same project moved, has the same lock and options as one made before, so the
same packages on the same store entries. Only what names the folder differs: the project's
source folders, the console scripts' headers, the owner fields and the record's own path. (What
monotrail resolves itself, a requirements.txt or a lock-less pyproject.toml, also depends on
pip's configuration: its resolution is reused by content in the slow path instead, see
``resolve.resolution_cache``.) The content key (``launch.content_key``)
names an environment by everything but the folder, and ``by-content/<content-key>`` in the store
is a symbolic link to the env record made last for it (written by ``env.writer``).

When the env key misses, ``derive`` follows that link, copies the environment's folder and
writes a record with the old folder's paths replaced by the new one's: no resolution, no lock
parse, nothing imported beyond the standard library. It declines, and the slow path runs, when
the earlier record is gone or invalid, or names a path outside its project folder, the store and
its interpreter (an editable dependency beside the project, say: the new folder's neighbour may
differ).
"""

from __future__ import annotations

import os
import shutil

from monotrail import _fs, log, paths
from monotrail.env import launch, record
from monotrail.store import locks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from monotrail.env.record import EnvRecord
    from monotrail.targets.project import Project


def link_path(content: str) -> str:
    """The link ``by-content/<content>`` to the env record made last for that content key."""
    return os.path.join(paths.home_str(), "by-content", content)


def remember(content: str, record_file: str) -> None:
    """Point the content key ``content`` at ``record_file`` (the record just written)."""
    _fs.atomic_publish(
        link_path(content),
        lambda tmp: os.symlink(
            os.path.relpath(record_file, os.path.dirname(link_path(content))), tmp
        ),
        mkdir=True,
    )


def derive(
    project: Project, interpreter_exe: str, extras: Sequence[str], groups: Sequence[str], key: str
) -> EnvRecord | None:
    """The env record for ``key``, derived from an earlier one of the same content; None when
    there is none to derive from (see the module docstring)."""
    content = launch.content_key(project, interpreter_exe, extras, groups)
    if content is None:
        return None
    try:
        old_file = os.path.realpath(link_path(content))
    except OSError:
        return None
    old_key = os.path.basename(old_file)[: -len(record.SUFFIX)]
    if old_key == key or not old_file.endswith(record.SUFFIX):
        return None
    old = launch.load_valid_record(old_key)  # also keeps gc away from its entries
    if old is None or not old.get("project"):
        return None
    new_file = record.path_of(key)
    envs = paths.envs_str()
    moves = {
        str(old["project"]): project.root_dir,
        os.path.join(envs, old_key): os.path.join(envs, key),
        old_file: new_file,
        locks.env_lock_path(old_key): locks.env_lock_path(key),
    }
    fixed = [paths.home_str(), old["interpreter"], old["base_interpreter"], *old["stdlib"]]
    try:
        new: EnvRecord = _moved(old, moves, fixed)  # type: ignore[assignment]
    except _Outside:
        return None
    tmp = os.path.join(paths.home_str(), "tmp", f"env.{key}.{os.getpid()}")
    try:
        _copy_env_folder(os.path.join(envs, old_key), tmp, old_file, new_file)
        _fs.replace_folder(tmp, os.path.join(envs, key))
        _fs.atomic_write(new_file, record.dump(new))
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    found = launch.load_valid_record(key)  # checks the new folder's -r includes, among others
    if found is not None:
        remember(content, new_file)
        log.debug(f"derived env record {new_file} from {old_file}")
    return found


class _Outside(Exception):
    """A record names a path that moving the project folder would not move."""


def _moved(value: object, moves: dict[str, str], fixed: list[str]) -> object:
    """``value`` with every path below a key of ``moves`` moved below its value; ``_Outside``
    for an absolute path that is neither moved nor below one of ``fixed``."""
    if isinstance(value, str):
        if not value.startswith(os.sep):
            return value
        for old, new in moves.items():
            if value == old or value.startswith(old + os.sep):
                return new + value[len(old) :]
        for keep in fixed:
            if value == keep or value.startswith(keep.rstrip(os.sep) + os.sep):
                return value
        raise _Outside(value)
    if isinstance(value, list):
        return [_moved(item, moves, fixed) for item in value]
    if isinstance(value, dict):
        return {_moved(k, moves, fixed): _moved(v, moves, fixed) for k, v in value.items()}
    return value


def _copy_env_folder(source: str, target: str, old_file: str, new_file: str) -> None:
    """Copy ``envs/<key>/`` (``bin/`` scripts, ``site/`` metadata), pointing the scripts'
    headers at the new record."""
    old_name, new_name = old_file.encode(), new_file.encode()

    def copy(path: str, destination: str) -> None:
        with open(path, "rb") as handle:
            content = handle.read()
        if content.startswith(b"#!/bin/sh\n"):
            head, sep, rest = content.partition(b"\n' '''\n")
            content = head.replace(old_name, new_name) + sep + rest
        with open(destination, "wb") as handle:
            handle.write(content)
        shutil.copymode(path, destination)

    shutil.copytree(source, target, symlinks=True, copy_function=copy)
