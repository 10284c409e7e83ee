"""The README's ``goroscope stats`` section runs as written."""

from __future__ import annotations

import os
import re

from tests.model.conftest import ROOT


def _section_code() -> list[str]:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Counting events")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end >= 0 else None]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_stats_examples_run(capsys):
    blocks = _section_code()
    assert blocks
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for code in blocks:
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    assert "StateTransition" in capsys.readouterr().out
