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


@pytest.mark.parametrize("cmd", ["summary", "summary --json", "profile"])
def test_analysis_refusing_a_trace_is_an_error_not_a_traceback(cmd, monkeypatch, capsys, tmp_path):
    """A TraceFormatError out of the analysis (none of today's readers' damage raises one:
    it is injected) is reported like stats reports damage: message, byte offset and
    generation, exit status 1, no traceback; summary goes on with the next file."""
    import importlib
    import json
    from pathlib import Path

    from goroscope.format.errors import TraceFormatError

    S = importlib.import_module("goroscope.analysis.summary")  # the package exports summary()

    good = str(Path(__file__).parent.parent / "testdata/traces/go1.22/annotations.trace")
    real = S.analyze

    def analyze(source, **kw):
        if str(source).endswith("bad.trace"):
            raise TraceFormatError("stack ID out of range", offset=1234, generation=3)
        return real(source, **kw)

    monkeypatch.setattr(S, "analyze", analyze)
    bad = str(tmp_path / "bad.trace")
    words = cmd.split()
    if words[0] == "profile":
        rc = cli.main(["profile", "--type", "sync", "-o", str(tmp_path / "p.pb.gz"), bad])
    else:
        rc = cli.main([*words, bad, good])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "Traceback" not in out + err
    text = out if words[0] == "summary" else err
    assert "stack ID out of range (at byte offset 1234, generation 3)" in text
    if "--json" in words:
        lines = [json.loads(x) for x in out.splitlines()]
        assert [x["file"] for x in lines] == [bad, good]
        assert "error" in lines[0]
        assert lines[1]["events"] > 0
