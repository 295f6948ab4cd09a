"""No Python traceback reaches the user (issue 20): every command with malformed arguments,
and every long command interrupted at several moments, ends with a message and a documented
exit code. Cheap argument checks come before any work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_tiny

ENTRY = Path(sys.executable).parent / "specialeplan"  # the console script a user runs
ENV = {**os.environ, "COLUMNS": "200"}


def cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ENTRY), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env=ENV)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the tiny scenario, a solved run of it and a tiny sweep file."""
    root = tmp_path_factory.mktemp("notrace")
    write_tiny(root)
    (root / "sw.yaml").write_text("name: sw\nscenario: tiny.yaml\nruns:\n  a: {}\n  b: "
                                  "{model.weights.travel: 2}\n", encoding="utf-8")
    (root / "roll.yaml").write_text("extends: tiny.yaml\nname: roll\nrollout:\n  2027: [A]\n",
                                    encoding="utf-8")
    done = cli("run", "tiny.yaml", "--out", "out", "--quiet", "--no-excel", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


MALFORMED = [
    (["run", "no-such.yaml"], "cannot find scenario"),
    (["run", "tiny.yaml", "--set", "solver.time_limit=-1"], "time_limit"),
    (["run", "tiny.yaml", "--set", "nonsense"], "key.path=value"),
    (["check", "out/tiny", "--max-gap", "nan"], "max-gap"),
    (["check", "no-such-folder"], "does not exist"),
    (["map", "no-such-folder"], "no-such-folder"),
    (["compare", "out/tiny"], "at least two"),
    (["compare", "out/tiny", "out/tiny", "--out", "x.xls"], ".csv, .xlsx or .json"),
    (["sweep", "sw.yaml", "--workers", "0"], "at least 1"),
    (["sweep", "sw.yaml", "--scheduler", "not-an-address"], "not a Dask scheduler address"),
    (["sweep", "sw.yaml", "--scheduler", "http://127.0.0.1:8786"], "dashboard"),
    (["sweep", "sw.yaml", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    (["sweep", "no-such-sweep"], "not found"),
    (["frontier", "tiny.yaml", "--bound", "designations", "--steps", "0"], "--steps"),
    (["frontier", "tiny.yaml", "--bound", "no-such"], "--bound"),
    (["rollout", "tiny.yaml"], "rollout"),
    (["vulnerability", "no-such-folder"], "no-such-folder"),
    (["vulnerability", "out/tiny", "--workers", "0"], "workers"),
    (["classic", "pmedian", "pmed999"], "pmed"),
    (["show", "no-such-scenario"], "no-such-scenario"),
    (["data", "travel", "Atlantis", "Aarhus"], "Atlantis"),
]


@pytest.mark.parametrize(("args", "says"), MALFORMED, ids=[" ".join(a) for a, _ in MALFORMED])
def test_malformed_arguments_give_a_message_not_a_traceback(place: Path, args: list[str],
                                                           says: str) -> None:
    t0 = time.perf_counter()
    proc = cli(*args, cwd=place)
    seconds = time.perf_counter() - t0
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text
    assert "Traceback" not in text
    assert says.lower() in text.lower(), text
    assert seconds < 60, f"refused only after {seconds:.0f} s"  # cheap checks first


LONG = [
    ["run", "tiny.yaml", "--out", "sig", "--quiet", "--overwrite"],
    ["sweep", "sw.yaml", "--out", "sig", "--overwrite"],
    ["rollout", "roll.yaml", "--out", "sig", "--overwrite"],
    ["vulnerability", "out/tiny", "--out", "sig/n-1", "--overwrite", "--no-maps"],
    ["frontier", "tiny.yaml", "--bound", "designations", "--out", "sig", "--overwrite"],
]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("args", LONG, ids=[a[0] for a in LONG])
def test_interrupts_at_several_moments_give_no_traceback(place: Path,
                                                         args: list[str]) -> None:
    """SIGINT in the first half second (imports), during set-up and later, then SIGTERM:
    always a message and 0 (a result kept), 1 (no solution), 130 (interrupted) or 2
    (refused), never a traceback."""
    for sig, delay in ((signal.SIGINT, 0.4), (signal.SIGINT, 0.8), (signal.SIGINT, 1.5),
                       (signal.SIGTERM, 1.0)):
        proc = subprocess.Popen([str(ENTRY), *args], cwd=place, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=ENV)
        time.sleep(delay)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in out + err, (sig, delay, out + err)
        assert proc.returncode in (0, 1, 2, 130, -signal.SIGTERM), (sig, delay, proc.returncode,
                                                                     out + err)
