"""Facts about a target interpreter: version, markers environment, wheel tags, paths.

The target interpreter may differ from the one running monotrail, so the facts are asked from it
once (a short script run inside it) and cached in the store keyed by its path, size and mtime.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from monotrail import fingerprint, paths
from monotrail._fs import atomic_write
from monotrail.errors import MonotrailError

# Bumped whenever the script or the cached fields change, so old cache files are not trusted.
_FACTS_FORMAT = 3

# Runs inside the target interpreter, which may be as old as 3.9: stdlib only. The markers are
# computed the way PEP 508 defines them; tags are derived from these facts by packaging, here.
_QUERY_SCRIPT = r"""
import json, os, platform, sys, sysconfig
def fmt(info):
    version = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version
cfg = sysconfig.get_config_var
print(json.dumps({
    "executable": sys.executable,
    "version": list(sys.version_info[:3]),
    "implementation": sys.implementation.name,
    "cache_tag": sys.implementation.cache_tag,
    "markers": {
        "implementation_name": sys.implementation.name,
        "implementation_version": fmt(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    },
    "debug": bool(cfg("Py_DEBUG")),
    "free_threaded": bool(cfg("Py_GIL_DISABLED")),
    "platform": sysconfig.get_platform(),
    "maxsize_64": sys.maxsize > 2**32,
    "stdlib_module_names": sorted(getattr(sys, "stdlib_module_names", ())) or None,
    "sys_path": [p for p in sys.path if p],
}))
"""


@dataclass(frozen=True)
class Interpreter:
    """What monotrail needs to know of one CPython to select wheels and launch it."""

    executable: str
    version: tuple[int, int, int]
    cache_tag: str
    markers: dict[str, str]
    tags: list[str]
    stdlib_module_names: list[str] | None
    #: sys.path of the bare interpreter (no site): the standard library's folders.
    sys_path: list[str]

    @property
    def short_version(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def full_version(self) -> str:
        return ".".join(map(str, self.version))

    @cached_property
    def tag_priority(self) -> dict[str, int]:
        """Each supported tag (``cp311-cp311-manylinux_2_17_x86_64``) and its rank, 0 best."""
        return {tag: rank for rank, tag in enumerate(self.tags)}


def _facts_cache_file(executable: str) -> Path:
    stat = os.stat(executable)
    key = f"{_FACTS_FORMAT}|{executable}|{stat.st_size}|{stat.st_mtime_ns}"
    digest = fingerprint.digest(key.encode(), size=12)
    return paths.interpreters_dir() / "facts" / f"{digest}.json"


def query(executable: str | os.PathLike[str]) -> Interpreter:
    """Facts of the interpreter at ``executable``, asked once and then read from the cache."""
    exe = os.path.abspath(os.fspath(executable))
    if not os.path.isfile(exe) or not os.access(exe, os.X_OK):
        raise MonotrailError(f"{exe}: no such Python interpreter (not an executable file)")
    cache = _facts_cache_file(exe)
    try:
        data = json.loads(cache.read_text())
    except (OSError, ValueError):
        data = _ask(exe)
        try:
            atomic_write(cache, json.dumps(data), mkdir=True)
        except OSError:
            pass  # a read-only or full store: the facts are asked again next time
    return Interpreter(
        executable=exe,
        version=tuple(data["version"]),  # type: ignore[arg-type]
        cache_tag=data["cache_tag"],
        markers=data["markers"],
        tags=data["tags"],
        stdlib_module_names=data["stdlib_module_names"],
        sys_path=data["sys_path"],
    )


def _ask(exe: str) -> dict[str, object]:
    import subprocess  # only when the facts are not cached yet

    try:
        proc = subprocess.run(
            [exe, "-I", "-S", "-c", _QUERY_SCRIPT], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise MonotrailError(f"{exe}: could not run this interpreter: {err}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise MonotrailError(f"{exe}: could not query this interpreter: {last}")
    result: dict[str, object] = json.loads(proc.stdout)
    if result["implementation"] != "cpython":
        raise MonotrailError(
            f"{exe}: only CPython is supported, this is {result['implementation']}"
        )
    version: tuple[int, ...] = tuple(result["version"])  # type: ignore[arg-type]
    if version[:2] < (3, 9):
        raise MonotrailError(
            f"{exe}: Python {'.'.join(map(str, version))} is too old, monotrail needs 3.9 or newer"
        )
    result["tags"] = _wheel_tags(result)
    return result


def _wheel_tags(facts: dict[str, object]) -> list[str]:
    """The target's supported wheel tags, most specific first, as packaging would compute them."""
    from packaging import tags

    major, minor = facts["version"][:2]  # type: ignore[index]
    python_version = (major, minor)
    abi = (
        f"cp{major}{minor}"
        + ("t" if facts["free_threaded"] else "")
        + ("d" if facts["debug"] else "")
    )
    platform_name = str(facts["platform"]).replace("-", "_").replace(".", "_")
    if platform_name.startswith("linux_") and facts["maxsize_64"]:
        platforms = list(tags._linux_platforms(is_32bit=False))  # noqa: SLF001
    elif platform_name.startswith("linux_"):
        platforms = list(tags._linux_platforms(is_32bit=True))  # noqa: SLF001
    else:
        platforms = list(tags.platform_tags())
    supported = list(tags.cpython_tags(python_version, [abi], platforms))
    supported += list(tags.compatible_tags(python_version, f"cp{major}{minor}", platforms))
    return [str(tag) for tag in supported]
