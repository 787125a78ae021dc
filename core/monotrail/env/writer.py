"""Writing an env record (env/record.py) and what it points at besides the store's entries.

Next to the record: the bootstrap folder (shared by every environment of one monotrail), and the
environment's own folder ``envs/<key>/`` with ``bin/`` (console scripts that work from anywhere)
and ``site/`` (a dist-info for the project itself and each editable package, ``env.editables``).
The folder is made aside and swapped in, the record written in one rename: a record never points
at half-written folders.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from monotrail import __version__, _fs, paths
from monotrail.env import derive, launch, record
from monotrail.python import isolated
from monotrail.python.interpreter import Interpreter
from monotrail.store import bytecode, locks
from monotrail.store.fill import Entry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail.env.record import EnvRecord, Owner


@dataclass
class ProjectSource:
    """The target's own code, or an editable package, imported from its folders."""

    #: The source folder it was read from (None: the target has no folder of its own).
    folder: str | None = None

    #: Folders put on ``sys.path`` before the entries.
    head: list[str] = field(default_factory=list)
    #: A flat layout: import name -> the folder that is the package (``src/__init__.py``).
    flat: dict[str, str] = field(default_factory=dict)
    #: Console scripts it declares: name -> ``module:attr``.
    scripts: dict[str, str] = field(default_factory=dict)
    #: The project's own distribution (Poetry installs the root project): name and version for
    #: ``importlib.metadata.version(...)``, entry points for plugins it declares.
    name: str | None = None
    version: str | None = None
    entry_points: dict[str, dict[str, str]] = field(default_factory=dict)
    #: ``Requires-Dist`` lines of its dist-info.
    requires: list[str] = field(default_factory=list)


def boot_dir(interpreter: Interpreter) -> Path:
    """The bootstrap folder (sitecustomize + finder), compiled for ``interpreter``."""
    sources = {name: Path(path).read_bytes() for name, path in launch.BOOT_SOURCES.items()}
    target = paths.home() / "boot" / f"{__version__}-{launch.boot_digest()}"
    if not target.is_dir():
        tmp = paths.tmp_dir() / f"boot.{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for name, content in sources.items():
            (tmp / name).write_bytes(content)
        with bytecode.Compiler(interpreter, workers=1) as compiler:  # complete when visible
            compiler.compile_entry(tmp, final=target)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(tmp, target)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process made it first
    bytecode.compile_entries([target], interpreter)  # made by another interpreter
    return target


def _polyglot_header(record_file: str, boot: Path, interpreter: str) -> bytes:
    """A /bin/sh prologue that sets the environment variables, then runs Python on the file.

    Console scripts then work from anywhere (called directly, from PATH, from other tools),
    not only from processes monotrail started.
    """
    return (
        "#!/bin/sh\n"
        f"'''exec' env MONOTRAIL_ENV='{record_file}' PYTHONNOUSERSITE=1 "
        f'PYTHONPATH=\'{boot}\'"${{PYTHONPATH:+:$PYTHONPATH}}" \'{interpreter}\' "$0" "$@"\n'
        "' '''\n"
    ).encode()


def _write_scripts(
    bin_dir: Path, header: bytes, entries: list[Entry], project_scripts: dict[str, str]
) -> list[str]:
    """Write the environment's executables into ``bin_dir``; returns their names."""
    scripts: dict[str, str] = {}
    names: set[str] = set()
    for entry in entries:
        scripts.update(entry.console_scripts)
        scripts.update(entry.gui_scripts)
        for name in entry.data_scripts:
            source = paths.entry_part_dir(entry.path, "scripts") / name
            content = source.read_bytes()
            if content.startswith(b"#!python"):
                content = header + content.split(b"\n", 1)[-1]
            _write_executable(bin_dir / name, content)
            names.add(name)
    scripts.update(project_scripts)
    for name, target in scripts.items():
        module, _, attr = target.partition(":")
        attr = attr.split("[", 1)[0].strip()  # drop entry point extras
        body = (
            "import re\nimport sys\n"
            f"from {module.strip()} import {attr.split('.')[0]}\n"
            "if __name__ == '__main__':\n"
            "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
            f"    sys.exit({attr}())\n"
        )
        _write_executable(bin_dir / name, header + body.encode())
    return sorted(names | set(scripts))


def _write_executable(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _write_project_metadata(site: Path, source: ProjectSource) -> None:
    """A dist-info for the project itself or an editable, as an editable install has."""
    if not source.name or not source.version:
        return
    dist = site / f"{source.name.replace('-', '_')}-{source.version}.dist-info"
    if dist.exists():
        return  # the same distribution twice (the project also listed as an editable)
    dist.mkdir(parents=True)
    requires = "".join(f"Requires-Dist: {line}\n" for line in source.requires)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {source.name}\nVersion: {source.version}\n{requires}"
    )
    (dist / "INSTALLER").write_text("monotrail\n")
    if source.folder is not None:
        url = json.dumps({"url": Path(source.folder).as_uri(), "dir_info": {"editable": True}})
        (dist / "direct_url.json").write_text(url + "\n")
    groups = dict(source.entry_points)
    if source.scripts:
        groups["console_scripts"] = {**source.scripts, **groups.get("console_scripts", {})}
    if groups:
        lines = []
        for group, items in groups.items():
            lines.append(f"[{group}]")
            lines.extend(f"{name} = {target}" for name, target in items.items())
            lines.append("")
        (dist / "entry_points.txt").write_text("\n".join(lines))


def write_record(
    key: str,
    interpreter: Interpreter,
    entries: list[Entry],
    sources: list[ProjectSource],
    owner: Owner,
    extra_inputs: dict[str, str],
    compiled: bool,
    content_key: str | None = None,
) -> EnvRecord:
    """Write the env record (and its folder) for ``key``; returns the record.

    ``sources`` are the target's own code and its editable packages: the first one's console
    scripts win. ``compiled`` says that the entries have bytecode for ``interpreter``;
    ``content_key`` (a project's ``launch.content_key``) lets a copy of the project derive its
    environment from this one (``env.derive``).
    """
    record_file = record.path_of(key)
    bin_dir = paths.envs_dir() / key / "bin"
    boot = boot_dir(interpreter)
    stdlib_names = set(interpreter.stdlib_module_names or ())
    index: dict[str, list[int]] = {}
    pth: list[str] = []
    for number, entry in enumerate(entries):
        for name in entry.top_level:
            if name not in stdlib_names:
                index.setdefault(name, []).append(number)
        pth.extend(str(entry.path / name) for name in entry.pth)
    env_dir = paths.envs_dir() / key
    tmp_env = paths.tmp_dir() / f"env.{key}.{os.getpid()}"
    shutil.rmtree(tmp_env, ignore_errors=True)
    (tmp_env / "bin").mkdir(parents=True)
    (tmp_env / "site").mkdir()
    executable = isolated.launch_path(interpreter)
    header = _polyglot_header(record_file, boot, executable)
    source_scripts: dict[str, str] = {}
    head: list[str] = []
    flat: dict[str, str] = {}
    for source in reversed(sources):
        source_scripts.update(source.scripts)
        flat.update(source.flat)
    for source in sources:
        head.extend(folder for folder in source.head if folder not in head)
        _write_project_metadata(tmp_env / "site", source)
    scripts = _write_scripts(tmp_env / "bin", header, entries, source_scripts)
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    _fs.replace_folder(tmp_env, env_dir)
    if any(source.name for source in sources):
        head.append(str(env_dir / "site"))
    written: EnvRecord = {
        **owner,
        "format": record.FORMAT,
        "path": record_file,
        "interpreter": executable,
        "base_interpreter": interpreter.executable,
        "python_version": interpreter.full_version,
        "cache_tag": interpreter.cache_tag,
        "stdlib": interpreter.sys_path,
        "boot": str(boot),
        "bin": str(bin_dir),
        "lock": locks.env_lock_path(key),
        "head": head,
        "flat": flat,
        "entries": [str(e.path) for e in entries],
        "index": index,
        "pth": pth,
        "scripts": scripts,
        "packages": [[e.name, e.version] for e in entries],
        "extra_inputs": extra_inputs,
        "bytecode": compiled,
    }
    _fs.atomic_write(record_file, record.dump(written))
    if content_key is not None:
        derive.remember(content_key, record_file)
    return written
