"""The command line and package entry points."""

from __future__ import annotations

import subprocess
import sys

import pytest

import goroscope
from goroscope import cli


def test_importing_cli_does_not_import_qt():
    """``goroscope stats`` must work headless: the CLI module may not pull in Qt."""
    code = (
        "import sys, goroscope.cli; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert goroscope.__version__ in capsys.readouterr().out


def test_python_dash_m_help():
    proc = subprocess.run(
        [sys.executable, "-m", "goroscope", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert "--screenshot" in proc.stdout
