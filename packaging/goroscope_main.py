"""Entry script of the frozen app: the same ``goroscope`` command as the console script.

PyInstaller analyses this file; everything it needs is reached from :func:`goroscope.cli.main`
(plus the dynamically imported modules the spec lists). ``NUMBA_CACHE_DIR`` is already set by
the runtime hook ``rthook_goroscope.py`` before this runs.
"""

import sys

from goroscope.cli import main

if __name__ == "__main__":
    sys.exit(main())
