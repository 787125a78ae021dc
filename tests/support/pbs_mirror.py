"""A python-build-standalone mirror on localhost, for offline provisioning tests.

``build_install_only_archive`` packs a real interpreter found on the machine (a pyenv build) in
the layout of a python-build-standalone ``install_only`` archive: ``python/bin/python3.X``,
``python/lib/libpython3.X.so*``, ``python/lib/python3.X/`` (the standard library, without its
tests and other bulk). ``MirrorServer`` serves a folder the way a release mirror does
(``/<release>/<file>``) plus a ``versions.json`` in pbs-installer's format, and can corrupt or
throttle what it sends.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import tarfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GITHUB_PREFIX = "https://github.com/astral-sh/python-build-standalone/releases/download/"
_SKIP = shutil.ignore_patterns(
    "test", "tests", "site-packages", "__pycache__", "idlelib", "tkinter", "turtledemo",
    "ensurepip", "config-*", "lib2to3", "pydoc_data",
)  # fmt: skip


def build_install_only_archive(prefix: Path, minor: str, out: Path) -> Path:
    """Pack the interpreter at ``prefix`` (``bin/python3.X``) as an install_only tar.gz."""
    staging = out.parent / f"staging-{out.name}"
    root = staging / "python"
    (root / "bin").mkdir(parents=True)
    shutil.copy2(prefix / "bin" / f"python{minor}", root / "bin" / f"python{minor}")
    (root / "bin" / "python3").symlink_to(f"python{minor}")
    (root / "lib").mkdir()
    for lib in (prefix / "lib").glob("libpython*"):
        shutil.copy2(lib, root / "lib" / lib.name, follow_symlinks=False)
    shutil.copytree(
        prefix / "lib" / f"python{minor}", root / "lib" / f"python{minor}", ignore=_SKIP
    )
    with tarfile.open(out, "w:gz", compresslevel=1) as archive:
        archive.add(root, arcname="python")
    shutil.rmtree(staging)
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def versions_table(
    version: tuple[int, int, int], release: str, filename: str, sha256: str, system: str, arch: str
) -> list[dict[str, Any]]:
    """A pbs-installer ``versions.json`` naming one install_only build by its GitHub URL."""
    major, minor, micro = version
    url = GITHUB_PREFIX + f"{release}/{filename.replace('+', '%2B')}"
    return [
        {
            "python_version": {
                "implementation": "cpython",
                "major": major,
                "minor": minor,
                "micro": micro,
                "freethreaded": False,
            },
            "files": [
                {
                    "platform": system,
                    "arch": arch,
                    "install_only": True,
                    "filename": filename,
                    "url": url,
                    "sha256": sha256,
                }
            ],
        }
    ]


class MirrorServer:
    """Serves ``root`` over HTTP on 127.0.0.1, like a release mirror.

    ``corrupt``: file names whose bytes are altered on the way (one byte flipped in the middle);
    ``delay``: seconds to sleep per 64 KiB sent (a slow network, so a test can kill a download);
    ``bytes_sent``: how much file content went out; ``auth``: the (username, password) it
    demands with HTTP basic auth, like a private mirror.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.corrupt: set[str] = set()
        self.delay = 0.0
        self.bytes_sent = 0
        self.requests: list[str] = []
        self.auth: tuple[str, str] | None = None
        mirror = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(mirror.root), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def send_head(self) -> Any:
                if mirror.auth is not None:
                    token = base64.b64encode(":".join(mirror.auth).encode()).decode()
                    if self.headers.get("Authorization") != f"Basic {token}":
                        self.send_error(401)
                        return None
                return super().send_head()

            def copyfile(self, source: Any, outputfile: Any) -> None:
                mirror.requests.append(self.path)
                data = source.read()
                if Path(self.translate_path(self.path)).name in mirror.corrupt:
                    middle = len(data) // 2
                    data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
                for start in range(0, len(data), 1 << 16):
                    try:
                        outputfile.write(data[start : start + (1 << 16)])
                    except OSError:
                        return  # the client went away (killed)
                    mirror.bytes_sent += min(1 << 16, len(data) - start)
                    if mirror.delay:
                        time.sleep(mirror.delay)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> MirrorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
