"""Writing a file so that it is never half-written: into a temporary file beside it, flushed to disk,
then renamed over it. A backup, a ledger export or a report workbook is either the old file or the
whole new one — a crash, a full disk or an error never leaves a truncated file where the last good
one was (code review 2026-12-02, §4 durability).
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cleanheat.errors import InputError

__all__ = ["atomic_target", "write_atomically"]


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` would, for every thread at once)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _mode_for(path: Path) -> int:
    """The replaced file's permissions, or what a plain ``open()`` would give (not mkstemp's 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _cannot(path: Path, exc: OSError) -> InputError:
    return InputError(f"无法写入 cannot write {path}: {exc.strerror or exc}", field="file")


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """A temporary file in ``path``'s folder to write to; flushed and renamed over ``path`` when the block ends.

    If the block raises, the old file (if any) is left as it was and the temporary file is removed.

    Raises
    ------
    InputError
        The folder cannot be created or written (nothing was changed).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _cannot(path, exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _mode_for(path))
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _cannot(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes, *, gzipped: bool = False) -> None:
    """Write ``data`` (gzip'd if asked) to ``path`` through :func:`atomic_target`.

    Raises
    ------
    InputError
        The file cannot be written (the old file, if any, is left as it was).
    """
    with atomic_target(path) as tmp, tmp.open("wb") as raw:
        if gzipped:
            with gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw, compresslevel=6) as fh:
                fh.write(data)
        else:
            raw.write(data)
