"""Fetching artifacts into the artifact cache: in parallel, hash-checked, with progress.

The cache is keyed by content: ``artifacts/<sha256>/<filename>``. A file already there is used
without touching the network (these mirrors send no HTTP cache headers, so HTTP caching would not
help). Files arrive in a temporary name and are renamed into place only after their hash matched.
Every request carries the credentials ``fetch.credentials`` finds for its URL, and every message
shows URLs through its ``redact``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from monotrail import _fs, paths, progress
from monotrail._fs import atomic_publish
from monotrail.errors import MonotrailError
from monotrail.fetch import credentials
from monotrail.fetch.credentials import redact
from monotrail.lockfile.model import Artifact

_CHUNK = 1 << 16
_session_lock = threading.Lock()
_session: Any = None


def cached_path(artifact: Artifact) -> Path | None:
    """Where the artifact is cached, if it is (only artifacts with a known sha256 can be)."""
    if artifact.sha256:
        candidate = paths.artifacts_dir() / artifact.sha256 / artifact.filename
        if candidate.is_file():
            return candidate
    return None


def session() -> Any:
    """One requests session per process, with retries; honours the usual proxy/CA variables."""
    global _session
    with _session_lock:
        if _session is None:
            import requests
            from requests.adapters import HTTPAdapter
            from urllib3.util.retry import Retry

            new = requests.Session()
            retry = Retry(total=3, backoff_factor=0.3, status_forcelist=(429, 500, 502, 503, 504))
            adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
            new.mount("https://", adapter)
            new.mount("http://", adapter)
            new.headers["User-Agent"] = "monotrail"
            cert = os.environ.get("PIP_CERT")
            if cert and not os.environ.get("REQUESTS_CA_BUNDLE"):
                new.verify = cert
            _session = new
        return _session


def get(url: str, accept: str | None = None) -> tuple[str, bytes]:
    """GET a small document (an index page); returns (content type, body)."""
    if url.startswith("file:"):
        path = Path(unquote(urlsplit(url).path))
        index = path / "index.html" if path.is_dir() else path
        try:
            return "text/html", index.read_bytes()
        except OSError as err:
            raise MonotrailError(f"{url}: cannot read: {err.strerror}") from None
    import requests

    headers = {"Accept": accept} if accept else {}
    try:
        response = session().get(url, headers=headers, timeout=60, auth=credentials.auth_for(url))
    except requests.RequestException as err:
        raise MonotrailError(f"{redact(url)}: network error: {_short(err)}") from None
    if response.status_code == 404:
        return "", b""
    if response.status_code in (401, 403):
        raise credentials.refused(url, response.status_code)
    if response.status_code >= 400:
        raise MonotrailError(f"{redact(url)}: the server answered HTTP {response.status_code}")
    return response.headers.get("Content-Type", ""), response.content


def fetch(artifact: Artifact, step: progress.Phase | None = None) -> Path:
    """The artifact in the cache, downloading (or copying a local file) when missing."""
    hit = cached_path(artifact)
    if hit is not None:
        return hit
    if not artifact.url:
        raise MonotrailError(f"{artifact.filename}: no URL known for this file")
    if step:
        step.detail(artifact.filename)
    tmp_fd, tmp_name = tempfile.mkstemp(prefix="dl.", dir=paths.tmp_dir())
    digest = hashlib.sha256()
    try:
        with os.fdopen(tmp_fd, "wb") as out:
            for chunk in _stream(artifact.url):
                digest.update(chunk)
                out.write(chunk)
                if step:
                    step.add_bytes(len(chunk))
        actual = digest.hexdigest()
        expected = artifact.sha256
        if expected and actual != expected.lower():
            raise MonotrailError(
                f"{artifact.filename}: hash mismatch: expected sha256 {expected}, got {actual} "
                f"(from {redact(artifact.url)}); nothing was installed"
            )
        target_dir = paths.artifacts_dir() / actual
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / artifact.filename
        _fs.as_created(tmp_name)
        os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    if step:
        step.advance()
    return target


def fetch_all(
    artifacts: Iterable[Artifact], on_done: Callable[[Artifact, Path], None] | None = None
) -> dict[Artifact, Path]:
    """Fetch several artifacts in parallel; the first failure stops the rest and is raised."""
    todo = list(artifacts)
    missing = [a for a in todo if cached_path(a) is None]
    results: dict[Artifact, Path] = {}
    with progress.phase("Downloading", total=len(missing), unit="files") as step:
        with ThreadPoolExecutor(max_workers=min(8, max(1, len(todo)))) as pool:
            futures = {pool.submit(fetch, a, step): a for a in todo}
            for future, artifact in futures.items():
                try:
                    results[artifact] = future.result()
                except BaseException:
                    for other in futures:
                        other.cancel()
                    raise
                if on_done:
                    on_done(artifact, results[artifact])
        if missing:
            files = progress.count_text(len(missing), "file")
            step.summary = f"Downloaded {files} ({progress.size_text(step.bytes)})"
    return results


def _stream(url: str) -> Iterable[bytes]:
    if url.startswith("file:"):
        path = unquote(urlsplit(url).path)
        try:
            with open(path, "rb") as handle:
                yield from iter(lambda: handle.read(_CHUNK), b"")
        except OSError as err:
            raise MonotrailError(f"{path}: cannot read: {err.strerror}") from None
        return
    import requests

    try:
        auth = credentials.auth_for(url)
        with session().get(url, stream=True, timeout=60, auth=auth) as response:
            if response.status_code in (401, 403):
                raise credentials.refused(url, response.status_code)
            if response.status_code >= 400:
                raise MonotrailError(f"{redact(url)}: download failed, HTTP {response.status_code}")
            yield from response.iter_content(_CHUNK)
    except requests.RequestException as err:
        raise MonotrailError(f"{redact(url)}: network error: {_short(err)}") from None


def copy_local(path: Path) -> Path:
    """Put a local wheel or sdist into the artifact cache (by its hash) and return that path."""
    target = paths.artifacts_dir() / _fs.sha256_file(path) / path.name
    if not target.exists():
        atomic_publish(target, lambda tmp: shutil.copyfile(path, tmp), mkdir=True)
    return target


def _short(err: BaseException) -> str:
    text = str(err)
    if "Max retries exceeded" in text and "(Caused by" in text:
        text = text.split("(Caused by", 1)[1].rstrip(")")
    return credentials.redact_all(" ".join(text.split())[:200])
