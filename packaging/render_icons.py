# ruff: noqa: T201 (a command-line script: it reports on stdout)
"""Render the Goroscope SVG icon to the PNG sizes of the hicolor icon theme.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py

Reads resources/icons/hicolor/scalable/apps/goroscope.svg and writes
resources/icons/hicolor/<N>x<N>/apps/goroscope.png for N in SIZES (committed; run again after
editing the SVG). macOS/Windows icons are made from these PNGs (README "Packaging").
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HICOLOR = ROOT / "resources" / "icons" / "hicolor"
SVG = HICOLOR / "scalable" / "apps" / "goroscope.svg"
#: Sizes desktops look up in hicolor (16 menus … 256 large views; 512 for macOS icns).
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int) -> QImage:
    """The SVG drawn antialiased into a transparent ``size``×``size`` image."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG")
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(p, QRectF(0, 0, size, size))
    p.end()
    return img


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for n in SIZES:
        out = HICOLOR / f"{n}x{n}" / "apps" / "goroscope.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        if not render(SVG, n).save(str(out), "PNG"):
            raise OSError(f"cannot write {out}")
        print(out.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
