"""The README's "Analyses from the command line" section runs as written."""

from __future__ import annotations

import os
import re

from tests.analysis.conftest import ROOT


def test_readme_analysis_examples_run(capsys):
    text = (ROOT / "README.md").read_text()
    start = text.index("## Analyses from the command line")
    end = text.find("\n## ", start + 1)
    blocks = re.findall(r"```python\n(.*?)```", text[start:end], re.S)
    assert blocks
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for code in blocks:
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert "main.main" in out or "runtime" in out
