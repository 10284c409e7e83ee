"""L4: the desktop explorer — the only package that imports PySide6 or pyqtgraph."""
