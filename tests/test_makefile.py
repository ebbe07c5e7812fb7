"""The Makefile on a fresh machine: a venv broken by a failed first try is rebuilt, `make run`'s
install leaves the test tools out, and `make test`'s adds them.

Runs the real Makefile with VENV in a temporary folder and PYTHON a stand-in that logs what it
is asked to do (creating a venv, pip installs) instead of downloading anything."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Stands in for python3: `-m venv DIR` makes DIR/bin/python a working stand-in.
FAKE_SYSTEM_PYTHON = """#!/bin/sh
echo "system $*" >> "$LOG"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && cp "$GOOD_PYTHON" "$3/bin/python"
fi
"""
GOOD_VENV_PYTHON = """#!/bin/sh
echo "venv $*" >> "$LOG"
"""
# What `python3 -m venv` leaves when python3-venv is missing: a python without pip.
PIPLESS_VENV_PYTHON = """#!/bin/sh
case "$*" in *"import pip"*) exit 1 ;; esac
echo "venv $*" >> "$LOG"
"""


@pytest.fixture
def sandbox(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for name, text in [("python3", FAKE_SYSTEM_PYTHON), ("good", GOOD_VENV_PYTHON), ("pipless", PIPLESS_VENV_PYTHON)]:
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o755)
    log = tmp_path / "log"
    log.touch()

    def make(target: str) -> list[str]:
        log.write_text("")
        env = {"PATH": "/usr/bin:/bin", "LOG": str(log), "GOOD_PYTHON": str(tmp_path / "good")}
        done = subprocess.run(
            ["make", "-s", target, f"PYTHON={tmp_path / 'python3'}", f"VENV={tmp_path / 'venv'}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return [line for line in log.read_text().splitlines() if "import pip" not in line]

    return tmp_path, make


def _installs(calls: list[str]) -> list[str]:
    return [c for c in calls if "pip install" in c and "--upgrade pip" not in c]


def test_broken_venv_from_a_failed_first_try_is_rebuilt(sandbox):
    tmp, make = sandbox
    (tmp / "venv" / "bin").mkdir(parents=True)
    shutil.copy(tmp / "pipless", tmp / "venv" / "bin" / "python")
    (tmp / "venv" / "leftover").write_text("from the failed try")

    calls = make("venv")

    assert any(c.startswith("system -m venv") for c in calls), calls
    assert not (tmp / "venv" / "leftover").exists()  # rebuilt, not reused
    assert _installs(calls) == ["venv -m pip install -q -e .[embedded]"]


def test_a_venv_whose_python_does_not_run_is_rebuilt_even_with_its_stamp(sandbox):
    tmp, make = sandbox
    make("venv")
    (tmp / "venv" / "bin" / "python").write_text("#!/bin/sh\nexit 127\n")  # e.g. the system python was replaced

    calls = make("venv")

    assert any(c.startswith("system -m venv") for c in calls), calls
    assert _installs(calls) == ["venv -m pip install -q -e .[embedded]"]


def test_run_installs_no_test_tools_and_test_adds_them_once(sandbox):
    tmp, make = sandbox
    assert _installs(make("venv")) == ["venv -m pip install -q -e .[embedded]"]
    assert make("venv") == []  # healthy and installed: nothing to do

    assert _installs(make("venv-test")) == ["venv -m pip install -q -e .[embedded,test]"]
    assert make("venv-test") == []
    assert make("venv") == []
