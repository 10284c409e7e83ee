"""``python -m goroscope`` — the same entry point as the ``goroscope`` script."""

from __future__ import annotations

import sys

from goroscope.cli import main

if __name__ == "__main__":
    sys.exit(main())
