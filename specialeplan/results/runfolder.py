"""One run, one folder, written atomically: the folder mechanics every command shares.

A run that writes ``ROOT/<name>/`` (``specialeplan run``; later sweeps and rollouts) goes
through :class:`RunFolder`::

    with RunFolder(root, name, overwrite=False) as rf:   # lock, refuse a finished run,
        write_everything(rf.tmp)                          # temp folder + writability probe
        rf.publish()                                      # atomic rename into place

* **Naming**: ``name`` must be a safe folder name (:func:`check_folder_name`).
* **Lock**: ``ROOT/.<name>.lock`` is held (``flock``) for the whole run and names the PID, so
  a second run on the same target refuses at once (:class:`RunFolderBusy`). The kernel drops
  the lock when its process dies, so a lock file left by a killed run is taken over.
* **Existing results**: a target that already holds a run is refused
  (:class:`RunFolderExists`, saying what is there) unless ``overwrite``; a non-empty target
  that is no run (no ``kpis.json``, e.g. a dataset folder) is refused even then.
* **Temp folder**: ``ROOT/.<name>.tmp-<pid>-<random>/`` is created on entry, with a probe
  write, so a read-only or full disk, or a root that is a file, fails *before* the solve
  (:class:`RunFolderError`). Leftover temp folders of killed runs are removed on entry.
* **Publish**: the temp folder is renamed to ``ROOT/<name>``; with ``overwrite`` the old
  folder is moved aside first and deleted only after the new one is in place, so a failed
  re-run keeps the old result. Leaving the block without publishing (an error, an interrupt
  with nothing to keep) removes the temp folder and leaves the target as it was.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from specialeplan.errors import ResultsNotWritten, RunFolderError
from specialeplan.scenarios.names import NAME_PATTERN, check_folder_name

__all__ = ["NAME_PATTERN", "RunFolder", "RunFolderBusy", "RunFolderError", "RunFolderExists",
           "RunLock", "check_folder_name", "describe_run", "is_run_folder", "os_reason",
           "rescue_folder", "write_atomic", "writing"]

try:  # POSIX; on Windows the lock file is exclusive-create only (see RunLock)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PROBE_BYTES = 1 << 16  # the writability probe: a full disk fails on this, not after the solve


class RunFolderBusy(RunFolderError):
    """Another run is writing the same target right now (``pid`` when known)."""

    def __init__(self, message: str, pid: int | None = None) -> None:
        super().__init__(message)
        self.pid = pid


class RunFolderExists(RunFolderError):
    """The target already holds a run and ``overwrite`` was not given."""


def is_run_folder(folder: Path, marker: str = "kpis.json") -> bool:
    """Whether ``folder`` looks like a results folder (has ``kpis.json``, or the ``marker``
    file of another kind of result, e.g. ``vulnerability.csv``)."""
    return (folder / marker).is_file()


def describe_run(folder: Path) -> str:
    """What a results folder holds, for messages: status, objective and creation time."""
    parts: list[str] = []
    try:
        kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
        if isinstance(kpis, dict):
            parts.append(f"status {kpis.get('status')}")
            obj = kpis.get("objective")
            if isinstance(obj, int | float):
                parts.append(f"objective {obj:,.6g}")
    except (OSError, ValueError):
        parts.append("no readable kpis.json")
    created = _created(folder)
    if created:
        parts.append(f"created {created}")
    return ", ".join(parts)


def _created(folder: Path) -> str | None:
    path = folder / "instance" / "scenario.resolved.yaml"
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("created:"):
                return line.split(":", 1)[1].strip().strip("'\"")
    except OSError:
        return None
    try:
        return dt.datetime.fromtimestamp(folder.stat().st_mtime).isoformat(timespec="seconds")
    except OSError:  # pragma: no cover - raced with a delete
        return None


def os_reason(exc: BaseException) -> str:
    """Why a write failed, for a planner: an ``OSError``'s reason with a hint in words
    (``No space left on device (the disk is full)``), else the error's text."""
    if not isinstance(exc, OSError):
        return str(exc)
    reason = exc.strerror or str(exc)
    hint = {errno.ENOSPC: " (the disk is full)", errno.EROFS: " (read-only file system)",
            errno.EACCES: " (permission denied)", errno.ENOTDIR: " (a part of it is a file)",
            errno.EEXIST: " (a file is in the way)"}.get(exc.errno or 0, "")
    return f"{reason}{hint}"


def _os_error(exc: OSError, path: Path, doing: str) -> RunFolderError:
    return RunFolderError(f"cannot {doing} {path}: {os_reason(exc)}")


@contextmanager
def writing(path: Path, kept: str = "") -> Iterator[None]:
    """Inside: an ``OSError`` (disk full, read-only, no permission) becomes
    :class:`ResultsNotWritten` naming ``path`` and what is ``kept``."""
    try:
        yield
    except OSError as exc:
        detail = str(_os_error(exc, Path(exc.filename) if exc.filename else path, "write"))
        raise ResultsNotWritten(f"{detail}{'; ' + kept if kept else ''}") from None


class RunLock:
    """``ROOT/.<name>.lock``: held while a run writes ``ROOT/<name>``; holds the PID.

    POSIX: an ``flock`` on the file (the kernel releases it when the process dies, so a
    stale file is simply taken over); elsewhere an exclusive create (a stale file of a dead
    PID is removed). :meth:`acquire` raises :class:`RunFolderBusy` naming the other PID.
    """

    def __init__(self, root: Path, name: str) -> None:
        self.path = Path(root) / f".{name}.lock"
        self.target = Path(root) / name
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock or raise :class:`RunFolderBusy` at once (no waiting)."""
        for _ in range(20):  # retries only when the file changed under us
            try:
                fd = self._open()
            except FileExistsError:
                continue
            except OSError as exc:
                raise _os_error(exc, self.path, "create the lock file") from None
            if fd is None:
                continue
            self._fd = fd
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return self
        raise RunFolderBusy(f"cannot take the lock {self.path} (it keeps changing)")

    def _open(self) -> int | None:
        if fcntl is None:  # pragma: no cover - Windows
            return self._open_exclusive()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid = self._holder()
            raise self._busy(pid) from None
        try:  # the holder may have removed the file between our open and lock: retry
            same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return None
        return fd

    def _open_exclusive(self) -> int | None:  # pragma: no cover - Windows
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pid = self._holder()
            if pid is not None and not _alive(pid):
                self.path.unlink(missing_ok=True)
                return None
            raise self._busy(pid) from None

    def _holder(self) -> int | None:
        for _ in range(5):  # the holder writes its PID right after taking the lock
            try:
                text = self.path.read_text(encoding="ascii").strip()
            except (OSError, UnicodeDecodeError):
                text = ""
            if text.isdigit():
                return int(text)
            time.sleep(0.05)
        return None

    def _busy(self, pid: int | None) -> RunFolderBusy:
        who = f"PID {pid}" if pid is not None else "another process"
        return RunFolderBusy(
            f"another specialeplan run ({who}) is writing {self.target} right now (lock "
            f"{self.path}); wait for it to finish, or use another --out or scenario name",
            pid)

    def release(self) -> None:
        """Remove the lock file and drop the lock."""
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _alive(pid: int) -> bool:  # pragma: no cover - only the Windows lock path uses it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunFolder:
    """Lock, temp folder and atomic publish of ``root/<name>`` (see the module docstring).

    ``tmp`` is the folder to write into; :meth:`publish` puts it in place and returns the
    final path. Usable once, as a context manager. ``marker``: the file that makes a folder
    a finished result of this kind (``kpis.json`` for a run; an analysis folder names its
    own), so only such a folder is ever replaced.
    """

    def __init__(self, root: Path, name: str, *, overwrite: bool = False,
                 marker: str = "kpis.json") -> None:
        self.root = Path(root)
        self.name = check_folder_name(name, "scenario name")
        self.target = self.root / self.name
        self.overwrite = overwrite
        self.marker = marker
        self.lock = RunLock(self.root, self.name)
        self.tmp = self.root / f".{self.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        self.published = False

    # ------------------------------------------------------------------ entering
    def __enter__(self) -> RunFolder:
        if self.root.exists() and not self.root.is_dir():
            raise RunFolderError(f"--out {self.root} is a file, not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, self.root, "create the results folder") from None
        self.lock.acquire()
        try:
            self._check_target()
            self._remove_leftovers()
            self._make_tmp()
        except BaseException:
            self.lock.release()
            raise
        return self

    def _check_target(self) -> None:
        t = self.target
        if t.is_symlink() or (t.exists() and not t.is_dir()):
            raise RunFolderError(f"{t} exists and is not a results folder (a file or link); "
                                 "move it away or use another --out")
        if not (t.is_dir() and any(t.iterdir())):
            return
        if not is_run_folder(t, self.marker):  # never replace what we did not write
            raise RunFolderExists(
                f"{t} exists and holds files that are not a specialeplan run (no "
                f"{self.marker}); "
                "it is never replaced, not even with --overwrite: use another --out or name")
        if not self.overwrite:
            raise RunFolderExists(
                f"{t} already holds a run ({describe_run(t)}); use --overwrite to replace it "
                "(the old one is kept until the new run is complete), or another --out")

    def _remove_leftovers(self) -> None:
        """Temp and aside folders of earlier runs on this target: under the lock no other
        run of it is active, so they belong to killed runs."""
        for pattern in (f".{self.name}.tmp-*", f".{self.name}.old-*"):
            for path in self.root.glob(pattern):
                shutil.rmtree(path, ignore_errors=True)

    def _make_tmp(self) -> None:
        try:
            self.tmp.mkdir()
            probe = self.tmp / ".probe"
            with open(probe, "wb") as fh:
                fh.write(b"\0" * PROBE_BYTES)
                fh.flush()
                os.fsync(fh.fileno())
            probe.unlink()
        except OSError as exc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise _os_error(exc, self.root, "write results into") from None

    # ------------------------------------------------------------------ publishing
    def publish(self) -> Path:
        """Rename the temp folder into place (replacing an old run only with
        ``overwrite``, and only now); returns the final folder."""
        t = self.target
        aside: Path | None = None
        if t.is_dir() and any(t.iterdir()):
            if not self.overwrite:  # appeared during the run, though we hold the lock
                raise RunFolderExists(f"{t} was filled by someone else during this run")
            aside = self.root / f".{self.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(t, aside)
        elif t.is_dir():
            t.rmdir()  # an empty folder is no run
        try:
            os.rename(self.tmp, t)
        except OSError:
            if aside is not None:
                os.rename(aside, t)  # put the old result back
            raise
        self.published = True
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        return t

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if not self.published:
                shutil.rmtree(self.tmp, ignore_errors=True)
        finally:
            self.lock.release()


def rescue_folder(name: str) -> Path:
    """A fresh fallback folder under the system temp dir for a result that could not be
    written where asked: ``specialeplan-rescue-<name>-<timestamp>``."""
    import tempfile

    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    base = Path(tempfile.gettempdir()) / f"specialeplan-rescue-{name}-{stamp}"
    path = base
    n = 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    path.mkdir(parents=True)
    return path


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` into a temporary file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
