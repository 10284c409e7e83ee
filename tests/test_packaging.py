"""Desktop packaging (issue 10): the Linux desktop files, their installer and the bundle spec.

The bundle itself is built and run by ``make package-test`` (minutes; packaging/smoke_test.py).
These tests are fast: they check the files against the freedesktop specifications and real
Go traces, run ``make install-desktop`` into a temporary XDG_DATA_HOME and ask Qt's MIME
database (an independent implementation of shared-mime-info) what a trace is.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import json
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RES = ROOT / "resources"
PACKAGING = ROOT / "packaging"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
MIME_TYPE = "application/x-go-trace"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def desktop_entry(path: Path) -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str  # keys are case-sensitive
    cp.read(path, encoding="utf-8")
    return cp["Desktop Entry"]


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def all_traces() -> list[Path]:
    return sorted((ROOT / "testdata" / "traces").glob("go1.*/*.trace"))


# --- the files in resources/ ------------------------------------------------------------------


def test_desktop_entry_launches_goroscope_for_go_traces():
    e = desktop_entry(RES / "goroscope.desktop")
    assert e["Type"] == "Application"
    assert e["Exec"] == "goroscope %f"  # %f: one local file per invocation (a double-click)
    assert e["Icon"] == "goroscope"
    assert e["MimeType"].split(";") == [MIME_TYPE, ""]
    assert e["Terminal"] == "false"
    assert (RES / "icons" / "hicolor" / "scalable" / "apps" / "goroscope.svg").is_file()


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="no desktop-file-utils")
def test_desktop_entry_passes_desktop_file_validate():
    r = subprocess.run(
        ["desktop-file-validate", str(RES / "goroscope.desktop")], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert not r.stdout.strip(), r.stdout  # no warnings or hints either


def test_mime_magic_and_globs_match_every_real_trace():
    root = ET.parse(RES / "goroscope.xml").getroot()
    assert root.tag == f"{MIME_NS}mime-info"
    (mt,) = root.findall(f"{MIME_NS}mime-type")
    assert mt.get("type") == MIME_TYPE
    globs = {g.get("pattern") for g in mt.findall(f"{MIME_NS}glob")}
    assert globs == {"*.trace", "trace.out"}
    (match,) = mt.findall(f"{MIME_NS}magic/{MIME_NS}match")
    assert (match.get("type"), match.get("offset")) == ("string", "0")
    magic = match.get("value").encode()
    traces = all_traces()
    assert len({t.parent.name for t in traces}) >= 7  # Go 1.21 (old format) … 1.27
    for t in traces:
        with t.open("rb") as f:
            assert f.read(len(magic)) == magic, t


@pytest.mark.skipif(not shutil.which("xmllint"), reason="no xmllint (libxml2-utils)")
def test_mime_xml_is_well_formed_for_xmllint():
    r = subprocess.run(["xmllint", "--noout", str(RES / "goroscope.xml")], capture_output=True)
    assert r.returncode == 0, r.stderr


def test_icon_pngs_have_their_directory_size_and_a_transparent_corner():
    for n in PNG_SIZES:
        png = RES / "icons" / "hicolor" / f"{n}x{n}" / "apps" / "goroscope.png"
        assert png_size(png) == (n, n), png
    ET.parse(RES / "icons" / "hicolor" / "scalable" / "apps" / "goroscope.svg")  # well-formed


# --- make install-desktop / uninstall-desktop --------------------------------------------------


def _make(target: str, data_home: Path, tmp_path: Path, **extra: str) -> str:
    env = {
        "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(data_home),
        **extra,
    }
    r = subprocess.run(
        ["make", "-s", "-C", str(ROOT), target], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def _qt_mime_types(data_home: Path, files: list[Path]) -> list[str]:
    """What Qt's QMimeDatabase (in a fresh process: it caches) calls each file."""
    code = (
        "import json, sys\n"
        "from PySide6.QtCore import QMimeDatabase\n"
        "db = QMimeDatabase()\n"
        "print(json.dumps([db.mimeTypeForFile(f).name() for f in sys.argv[1:]]))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(data_home.parent / "home")}
    env |= {"XDG_DATA_HOME": str(data_home), "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run(
        [sys.executable, "-c", code, *map(str, files)], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.skipif(not shutil.which("make"), reason="no make")
def test_install_desktop_writes_into_xdg_data_home_and_qt_recognises_traces(tmp_path):
    data = tmp_path / "data"
    _make("install-desktop", data, tmp_path)
    e = desktop_entry(data / "applications" / "goroscope.desktop")
    assert e["Exec"] == "goroscope %f"
    assert (data / "mime" / "packages" / "goroscope.xml").read_bytes() == (
        RES / "goroscope.xml"
    ).read_bytes()
    for n in PNG_SIZES:
        assert (data / "icons" / "hicolor" / f"{n}x{n}" / "apps" / "goroscope.png").is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "goroscope.svg").is_file()
    if shutil.which("update-mime-database"):
        assert (data / "mime" / "mime.cache").is_file()
        assert (data / "mime" / "application" / "x-go-trace.xml").is_file()
    if shutil.which("update-desktop-database"):
        cache = (data / "applications" / "mimeinfo.cache").read_text()
        assert f"{MIME_TYPE}=goroscope.desktop;" in cache

    # a real trace under a neutral name is found by its magic (old and new format), a
    # trace.out by name; a text file is not a trace
    work = tmp_path / "files"
    work.mkdir()
    old, new = ROOT / "testdata/traces/go1.21", ROOT / "testdata/traces/go1.27"
    files = []
    for i, src in enumerate((sorted(old.glob("*.trace"))[0], sorted(new.glob("*.trace"))[0])):
        files.append(work / f"capture{i}.bin")
        shutil.copyfile(src, files[-1])
    files.append(work / "trace.out")
    shutil.copyfile(sorted(new.glob("*.trace"))[-1], files[-1])
    files.append(work / "notes.txt")
    files[-1].write_text("go 1. is not how this text starts\n")
    assert _qt_mime_types(data, files) == [MIME_TYPE, MIME_TYPE, MIME_TYPE, "text/plain"]

    # GOROSCOPE_EXEC: a path with a space stays one argument
    _make("install-desktop", data, tmp_path, GOROSCOPE_EXEC="/opt/go tools/goroscope")
    e = desktop_entry(data / "applications" / "goroscope.desktop")
    assert e["Exec"] == '"/opt/go tools/goroscope" %f'

    _make("uninstall-desktop", data, tmp_path)
    left = [p for p in data.rglob("*goroscope*") if p.is_file()]
    assert left == []
    if shutil.which("update-mime-database"):
        assert not (data / "mime" / "application" / "x-go-trace.xml").exists()


# --- the frozen app's numba cache directory ----------------------------------------------------


def _rthook():
    spec = importlib.util.spec_from_file_location("rthook", PACKAGING / "rthook_goroscope.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # not frozen: defines functions, leaves os.environ alone
    return mod


def test_numba_cache_dir_follows_each_platforms_per_user_cache_convention():
    f = _rthook().numba_cache_dir
    home = Path("/home/u")
    # XDG Base Directory spec: $XDG_CACHE_HOME if absolute, else ~/.cache
    assert f({}, "linux", home) == home / ".cache" / "goroscope" / "numba"
    assert f({"XDG_CACHE_HOME": "/c"}, "linux", home) == Path("/c/goroscope/numba")
    assert f({"XDG_CACHE_HOME": "rel"}, "linux", home) == home / ".cache" / "goroscope" / "numba"
    assert f({"XDG_CACHE_HOME": "/c"}, "freebsd14", home) == Path("/c/goroscope/numba")
    # macOS: ~/Library/Caches; Windows: %LOCALAPPDATA%
    assert f({}, "darwin", home) == home / "Library/Caches/Goroscope/numba"
    assert f({"LOCALAPPDATA": "/L"}, "win32", home) == Path("/L/Goroscope/Cache/numba")
    assert f({}, "win32", home) == home / "AppData/Local/Goroscope/Cache/numba"


# --- the spec's exclusions against what the app imports ----------------------------------------


def _spec_constants() -> dict:
    """EXCLUDES and DROP_PREFIXES from packaging/goroscope.spec (plain expressions)."""
    tree = ast.parse((PACKAGING / "goroscope.spec").read_text())
    ns: dict = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id in ("EXCLUDES", "DROP_PREFIXES"):
            exec(compile(ast.Module([node], []), "goroscope.spec", "exec"), ns)
    return ns


@pytest.mark.slow
def test_app_starts_without_the_modules_the_bundle_excludes(tmp_path):
    """Import every goroscope module and open the main window, as the frozen app does, in a
    fresh process where every module the spec excludes fails to import (a build succeeds
    and the bundle fails at start otherwise, as it did with pyqtgraph's QtOpenGL)."""
    excludes = _spec_constants()["EXCLUDES"]
    assert "PySide6.QtWebEngineCore" in excludes  # the list was read
    code = (
        "import importlib, importlib.abc, json, pkgutil, sys\n"
        "EXCLUDED = set(json.loads(sys.argv[1]))\n"
        "class Excluded(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if any(name == x or name.startswith(x + '.') for x in EXCLUDED):\n"
        "            raise ModuleNotFoundError(f'excluded from the bundle: {name}', name=name)\n"
        "sys.meta_path.insert(0, Excluded())\n"
        "import goroscope\n"
        "for m in pkgutil.walk_packages(goroscope.__path__, 'goroscope.'):\n"
        "    importlib.import_module(m.name)\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from goroscope.ui.main_window import MainWindow\n"
        "w = MainWindow()\n"
        "w.show()\n"
        "app.processEvents()\n"
        "print('started')\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, json.dumps(excludes)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)},
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split() == ["started"]
