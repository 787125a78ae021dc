"""Where the time of unpacking wheels into the store goes, cost by cost, in one process.

    python bench/unpack_costs.py [WORKLOAD ...] [--rounds N]

WORKLOAD is a folder of bench/.work with a ``downloads/`` folder of wheels (``data-science``,
``django``: made by ``bench/run.py data-science django``), or any folder of wheels. Each cost is
measured alone, over every wheel, best of ``--rounds``:

- archive hash: sha256 of each wheel file (what a lock's hash is checked against);
- inflate: reading every member through ``zipfile`` (zlib and zipfile's per-member work);
- RECORD hashes: sha256 of every member's content, as RECORD encodes it (the per-file check);
- installer: installer's ``install()`` generator and RecordEntry objects, with a destination that
  only reads each stream (minus the inflate time);
- file creation: creating every member's file with its content already in memory, in a
  temporary folder on the store's file system (the kernel's part);
- unpack: ``monotrail.store.unpack.unpack`` as the store calls it, end to end, one process.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

WORK = Path(__file__).resolve().parent / ".work"


def wheels_of(workload: str) -> list[Path]:
    folder = Path(workload)
    if not folder.is_dir():
        folder = WORK / workload / "downloads"
    found = sorted(folder.glob("*.whl"))
    if not found:
        raise SystemExit(f"{folder}: no wheels (run bench/run.py {workload} first)")
    return found


def best(rounds: int, step: Callable[[], None], reset: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(rounds):
        if reset is not None:
            reset()
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times)


def members(wheel: Path) -> Iterable[tuple[zipfile.ZipInfo, zipfile.ZipFile]]:
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if not info.filename.endswith("/"):
                yield info, archive


def measure(wheels: list[Path], rounds: int, scratch: Path) -> dict[str, float]:
    from installer import install
    from installer.destinations import WheelDestination
    from installer.records import RecordEntry
    from installer.sources import WheelFile
    from monotrail.store import entry_files, unpack

    contents = {w: [(i.filename, i) for i, _ in members(w)] for w in wheels}
    data = {w: [a.read(i) for i, a in members(w)] for w in wheels}

    def archive_hash() -> None:
        for wheel in wheels:
            hashlib.sha256(wheel.read_bytes()).hexdigest()

    def inflate() -> None:
        for wheel in wheels:
            for info, archive in members(wheel):
                archive.read(info)

    def record_hashes() -> None:
        for wheel in wheels:
            for content in data[wheel]:
                entry_files.record_digest(content)

    class Reader(WheelDestination):
        def write_script(self, name: str, module: str, attr: str, section: object) -> RecordEntry:
            return RecordEntry(name, None, None)

        def write_file(
            self, scheme: object, path: object, stream: BinaryIO, is_executable: bool
        ) -> RecordEntry:
            stream.read()
            return RecordEntry(str(path), None, None)

        def finalize_installation(
            self, scheme: object, record_file_path: str, records: object
        ) -> None:
            pass

    def through_installer() -> None:
        import warnings

        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                install(WheelFile(archive), Reader(), {})

    def clear() -> None:
        """An empty folder, with the removal's disk work done (this disk discards on delete)."""
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        os.sync()

    def create_files() -> None:
        for number, wheel in enumerate(wheels):
            root = str(scratch / str(number))
            made: set[str] = set()
            for (name, info), content in zip(contents[wheel], data[wheel], strict=True):
                path = os.path.join(root, name)
                entry_files.write_new_file(path, content, entry_files.is_executable(info), made)

    def full_unpack() -> None:
        for number, wheel in enumerate(wheels):
            target = scratch / str(number)
            target.mkdir()
            unpack.unpack(wheel, target)

    results = {
        "archive hash": best(rounds, archive_hash),
        "inflate": best(rounds, inflate),
        "RECORD hashes": best(rounds, record_hashes),
        "installer (minus inflate)": best(rounds, through_installer),
        "file creation": best(rounds, create_files, clear),
        "unpack (today, end to end)": best(rounds, full_unpack, clear),
    }
    results["installer (minus inflate)"] -= results["inflate"]
    clear()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["data-science", "django"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for workload in args.workloads:
        wheels = wheels_of(workload)
        files = sum(1 for w in wheels for _ in members(w))
        size = sum(w.stat().st_size for w in wheels)
        unpacked = sum(i.file_size for w in wheels for i, _ in members(w))
        print(
            f"== {workload}: {len(wheels)} wheels, {files} files, "
            f"{size / 1e6:.1f} MB archived, {unpacked / 1e6:.1f} MB unpacked"
        )
        WORK.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="unpack-costs.", dir=WORK))
        try:
            results = measure(wheels, args.rounds, scratch / "t")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        for label, seconds in results.items():
            print(f"  {label:<28} {seconds * 1000:8.0f} ms  {seconds / files * 1e6:6.1f} us/file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
