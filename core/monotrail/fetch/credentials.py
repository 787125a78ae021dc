"""Credentials for private indexes: looked up when a download starts, kept in memory only.

Every HTTP request monotrail makes (artifacts, index pages, interpreter builds from a mirror)
asks ``auth_for(url)``. Which configured index a URL belongs to follows pip's network layer
(``MultiDomainBasicAuth``): an index with the same scheme and ``host:port`` is a candidate, and
the candidate sharing the longest path prefix (whole segments) with the URL wins. Files may live
outside the index's path (GitLab lists ``.../pypi/files/`` on pages under ``.../pypi/simple/``).

The configured indexes:

- pip: ``index-url`` and ``extra-index-url`` as pip takes them (its configuration files,
  ``PIP_CONFIG_FILE``, ``PIP_INDEX_URL`` / ``PIP_EXTRA_INDEX_URL``), and the ``--index-url`` /
  ``--extra-index-url`` lines of the project's requirements files or of pip arguments;
- Poetry: the project's ``[[tool.poetry.source]]`` entries;
- uv: the project's ``[[tool.uv.index]]`` entries (the URLs its uv.lock names).

Credentials, the first found wins: those in the URL itself; those in the matched index's URL;
the matched index's own (uv: ``UV_INDEX_<NAME>_USERNAME`` / ``_PASSWORD``; Poetry:
``http-basic.NAME``, ``POETRY_HTTP_BASIC_<NAME>_*`` or keyring, through Poetry's password
manager); ``~/.netrc`` (``$NETRC``) for the host; keyring for the index URL, then the host,
when pip's ``keyring-provider`` is set (``keyring`` imported then, skipped when absent);
Poetry's authenticator (its configured repositories and keyring) for any other host.

A credential never leaves this process: nothing here writes, and ``redact`` is the one way a URL
is shown (``http://alice:****@host/simple/``). ``refused`` is the one line for a 401 or 403.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from monotrail.errors import MonotrailError
from monotrail.log import logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from pathlib import Path
    from typing import Any

#: Hosts that never need credentials (PyPI).
_PUBLIC_HOSTS = ("pypi.org", "files.pythonhosted.org")
#: How a user supplies credentials, said after a refused request.
_HOW = (
    "put them in the index URL (pip's index-url / extra-index-url, PIP_INDEX_URL, "
    "an --index-url line), in ~/.netrc, in Poetry's http-basic.NAME or POETRY_HTTP_BASIC_NAME_*, "
    'or in UV_INDEX_NAME_USERNAME / _PASSWORD (README: "Private indexes")'
)


@dataclass(frozen=True)
class Index:
    """A package index some configuration names."""

    #: The URL as configured; it may carry credentials (show it only through ``redact``).
    url: str = field(repr=False)
    #: Where it is configured, as said in messages: ``PIP_INDEX_URL``, a file, a source name.
    origin: str
    #: Poetry's name of the source (``http-basic.NAME``), for Poetry sources.
    poetry_name: str | None = None
    #: uv's name of the index (``UV_INDEX_<NAME>_USERNAME``), for uv indexes.
    uv_name: str | None = None


@dataclass(frozen=True)
class Credential:
    """A username and password for one request, and where they were found."""

    username: str
    password: str = field(repr=False)
    #: Where it was found, as said in messages (never the secret itself).
    source: str


_lock = threading.Lock()
_project: tuple[Index, ...] = ()
_pip: tuple[tuple[Index, ...], str] | None = None
_found: dict[tuple[str, str], Credential | None] = {}


# -- showing URLs --------------------------------------------------------------------------------


def redact(url: str) -> str:
    """``url`` with its password shown as ``****`` (a lone user name is kept, as pip does)."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    userinfo = f"{user}:****" if parts.password is not None else "****"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def redact_all(text: str) -> str:
    """``text`` with the password of every URL in it shown as ``****`` (for command lines)."""
    return re.sub(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"]+", lambda m: redact(m.group(0)), text)


def strip(url: str) -> str:
    """``url`` without credentials (what may be kept in the store)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


# -- the configured indexes ----------------------------------------------------------------------


def use_project(root: Path, requirements: Path | None = None) -> None:
    """Consult the indexes of the project in ``root`` (its pyproject.toml, ``requirements``)."""
    found: list[Index] = []
    if requirements is not None:
        found += requirements_indexes(requirements)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        from monotrail import toml

        try:
            tool = _table(toml.load(pyproject), "tool")
        except MonotrailError as err:  # the project's reader reports it, if it reads the file
            logger.debug("no indexes read from %s", err)
            tool = {}
        for source in _entries(_table(tool, "poetry").get("source")):
            origin = f"{pyproject} source {source['name']!r}"
            found.append(Index(source["url"], origin, poetry_name=source["name"]))
        for index in _entries(_table(tool, "uv").get("index")):
            origin = f"{pyproject} [[tool.uv.index]] {index['name']!r}"
            found.append(Index(index["url"], origin, uv_name=index["name"]))
    use_indexes(found)


def use_indexes(indexes: Iterable[Index]) -> None:
    """Consult these indexes too, before those of pip's configuration."""
    global _project
    with _lock:
        _project = (*_project, *(i for i in indexes if i not in _project))
        _found.clear()


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _entries(value: object) -> list[dict[str, str]]:
    """The ``name`` / ``url`` tables of a TOML array (others are the resolvers' to refuse)."""
    if not isinstance(value, list):
        return []
    return [
        v
        for v in value
        if isinstance(v, dict) and isinstance(v.get("url"), str) and isinstance(v.get("name"), str)
    ]


def pip_argument_indexes(args: Sequence[str], origin: str) -> list[Index]:
    """The indexes of ``pip install`` arguments: ``-i`` / ``--extra-index-url``, and those of
    the requirements files that ``-r`` / ``-c`` name."""
    try:
        from pip._internal.commands import create_command

        opts, _rest = create_command("install", isolated=True).parse_args(list(args))
    except (SystemExit, Exception) as err:  # arguments pip refuses: its resolution says so
        logger.debug("no indexes read from pip's arguments: %s", err)
        return []
    found = _option_indexes(opts, origin)
    for path in [*opts.requirements, *opts.constraints]:
        found += requirements_indexes(path)
    return found


def requirements_indexes(path: str | Path) -> list[Index]:
    """The ``--index-url`` / ``--extra-index-url`` lines of a requirements file and of the files
    it includes, read by pip's own parser (``${VAR}`` expanded, as pip does)."""
    if "://" in str(path):
        return []  # a remote requirements file: pip alone reads it
    found = []
    try:
        from pip._internal.req.req_file import RequirementsFileParser, get_line_parser

        parser = RequirementsFileParser(session=None, line_parser=get_line_parser(None))  # type: ignore[arg-type]
        for line in parser.parse(str(path), constraint=False):
            found += _option_indexes(line.opts, line.filename)
    except Exception as err:  # unreadable, or another pip's internals: pip alone reads it then
        logger.debug("no indexes read from %s: %s", path, err)
    return found


def _option_indexes(opts: object, origin: str) -> list[Index]:
    urls = [getattr(opts, "index_url", None), *(getattr(opts, "extra_index_urls", None) or [])]
    return [Index(url, origin) for url in urls if url]


def _pip_configuration() -> tuple[tuple[Index, ...], str]:
    """pip's index URLs and keyring-provider, overridden in pip's order: ``[global]``, then
    ``[install]``, then ``PIP_*`` variables; within each, later files over earlier ones."""
    try:
        from pip._internal.configuration import OVERRIDE_ORDER, Configuration

        config = Configuration(isolated=False)
        config.load()
        files = dict(config.iter_config_files())
        settings = [
            (key, value, origin)
            for variant in OVERRIDE_ORDER
            for key, value, origin in _settings_of(
                config.get_values_in_config(variant), files.get(variant) or []
            )
        ]
    except Exception as err:  # unreadable, or another pip's internals: pip alone reads it then
        logger.debug("pip's configuration not read: %s", err)
        return (), ""
    chosen: dict[str, tuple[str, str]] = {}
    for section in ("global", "install", ":env:"):
        for key, value, origin in settings:
            name = key.removeprefix(f"{section}.")
            if name != key and name in ("index-url", "extra-index-url", "keyring-provider"):
                if section == ":env:":
                    origin = "PIP_" + name.upper().replace("-", "_")
                chosen[name] = (str(value), origin)
    indexes = []
    for key in ("index-url", "extra-index-url"):
        if key in chosen:
            value, origin = chosen[key]
            indexes += [Index(url, origin) for url in value.split()]
    return tuple(indexes), chosen.get("keyring-provider", ("", ""))[0]


def _settings_of(values: dict[str, Any], files: list[str]) -> Iterator[tuple[str, Any, str]]:
    """(``section.key``, value, file) of one kind of pip configuration: a dict of settings
    (pip 23) or a dict of them per file (pip 24 and later)."""
    existing = ", ".join(f for f in files if os.path.exists(f)) or "pip's configuration"
    for name, value in values.items():
        if isinstance(value, dict):
            yield from ((key, inner, name) for key, inner in value.items())
        else:
            yield name, value, existing


def _pip_settings() -> tuple[tuple[Index, ...], str]:
    global _pip
    with _lock:
        if _pip is None:
            _pip = _pip_configuration()
        return _pip


def configured() -> tuple[Index, ...]:
    """Every index the lookup knows: the project's, then pip's configuration's."""
    return (*_project, *_pip_settings()[0])


def match(url: str) -> Index | None:
    """The configured index ``url`` belongs to: same scheme and host, longest path prefix."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    segments = [s for s in parts.path.split("/") if s]
    best: tuple[int, Index] | None = None
    for index in configured():
        candidate = urlsplit(index.url)
        if candidate.scheme != parts.scheme or candidate.netloc.rpartition("@")[2] != host:
            continue
        shared = 0
        for own, other in zip((s for s in candidate.path.split("/") if s), segments, strict=False):
            if own != other:
                break
            shared += 1
        if best is None or shared > best[0]:
            best = (shared, index)
    return best[1] if best else None


# -- the lookup ----------------------------------------------------------------------------------


def auth_for(url: str) -> tuple[str, str] | None:
    """The (username, password) to send with a request for ``url``; None when none is known."""
    found = lookup(url)
    return (found.username, found.password) if found else None


def lookup(url: str) -> Credential | None:
    """The credential for ``url`` and where it came from (see the module docstring)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname in _PUBLIC_HOSTS:
        return None
    if parts.password is not None:
        return Credential(unquote(parts.username or ""), unquote(parts.password), "the URL")
    index = match(url)
    key = (index.url if index else "", parts.netloc)
    with _lock:
        if key in _found:
            return _found[key]
    found = _look_up(url, index)
    if found is not None:
        logger.debug("credentials for %s: from %s", redact(url), found.source)
    with _lock:
        _found[key] = found
    return found


def _look_up(url: str, index: Index | None) -> Credential | None:
    username: str | None = None
    if index is not None:
        inside = urlsplit(index.url)
        if inside.password is not None:
            return Credential(
                unquote(inside.username or ""), unquote(inside.password), index.origin
            )
        username = unquote(inside.username) if inside.username else None
        own = _index_own(index)
        if own is not None:
            return own
    netrc = _netrc(url)
    if netrc is not None:
        return netrc
    if _pip_settings()[1] not in ("", "disabled"):
        found = _keyring(strip(index.url) if index else None, username, url)
        if found is not None:
            return found
    if index is None or index.poetry_name is None:
        return _poetry_authenticator(url)
    return None


def _index_own(index: Index) -> Credential | None:
    """uv's variables for a uv index; Poetry's password manager for a Poetry source."""
    if index.uv_name is not None:
        var = "UV_INDEX_" + re.sub(r"[^A-Z0-9]", "_", index.uv_name.upper())
        username = os.environ.get(f"{var}_USERNAME")
        password = os.environ.get(f"{var}_PASSWORD")
        if username is not None or password is not None:
            return Credential(username or "", password or "", f"{var}_USERNAME / _PASSWORD")
    if index.poetry_name is not None:
        return _poetry_authenticator(index.url, index.poetry_name)
    return None


def _netrc(url: str) -> Credential | None:
    from requests.utils import get_netrc_auth

    try:
        found = get_netrc_auth(url, raise_errors=True)
    except Exception as err:  # a malformed netrc: go without, as pip does
        logger.debug("netrc unreadable: %s", err)
        return None
    if not found:
        return None
    return Credential(found[0], found[1], os.environ.get("NETRC") or "~/.netrc")


def _keyring(index_url: str | None, username: str | None, url: str) -> Credential | None:
    try:
        import keyring
    except ImportError:
        logger.debug("pip's keyring-provider is set, but keyring is not installed")
        return None
    for service in (index_url, urlsplit(url).netloc):
        if not service:
            continue
        try:
            found = keyring.get_credential(service, username)
        except Exception as err:  # a keyring backend failing: go without, as pip does
            logger.debug("keyring is skipped: %s", err)
            return None
        if found is not None:
            return Credential(found.username, found.password, f"keyring ({service})")
    return None


def _poetry_authenticator(url: str, name: str | None = None) -> Credential | None:
    """Poetry's credentials: of its source ``name`` (at ``url``), else for ``url`` by its
    configured repositories and keyring."""
    try:
        from poetry.config.config import Config
        from poetry.utils.authenticator import Authenticator

        authenticator = Authenticator(Config.create())
        if name is not None:
            authenticator.add_repository(name, strip(url))
        found = (
            authenticator.get_http_auth(name)
            if name
            else authenticator.get_credentials_for_url(url)
        )
    except Exception as err:  # no Poetry configuration, a keyring backend failing: go without
        logger.debug("no credentials from Poetry for %s: %s", redact(url), err)
        return None
    if found is None or (found.username is None and found.password is None):
        return None
    where = f"Poetry's http-basic.{name}" if name else "Poetry's configuration"
    return Credential(found.username or "", found.password or "", where)


# -- refusals ------------------------------------------------------------------------------------


class Refused(MonotrailError):
    """An index answered HTTP 401 or 403."""


def refused(url: str, status: int) -> Refused:
    """The one line for a 401/403: the index (redacted), what was consulted, how to fix it."""
    index = match(url)
    found = lookup(url)
    where = f"the index {redact(index.url)} ({index.origin})" if index else urlsplit(url).netloc
    if found is not None:
        said = f"the credentials from {found.source} were refused"
    else:
        consulted = "the URL, pip's index URLs, the project's indexes, ~/.netrc"
        if _pip_settings()[1] not in ("", "disabled"):
            consulted += ", keyring"
        said = f"no credentials found ({consulted} and Poetry's configuration consulted)"
    return Refused(
        f"{redact(url)}: HTTP {status} from {where}: {said}; to supply credentials, {_HOW}"
    )
