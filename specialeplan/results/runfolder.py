"""One run, one folder, written atomically: the folder mechanics every command shares.

A command that writes ``ROOT/<name>/`` (``run``, a sweep's runs, a rollout's years, an N-1
analysis) goes through :class:`RunFolder`::

    with RunFolder(root, name, overwrite=False) as rf:   # lock, refuse a finished run,
        write_everything(rf.tmp)                          # temp folder + writability probe
        rf.publish()                                      # atomic swap into place

* **Naming**: ``name`` must be a safe folder name (:func:`check_folder_name`). The lock, temp
  and aside names put ``@`` after the name, a character no name may hold, so the files of
  a run named ``s`` can never be taken for those of a run named ``s.tmp-x``.
* **Kinds**: every output folder records what wrote it (``specialeplan.json``: kind, version,
  time; :func:`folder_kind` also recognises folders of earlier versions by their files). A
  command writes only into an empty folder or one of its own kind (replaced only with
  ``overwrite``), never into another command's folder, and never inside a results folder
  unless that is where its kind belongs (a sweep's runs inside the sweep, a rollout's years
  inside the rollout): :func:`claim_folder`.
* **Lock**: ``ROOT/.<name>@lock`` is held (``flock``) for the whole run and names the PID, so
  a second run on the same target refuses at once (:class:`RunFolderBusy`). The kernel drops
  the lock when its process dies, so a lock file left by a killed run is taken over.
* **Existing results**: a target that already holds a result of this kind is refused
  (:class:`RunFolderExists`, saying what is there) unless ``overwrite``; a non-empty target
  of another kind, or no result at all (e.g. a dataset folder), is refused even then.
* **Temp folder**: ``ROOT/.<name>@tmp-<pid>-<random>/`` is created on entry, with a probe
  write, so a read-only or full disk, or a root that is a file, fails *before* the solve
  (:class:`RunFolderError`). Leftover temp folders of killed runs are removed on entry.
* **Publish**: with ``overwrite``, the new folder and the old one are swapped in one atomic
  ``renameat2(RENAME_EXCHANGE)`` where the system has it (Linux), and the old one is deleted
  afterwards: at every instant the target holds a complete result, old or new. Elsewhere the
  old folder is renamed aside (``.<name>@old-…``) first; a process killed between the two
  renames leaves the old result aside, and the next command on the target puts it back
  (:func:`recover_aside`). Leaving the block without publishing (an error, an interrupt with
  nothing to keep) removes the temp folder and leaves the target as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
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

from specialeplan import __version__
from specialeplan.errors import ResultsNotWritten, RunFolderError, SpecialeplanError
from specialeplan.scenarios.names import NAME_PATTERN, check_folder_name, derived_name

__all__ = ["NAME_PATTERN", "RunFolder", "RunFolderBusy", "RunFolderError", "RunFolderExists",
           "RunLock", "check_folder_name", "check_output_root", "claim_folder",
           "derived_name", "describe_run", "enclosing_result", "folder_kind",
           "is_run_folder", "os_reason", "recover_aside", "rescue_folder", "write_atomic",
           "write_folder_record", "writing"]

try:  # POSIX; on Windows the lock file is exclusive-create only (see RunLock)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PROBE_BYTES = 1 << 16  # the writability probe: a full disk fails on this, not after the solve
#: Between a name and the suffix of its lock, temp and aside entries: never in a name
SEP = "@"
#: The record of what wrote an output folder (kind, version, creation time)
FOLDER_RECORD = "specialeplan.json"
#: Kinds of output folder and the file that marks a finished one of each (folders of earlier
#: versions have no record file and are recognised by it)
KIND_MARKERS = {"run": "kpis.json", "vulnerability": "vulnerability.csv",
                "rollout": "rollout.json", "frontier": "frontier.csv",
                "alternatives": "alternatives.csv", "sweep": "sweep.yaml"}


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


def folder_kind(folder: Path) -> str | None:
    """The kind of output folder ``folder`` is (``run``, ``sweep``, ``rollout``, ...), from
    its ``specialeplan.json`` or, for folders of earlier versions, its marker file; ``None``
    when it is no result of this tool."""
    record = folder / FOLDER_RECORD
    if record.is_file():
        try:
            kind = json.loads(record.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            kind = None
        if isinstance(kind, str):
            return kind
    for kind, marker in KIND_MARKERS.items():
        if (folder / marker).is_file():
            return kind
    if (folder / "summary.csv").is_file() and (folder / "runs").is_dir():
        return "sweep"  # a sweep folder whose record was not written yet
    return None


def enclosing_result(path: Path) -> tuple[Path, str] | None:
    """The nearest folder at or above ``path`` that is a result of this tool, with its
    kind; ``None`` when there is none (only existing folders are looked at)."""
    here = Path(os.path.abspath(path))
    for folder in (here, *here.parents):
        if folder.is_dir():
            kind = folder_kind(folder)
            if kind is not None:
                return folder, kind
    return None


def check_out_file(path: str | Path, suffixes: tuple[str, ...], kinds: str) -> Path:
    """``path`` if an ``--out`` file of one of ``suffixes`` (``kinds`` names them for
    people, e.g. ".csv or .xlsx") may be written there: not a folder, not inside a results
    folder; else a :class:`SpecialeplanError`."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise SpecialeplanError(f"--out {path}: use a {kinds} file")
    if path.is_dir():
        raise SpecialeplanError(f"--out {path} is a folder; name a {kinds} file")
    check_output_root(path.parent, "--out")  # never a file inside a results folder
    return path


def check_output_root(root: Path, what: str = "--out", within: tuple[str, ...] = ()) -> None:
    """Refuse an output root inside another command's results folder (``within``: the
    kinds it may sit inside, e.g. a sweep's ``runs/`` inside the sweep)."""
    found = enclosing_result(root)
    if found is not None and found[1] not in within:
        folder, kind = found
        raise RunFolderError(
            f"{what} {root} is inside {folder}, the results folder of a {kind}: "
            "a command never writes into another command's folder; use another --out")


def check_command_folder(root: Path, kind: str, what: str | None = None) -> None:
    """May a command of ``kind`` (``what``: its name for people) write into the folder
    ``root``: not a file, not inside another command's results folder, empty or already of
    this kind? Else :class:`RunFolderError` / :class:`RunFolderExists`, saying why."""
    if root.exists() and not root.is_dir():
        raise RunFolderError(f"{root} exists and is not a folder")
    check_output_root(root.parent)
    found = folder_kind(root) if root.is_dir() and any(root.iterdir()) else kind
    if found != kind:
        raise RunFolderExists(
            f"{root} holds " + (f"the results of a {found}" if found else
                                "files that are not a specialeplan result")
            + f", not of a {what or kind}; it is never written into by another command: "
            "use another --out")


def write_folder_record(folder: Path, kind: str) -> None:
    """Write ``specialeplan.json`` (kind, version, creation time) into ``folder``."""
    record = {"kind": kind, "version": __version__,
              "created": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    (folder / FOLDER_RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def claim_folder(target: Path, kind: str, *, overwrite: bool,
                 within: tuple[str, ...] = ()) -> bool:
    """May a command of ``kind`` write ``target``? True when it already holds a result of
    that kind (to be replaced: needs ``overwrite``), False when it is empty or missing.
    Raises :class:`RunFolderExists` for another kind's folder, a non-empty folder that is
    no result, or an existing result without ``overwrite``; :class:`RunFolderError` when
    ``target`` is a file or link, or sits inside another command's results folder."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise RunFolderError(f"{target} exists and is not a results folder (a file or link);"
                             " move it away or use another --out")
    check_output_root(target.parent, within=within)
    if not (target.is_dir() and any(target.iterdir())):
        return False
    found = folder_kind(target)
    if found is None:  # never replace what we did not write
        raise RunFolderExists(
            f"{target} exists and holds files that are not a specialeplan result; it is "
            "never replaced, not even with --overwrite: use another --out or name")
    if found != kind:
        raise RunFolderExists(
            f"{target} holds the results of a {found}, not of a {kind}; it is never "
            "replaced by another command, not even with --overwrite: use another --out")
    if not overwrite:
        what = describe_run(target) if kind == "run" else f"a {kind}"
        raise RunFolderExists(
            f"{target} already holds {'a run (' + what + ')' if kind == 'run' else what}; "
            "use --overwrite to replace it (the old one is kept until the new one is "
            "complete), or another --out")
    return True


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


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2() -> Callable[..., int] | None:
    """Libc's ``renameat2`` (Linux, glibc ≥ 2.28), or None where there is none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                   ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (``RENAME_EXCHANGE``); False where the system or
    file system cannot, so the caller falls back to renaming aside."""
    if _RENAMEAT2 is None:
        return False
    rc = _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def recover_aside(root: Path, name: str) -> Path | None:
    """Put back an old result that a killed ``--overwrite`` left renamed aside
    (``.<name>@old-…``) when the target is missing or empty; delete asides the new result
    already replaced. Returns the folder put back, if any."""
    target = root / name
    asides = sorted(root.glob(f".{name}{SEP}old-*"), key=lambda p: p.stat().st_mtime)
    restored = None
    if asides and not (target.is_dir() and any(target.iterdir())):
        if target.is_dir():
            target.rmdir()
        os.rename(asides.pop(), target)  # the newest aside is the last complete result
        restored = target
    for path in asides:
        shutil.rmtree(path, ignore_errors=True)
    return restored


class RunLock:
    """``ROOT/.<name>.lock``: held while a run writes ``ROOT/<name>``; holds the PID.

    POSIX: an ``flock`` on the file (the kernel releases it when the process dies, so a
    stale file is simply taken over); elsewhere an exclusive create (a stale file of a dead
    PID is removed). :meth:`acquire` raises :class:`RunFolderBusy` naming the other PID.
    """

    def __init__(self, root: Path, name: str) -> None:
        self.path = Path(root) / f".{name}{SEP}lock"
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
    final path. Usable once, as a context manager. ``kind``: what the folder holds (``run``,
    ``vulnerability``, ...; recorded in ``specialeplan.json``), so only a folder of the same
    kind is ever replaced; ``within``: the kinds of results folder ``root`` may lie inside.
    """

    def __init__(self, root: Path, name: str, *, overwrite: bool = False, kind: str = "run",
                 within: tuple[str, ...] = ()) -> None:
        self.root = Path(root)
        self.name = check_folder_name(name, "scenario name")
        self.target = self.root / self.name
        self.overwrite = overwrite
        self.kind = kind
        self.within = within
        self.lock = RunLock(self.root, self.name)
        self.tmp = self.root / f".{self.name}{SEP}tmp-{os.getpid()}-{secrets.token_hex(4)}"
        self.published = False
        self.recovered: Path | None = None  # an old result a killed run had left aside

    # ------------------------------------------------------------------ entering
    def __enter__(self) -> RunFolder:
        if self.root.exists() and not self.root.is_dir():
            raise RunFolderError(f"--out {self.root} is a file, not a folder")
        check_output_root(self.root, within=self.within)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, self.root, "create the results folder") from None
        self.lock.acquire()
        try:
            self.recovered = recover_aside(self.root, self.name)
            claim_folder(self.target, self.kind, overwrite=self.overwrite,
                         within=self.within)
            self._remove_leftovers()
            self._make_tmp()
        except BaseException:
            self.lock.release()
            raise
        return self

    def _remove_leftovers(self) -> None:
        """Temp folders of earlier runs on this target: under the lock no other run of it
        is active, so they belong to killed runs."""
        for path in self.root.glob(f".{self.name}{SEP}tmp-*"):
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
        """Put the temp folder in place (replacing an old result only with ``overwrite``,
        and only now: atomically where the system can swap folders); returns the final
        folder."""
        t = self.target
        write_folder_record(self.tmp, self.kind)
        if t.is_dir() and any(t.iterdir()):
            if not self.overwrite:  # appeared during the run, though we hold the lock
                raise RunFolderExists(f"{t} was filled by someone else during this run")
            if exchange(self.tmp, t):  # tmp now holds the old result
                self.published = True
                shutil.rmtree(self.tmp, ignore_errors=True)
                return t
            aside = self.root / f".{self.name}{SEP}old-{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(t, aside)
            try:
                os.rename(self.tmp, t)
            except OSError:
                os.rename(aside, t)  # put the old result back
                raise
            self.published = True
            shutil.rmtree(aside, ignore_errors=True)
            return t
        if t.is_dir():
            t.rmdir()  # an empty folder is no result
        os.rename(self.tmp, t)
        self.published = True
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
    tmp = path.with_name(f".{path.name}{SEP}tmp-{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
