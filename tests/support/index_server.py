"""A real PEP 503 / PEP 691 / PEP 658 simple index on 127.0.0.1, for offline tests.

Standard library only. Artifacts (wheels, sdists) live flat in ``root`` and are read at
request time, so tests may add files after ``start()``.

Routes, under ``prefix`` when one is given (with ``"/api/v4/projects/42/packages/pypi"`` the
index is shaped like GitLab's: its files lie beside the simple pages, not under them):
    /simple/                       project list (HTML or PEP 691 JSON)
    /simple/<normalized-name>/     files of a project (HTML or PEP 691 JSON);
                                   non-normalized names and missing trailing slash -> 301
    /files/<filename>              artifact bytes
    /files/<wheel>.metadata        PEP 658 core metadata (METADATA extracted from the wheel)
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import tarfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

__all__ = ["IndexServer", "JSON_CONTENT_TYPE", "HTML_CONTENT_TYPE", "pip_env"]

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_CONTENT_TYPE = "application/vnd.pypi.simple.v1+html"
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")


def pip_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """``os.environ`` for a pip subprocess that sees no config files and no ``PIP_*`` settings.

    The machine-wide pip.conf (find-links, extra-index-url, constraint) and ``PIP_FIND_LINKS``
    would otherwise leak other package sources into tests that use only an ``IndexServer``.
    """
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env.update(extra or {})
    return env


def _canonicalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project_of(filename: str) -> str | None:
    """Normalized project name of an artifact filename, or None if not an artifact."""
    if filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        return _canonicalize(parts[0]) if len(parts) in (5, 6) else None
    for suffix in _SDIST_SUFFIXES:
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            if "-" not in stem:
                return None
            return _canonicalize(stem.rsplit("-", 1)[0])
    return None


def _version_of(filename: str) -> str:
    if filename.endswith(".whl"):
        return filename.split("-")[1]
    for suffix in _SDIST_SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)].rsplit("-", 1)[1]
    return ""


def _parse_headers(text: str) -> dict[str, str]:
    """First occurrence of each header of an RFC 822 style metadata file (body excluded)."""
    headers: dict[str, str] = {}
    for line in text.split("\n"):
        if not line.strip():
            break
        if ":" in line and not line[0].isspace():
            key, _, value = line.partition(":")
            headers.setdefault(key.strip().lower(), value.strip())
    return headers


class _FileInfo:
    __slots__ = ("sha256", "size", "requires_python", "metadata")

    def __init__(
        self, sha256: str, size: int, requires_python: str | None, metadata: bytes | None
    ) -> None:
        self.sha256 = sha256
        self.size = size
        self.requires_python = requires_python
        self.metadata = metadata  # PEP 658 core metadata (wheels only)


def _wheel_metadata(path: Path) -> bytes | None:
    try:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                parts = name.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    return zf.read(name)
    except (zipfile.BadZipFile, OSError):
        return None
    return None


def _sdist_pkg_info(path: Path) -> bytes | None:
    try:
        if path.name.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    if name.count("/") == 1 and name.endswith("/PKG-INFO"):
                        return zf.read(name)
            return None
        with tarfile.open(path) as tf:
            for member in tf.getmembers():
                if member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                    f = tf.extractfile(member)
                    return f.read() if f else None
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError):
        return None
    return None


class IndexServer:
    """PEP 503 simple index over HTTP on 127.0.0.1 with a random free port.

    Attributes tests may use/modify while it runs:
        requests_log: request paths (``/simple/foo/``, ``/files/foo-1.0-py3-none-any.whl``)
        fail_paths:   request paths answered with HTTP 500
        corrupt:      filenames (incl. ``<wheel>.metadata``) whose bytes are altered when
                      served (the advertised hashes stay those of the true bytes)
        yanked:       filename -> yank reason (PEP 592, ``data-yanked`` / ``"yanked"``)
        auth, delay, json_api_without_dependencies: see their comments in ``__init__``
    """

    def __init__(self, root: Path, prefix: str = "") -> None:
        self.root = Path(root)
        #: The path every route is under: "/" or "/some/path/".
        self.prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        self.requests_log: list[str] = []
        self.fail_paths: set[str] = set()
        self.corrupt: set[str] = set()
        self.yanked: dict[str, str] = {}
        #: (username, password) the server demands with HTTP basic auth, like a private index.
        self.auth: tuple[str, str] | None = None
        #: Seconds each answer takes, like a slow network: a page waits this long, a file's
        #: bytes arrive in parts spread over it.
        self.delay = 0.0
        #: Answer PyPI's per-version JSON API (``/pypi/<name>/<version>/json``) as some mirrors
        #: do: the files, but ``requires_dist`` null (else that route is a 404).
        self.json_api_without_dependencies = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._cache: dict[str, tuple[tuple[int, int], _FileInfo]] = {}
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("IndexServer already started")
        server = _Server(("127.0.0.1", 0), _Handler)
        server.index = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> IndexServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- URLs --------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("IndexServer not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def url_with(self, username: str, password: str) -> str:
        """The simple index URL with credentials inside, as pip's index-url takes them."""
        return self.url.replace("://", f"://{quote(username, safe='')}:{quote(password, safe='')}@")

    @property
    def url(self) -> str:
        """The simple index URL, e.g. ``http://127.0.0.1:PORT/simple/``."""
        return self.base_url + "simple/"

    @property
    def files_url(self) -> str:
        """Base of artifact URLs: ``files_url + filename``."""
        return self.base_url + "files/"

    # -- data --------------------------------------------------------------------------------

    def _artifacts(self) -> dict[str, list[str]]:
        """normalized project -> sorted artifact filenames."""
        projects: dict[str, list[str]] = {}
        if not self.root.is_dir():
            return projects
        for path in sorted(self.root.iterdir()):
            if not path.is_file():
                continue
            project = _project_of(path.name)
            if project is not None:
                projects.setdefault(project, []).append(path.name)
        return projects

    def _info(self, filename: str) -> _FileInfo:
        path = self.root / filename
        st = path.stat()
        key = (st.st_mtime_ns, st.st_size)
        with self._lock:
            cached = self._cache.get(filename)
        if cached is not None and cached[0] == key:
            return cached[1]
        data = path.read_bytes()
        if filename.endswith(".whl"):
            metadata = _wheel_metadata(path)
            meta_text = metadata
        else:
            metadata = None
            meta_text = _sdist_pkg_info(path)
        requires_python = None
        if meta_text is not None:
            headers = _parse_headers(meta_text.decode("utf-8", "replace"))
            requires_python = headers.get("requires-python") or None
        info = _FileInfo(hashlib.sha256(data).hexdigest(), len(data), requires_python, metadata)
        with self._lock:
            self._cache[filename] = (key, info)
        return info


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    index: IndexServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # quiet: clients hanging up (broken pipe, reset) are not test failures


def _negotiate(accept: str) -> str:
    """PEP 691 content negotiation: the content type to answer with (HTML when unsure)."""
    supported = [JSON_CONTENT_TYPE, HTML_CONTENT_TYPE, "text/html"]
    best: tuple[float, int] | None = None
    chosen = "text/html"
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media in ("*/*", "text/*"):
            candidates = ["text/html"]  # clients sending only wildcards (requests) expect HTML
        elif media in supported:
            candidates = [media]
        else:
            continue
        for cand in candidates:
            rank = (q, -supported.index(cand))  # on equal q prefer the order of `supported`
            if q > 0 and (best is None or rank > best):
                best, chosen = rank, cand
    return chosen


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections go away
    server_version = "monotrail-test-index/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    # -- responses ---------------------------------------------------------------------------

    def _send(
        self, status: int, body: bytes, content_type: str, head: bool, **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        if head:
            return
        delay = self.server.index.delay
        if delay and content_type == "application/octet-stream" and len(body) > 1:
            parts = 4
            step = -(-len(body) // parts)
            for start in range(0, len(body), step):
                time.sleep(delay / parts)
                self.wfile.write(body[start : start + step])
                self.wfile.flush()
            return
        time.sleep(delay)
        self.wfile.write(body)

    def _error(self, status: int, head: bool) -> None:
        self._send(status, f"{status}\n".encode(), "text/plain; charset=utf-8", head)

    def _redirect(self, location: str, head: bool) -> None:
        self._send(301, b"", "text/plain; charset=utf-8", head, Location=location)

    def _dispatch(self, head: bool) -> None:
        index = self.server.index
        path = urlsplit(self.path).path
        index.requests_log.append(path)
        if not path.startswith(index.prefix):
            self._error(404, head)
            return
        path = "/" + path[len(index.prefix) :]
        if path in index.fail_paths:
            self._error(500, head)
            return
        if index.auth is not None:
            import base64

            expected = "Basic " + base64.b64encode(":".join(index.auth).encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="index"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        try:
            if path == "/simple":
                self._redirect(f"{index.prefix}simple/", head)
            elif path == "/simple/":
                self._project_list(head)
            elif path.startswith("/simple/"):
                self._project_page(unquote(path[len("/simple/") :]), head)
            elif path.startswith("/files/"):
                self._file(unquote(path[len("/files/") :]), head)
            elif path.startswith("/pypi/") and index.json_api_without_dependencies:
                self._release_json(unquote(path[len("/pypi/") :]), head)
            else:
                self._error(404, head)
        except (BrokenPipeError, ConnectionResetError):
            raise
        except Exception:  # pragma: no cover - turn server bugs into visible 500s
            self._error(500, head)

    def _project_list(self, head: bool) -> None:
        index = self.server.index
        projects = sorted(index._artifacts())
        content_type = _negotiate(self.headers.get("Accept", ""))
        if content_type == JSON_CONTENT_TYPE:
            doc = {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in projects]}
            self._send(200, json.dumps(doc).encode(), JSON_CONTENT_TYPE, head)
            return
        links = "".join(
            f'    <a href="{html.escape(quote(p))}/">{html.escape(p)}</a>\n' for p in projects
        )
        body = (
            "<!DOCTYPE html>\n<html>\n  <head>\n"
            '    <meta name="pypi:repository-version" content="1.1">\n'
            "    <title>Simple index</title>\n  </head>\n  <body>\n"
            f"{links}  </body>\n</html>\n"
        )
        self._send(200, body.encode(), f"{content_type}; charset=utf-8", head)

    def _release_json(self, rest: str, head: bool) -> None:
        index = self.server.index
        name, version, json_word = (rest.strip("/").split("/") + ["", "", ""])[:3]
        files = [
            fn
            for fn in index._artifacts().get(_canonicalize(name), [])
            if _version_of(fn) == version
        ]
        if json_word != "json" or not files:
            self._error(404, head)
            return
        urls = [
            {
                "filename": fn,
                "url": index.files_url + quote(fn),
                "packagetype": "bdist_wheel" if fn.endswith(".whl") else "sdist",
                "digests": {"sha256": index._info(fn).sha256},
            }
            for fn in files
        ]
        info: dict[str, Any] = {"name": name, "version": version, "summary": ""}
        info.update({"requires_dist": None, "requires_python": None, "yanked": False})
        body = json.dumps({"info": info, "urls": urls}).encode()
        self._send(200, body, "application/json", head)

    def _project_page(self, rest: str, head: bool) -> None:
        index = self.server.index
        name = rest[:-1] if rest.endswith("/") else rest
        if not name or "/" in name:
            self._error(404, head)
            return
        normalized = _canonicalize(name)
        if name != normalized or not rest.endswith("/"):
            self._redirect(f"{index.prefix}simple/{quote(normalized)}/", head)
            return
        files = index._artifacts().get(normalized)
        if not files:
            self._error(404, head)
            return
        infos = {fn: index._info(fn) for fn in files}
        content_type = _negotiate(self.headers.get("Accept", ""))
        if content_type == JSON_CONTENT_TYPE:
            entries = []
            for fn, info in infos.items():
                entry: dict[str, Any] = {
                    "filename": fn,
                    "url": index.files_url + quote(fn),
                    "hashes": {"sha256": info.sha256},
                    "size": info.size,
                    "yanked": (index.yanked[fn] or True) if fn in index.yanked else False,
                }
                if info.requires_python:
                    entry["requires-python"] = info.requires_python
                if info.metadata is not None:
                    meta_hash = {"sha256": hashlib.sha256(info.metadata).hexdigest()}
                    entry["core-metadata"] = meta_hash
                    entry["dist-info-metadata"] = meta_hash
                entries.append(entry)
            versions = sorted({_version_of(fn) for fn in files})
            doc = {
                "meta": {"api-version": "1.1"},
                "name": normalized,
                "versions": versions,
                "files": entries,
            }
            self._send(200, json.dumps(doc).encode(), JSON_CONTENT_TYPE, head)
            return
        links = []
        for fn, info in infos.items():
            attrs = [f'href="../../files/{html.escape(quote(fn))}#sha256={info.sha256}"']
            if info.requires_python:
                attrs.append(f'data-requires-python="{html.escape(info.requires_python)}"')
            if info.metadata is not None:
                meta = f"sha256={hashlib.sha256(info.metadata).hexdigest()}"
                attrs.append(f'data-dist-info-metadata="{meta}"')
                attrs.append(f'data-core-metadata="{meta}"')
            if fn in index.yanked:
                attrs.append(f'data-yanked="{html.escape(index.yanked[fn])}"')
            links.append(f"    <a {' '.join(attrs)}>{html.escape(fn)}</a><br/>\n")
        body = (
            "<!DOCTYPE html>\n<html>\n  <head>\n"
            '    <meta name="pypi:repository-version" content="1.1">\n'
            f"    <title>Links for {html.escape(normalized)}</title>\n  </head>\n  <body>\n"
            f"    <h1>Links for {html.escape(normalized)}</h1>\n"
            f"{''.join(links)}  </body>\n</html>\n"
        )
        self._send(200, body.encode(), f"{content_type}; charset=utf-8", head)

    def _file(self, filename: str, head: bool) -> None:
        index = self.server.index
        if not filename or "/" in filename or "\\" in filename or filename.startswith("."):
            self._error(404, head)
            return
        if filename.endswith(".metadata"):
            artifact = filename[: -len(".metadata")]
            if not artifact.endswith(".whl") or not (index.root / artifact).is_file():
                self._error(404, head)
                return
            data = index._info(artifact).metadata
            if data is None:
                self._error(404, head)
                return
            content_type = "text/plain; charset=utf-8"
        else:
            path = index.root / filename
            if not path.is_file():
                self._error(404, head)
                return
            data = path.read_bytes()
            content_type = "application/octet-stream"
        if filename in index.corrupt:
            altered = bytearray(data) or bytearray(b"\0")
            altered[len(altered) // 2] ^= 0xFF
            data = bytes(altered)
        self._send(200, data, content_type, head)
