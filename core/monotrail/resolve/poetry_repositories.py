"""Poetry's HTTP repositories as monotrail's solver uses them: a simple-index fallback for PyPI,
and the index fetched ahead of the solver, in parallel.

Poetry's solver asks its repositories one question at a time, in the main thread: a project's
page (``get_page``: its versions and files), then one version's release info (``package``: its
dependencies, from the repository's file cache or the index). Against an index ~100 ms away, a
30-package resolution is some 60 such round trips in a row. The classes here answer the same
questions from a shared table of results instead, and fill that table ahead of the solver:

- ``prefetch(dependency)`` schedules, on a pool of threads, the dependency's page, then the
  release info of the newest version its constraint allows (the one the solver tries first), then
  ``prefetch`` of each of that version's dependencies (extras only where asked for), each name
  once. When the solver asks for a further version of a name (the newer ones did not fit), the
  next ``WALK_BACK`` older versions are fetched the same way. A guess that the solver does not
  take costs a request or two; nothing is trusted from it.
- Every question, the solver's or a thread's, goes through ``_once``: the first asker computes
  the answer, later askers wait for it, so nothing is fetched twice and the solver never waits
  behind a queued task (it computes a result itself when no thread has started it).
- ``forget`` (Poetry's refresh of a package whose files changed) drops the shared result too.
- ``close_prefetch`` cancels what is queued when the solver is done, and a running task stops
  at its next step; nothing is scheduled after it.

Release info stays in Poetry's repository cache (``<cache-dir>/cache/repositories/<name>``,
keyed by name and version: immutable on an index), so a second project with the same
dependencies fetches only their pages. Pages are fetched anew on each resolution: they change
when a version is released, and the indexes this is used with send no caching headers.

``SimpleFallbackPyPiRepository``: some PyPI mirrors answer the per-version JSON API
(``/pypi/<name>/<version>/json``) with 404, or without the dependencies, while the simple index
(``/simple/<name>/``, PEP 691 JSON) works, and plain ``poetry lock`` then fails with "Package
numpy (2.x) not found." (or pays a wasted round trip per version). This subclass of Poetry's
``PyPiRepository`` falls back to the simple-index logic Poetry already has for legacy
repositories (links from the simple page, metadata from PEP 658 ``.metadata`` files, a lazy wheel
or the downloaded wheel). Its packages still come from the repository named ``PyPI``, so the lock
looks like a normal Poetry lock (no ``[package.source]`` section).

poetry is imported inside the functions only (the classes are made on first use), so that
importing this module stays cheap.
"""

from __future__ import annotations

from typing import Any

from monotrail.log import logger

#: Threads fetching ahead of the solver, and HTTP connections per host. Few: each new connection
#: costs about 50 ms of CPU (requests loads the CA bundle for every connection), and where the
#: metadata is cached the solver is bound by the CPU, not the network; 4 gain as much as 12
#: where it is not.
WORKERS = 4
#: Older versions fetched ahead once the solver goes back from the newest one of a name.
WALK_BACK = 4

_classes: tuple[Any, Any] | None = None


def simple_fallback_pypi() -> Any:
    """The class ``SimpleFallbackPyPiRepository`` (made on first use)."""
    return _repository_classes()[0]


def prefetching_legacy() -> Any:
    """Poetry's ``LegacyRepository`` (an index from pip's configuration) fetching ahead."""
    return _repository_classes()[1]


def prefetch(pool: Any, dependencies: list[Any]) -> None:
    """Start fetching what the solver will ask ``pool`` about ``dependencies`` (Poetry
    ``Dependency`` objects, usually the root package's), from every repository that can."""
    for repository in pool.all_repositories:
        if hasattr(repository, "prefetch"):
            for dependency in dependencies:
                if not dependency.is_direct_origin():
                    repository.prefetch(dependency)


def close_prefetch(pool: Any) -> None:
    """Cancel the fetches still queued in ``pool``'s repositories."""
    for repository in pool.all_repositories:
        if hasattr(repository, "close_prefetch"):
            repository.close_prefetch()


def _repository_classes() -> tuple[Any, Any]:
    global _classes
    if _classes is not None:
        return _classes

    import threading
    from concurrent.futures import Future, ThreadPoolExecutor

    from packaging.utils import canonicalize_name
    from poetry.core.packages.dependency import Dependency
    from poetry.inspection.info import PackageInfo
    from poetry.repositories.exceptions import PackageNotFoundError
    from poetry.repositories.legacy_repository import LegacyRepository
    from poetry.repositories.pypi_repository import PyPiRepository

    class Prefetching:
        """The shared table of answers and the threads that fill it (see the module)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["pool_size"] = max(kwargs.get("pool_size") or 0, WORKERS)
            super().__init__(*args, **kwargs)
            self._lock = threading.Lock()
            self._answers: dict[tuple[str, ...], Future[Any]] = {}
            self._scheduled: set[tuple[str, ...]] = set()
            #: How many versions of each name the solver has asked for.
            self._asked: dict[str, int] = {}
            self._executor: ThreadPoolExecutor | None = None
            self._closed = False
            self._uncached_get_page = self._get_page  # type: ignore[attr-defined]
            self.get_page = self._shared_page

        def _once(self, key: tuple[str, ...], compute: Any) -> Any:
            with self._lock:
                future = self._answers.get(key)
                mine = future is None
                if future is None:
                    future = self._answers[key] = Future()
            if not mine:
                return future.result()
            try:
                result = compute()
            except BaseException as e:
                future.set_exception(e)
                raise
            future.set_result(result)
            return result

        def _shared_page(self, name: Any) -> Any:
            return self._once(("page", name), lambda: self._uncached_get_page(name))

        def get_release_info(self, name: Any, version: Any) -> Any:
            parent: Any = super()
            return self._once(
                ("info", name, version.text), lambda: parent.get_release_info(name, version)
            )

        def package(self, name: str, version: Any) -> Any:
            canonical = canonicalize_name(name)
            with self._lock:
                asked = self._asked.setdefault(canonical, 0) + 1
                self._asked[canonical] = asked
            if asked > 1:
                self._walk_back(canonical, version)
            parent: Any = super()
            return parent.package(name, version)

        def _walk_back(self, name: Any, version: Any) -> None:
            """The solver asks for another version of ``name``: it is going back through older
            ones (the newer ones did not fit), so the next older ones are fetched ahead."""
            try:
                page = self._shared_page(name)
            except Exception:
                return
            older = sorted((v for v in page.versions(name) if v < version), reverse=True)
            stable = [v for v in older if not v.is_unstable()]
            for candidate in (stable or older)[:WALK_BACK]:
                key = ("version", name, candidate.text)
                self._schedule(key, self._fetch_version, name, candidate, set())

        def forget(self, name: str, version: Any) -> None:
            with self._lock:
                self._answers.pop(("info", canonicalize_name(name), version.text), None)
            parent: Any = super()
            parent.forget(name, version)

        def prefetch(self, dependency: Any) -> None:
            self._schedule(("prefetch", dependency.name), self._fetch_ahead, dependency)

        def _schedule(self, key: tuple[str, ...], task: Any, *args: Any) -> None:
            """Run ``task(*args)`` on a thread, once per ``key``, until closed."""
            with self._lock:
                if key in self._scheduled or self._closed:
                    return
                self._scheduled.add(key)
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="prefetch")
                self._executor.submit(self._unless_closed, task, *args)

        def _unless_closed(self, task: Any, *args: Any) -> None:
            # A task that started before the close runs on, competing with the solver's
            # caller for the interpreter: its steps check this too.
            if not self._closed:
                task(*args)

        def close_prefetch(self) -> None:
            with self._lock:
                executor, self._executor = self._executor, None
                self._closed = True
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)

        def _fetch_ahead(self, dependency: Any) -> None:
            name = dependency.name
            try:
                page = self._shared_page(name)
            except Exception as e:  # the solver asks again and reports it
                logger.debug("fetching %s ahead of the solver: %s", name, e)
                return
            if self._closed:
                return
            allowed = [v for v in page.versions(name) if dependency.constraint.allows(v)]
            stable = [v for v in allowed if not v.is_unstable()]
            if stable or allowed:
                self._fetch_version(name, max(stable or allowed), set(dependency.extras))

        def _fetch_version(self, name: Any, version: Any, extras: set[str]) -> None:
            """The release info of ``name`` ``version``, then its dependencies ahead."""
            try:
                info = self.get_release_info(name, version)
            except Exception as e:  # the solver asks again and reports it
                logger.debug("fetching %s %s ahead of the solver: %s", name, version, e)
                return
            if self._closed:
                return
            for requirement in info.requires_dist or []:
                try:
                    needed = Dependency.create_from_pep_508(requirement)
                except ValueError:
                    continue
                if needed.in_extras and not extras.intersection(needed.in_extras):
                    continue
                if not needed.is_direct_origin():
                    self.prefetch(needed)

    class SimpleFallbackPyPiRepository(Prefetching, PyPiRepository):  # type: ignore[misc]
        """PyPI through its JSON API, and through the simple index when the JSON API 404s or
        has no dependencies (``requires_dist`` null: a mirror may fill it in part only).

        Once the per-version JSON API has failed for a version the simple index lists, it is
        not asked again (it is a property of the mirror, and each miss costs a round trip).
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._json_api_broken = False

        def _get(self, endpoint: str, headers: dict[str, str] | None = None) -> Any:
            data = super()._get(endpoint, headers)
            if endpoint.startswith("pypi/") and isinstance(data, dict):
                info = data.get("info")
                if isinstance(info, dict) and info.get("requires_dist") is None:
                    # Without dependencies the answer is no release info: Poetry would fetch
                    # the metadata from the files, as the simple index does.
                    return None
            return data

        def _get_release_info(self, name: Any, version: Any) -> dict[str, Any]:
            if not self._json_api_broken:
                try:
                    info: dict[str, Any] = super()._get_release_info(name, version)
                    return info
                except PackageNotFoundError:
                    pass
            result = self._release_info_from_simple_index(name, version)
            if not self._json_api_broken:
                logger.debug(
                    "%s: the JSON API has no %s %s but the simple index has; "
                    "using the simple index from now on",
                    self._base_url,
                    name,
                    version,
                )
                self._json_api_broken = True
            return result

        def _release_info_from_simple_index(self, name: Any, version: Any) -> dict[str, Any]:
            # The same as LegacyRepository._get_release_info: files and hashes from the
            # simple page; metadata from PEP 658 files, a lazy wheel, or the artifact.
            page = self.get_page(name)
            links = list(page.links_for_version(name, version))
            data: dict[str, Any] = self._links_to_data(
                links,
                PackageInfo(
                    name=name,
                    version=version.text,
                    summary="",
                    requires_dist=[],
                    requires_python=None,
                    files=[],
                    yanked=page.yanked(name, version),
                    cache_version=str(self.CACHE_VERSION),
                ),
            )
            return data

        def find_links_for_package(self, package: Any) -> list[Any]:
            links: list[Any] = []
            if not self._json_api_broken:
                links = super().find_links_for_package(package)
            if links:
                return links
            try:
                page = self.get_page(package.name)
            except PackageNotFoundError:
                return []
            return list(page.links_for_version(package.name, package.version))

    class PrefetchingLegacyRepository(Prefetching, LegacyRepository):  # type: ignore[misc]
        """An index from pip's configuration, fetched ahead of the solver."""

    _classes = (SimpleFallbackPyPiRepository, PrefetchingLegacyRepository)
    return _classes
