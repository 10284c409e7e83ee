"""Command line: ``goroscope [TRACE]`` opens the explorer; subcommands work headless.

Importing this module must not import Qt (a test checks it): the GUI is
imported only when a GUI invocation is parsed.

Usage::

    goroscope [--screenshot OUT.png] [TRACE]   # the desktop explorer
    goroscope stats --json FILE...             # event counts (issue: reader 2/2)
    goroscope summary --json FILE...           # goroutine/task/region analysis
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from goroscope import __version__

#: Headless subcommands: name -> (help, function that adds arguments, runner).
_Sub = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
SUBCOMMANDS: dict[str, _Sub] = {}


def subcommand(name: str, help_text: str, add_args: Callable[[argparse.ArgumentParser], None]):
    """Register ``fn(args) -> exit status`` as the headless subcommand ``name``."""

    def register(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        SUBCOMMANDS[name] = (help_text, add_args, fn)
        return fn

    return register


def _gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="goroscope",
        description="Explore Go execution traces. Headless subcommands: "
        + ", ".join(sorted(SUBCOMMANDS))
        + " (goroscope SUBCOMMAND --help).",
    )
    p.add_argument("trace", nargs="?", help="trace file to open (default: a bundled demo trace)")
    p.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help="open TRACE, wait until it is drawn, save a PNG of the window and exit",
    )
    p.add_argument("--version", action="version", version=f"goroscope {__version__}")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``goroscope`` script and ``python -m goroscope``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        name = args[0]
        help_text, add_args, run = SUBCOMMANDS[name]
        p = argparse.ArgumentParser(prog=f"goroscope {name}", description=help_text)
        add_args(p)
        return run(p.parse_args(args[1:]))
    ns = _gui_parser().parse_args(args)
    from goroscope.ui.main import run_gui  # Qt is imported only here.

    return run_gui(ns.trace, screenshot=ns.screenshot)


# --- goroscope stats (issue 4: reader 2/2) ----------------------------------------------------


def _stats_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="Go execution trace(s)")
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line per file (the keys of Go's `tracecount -json -v`)",
    )


def _go_json(obj: object) -> str:
    """JSON as Go's ``encoding/json`` writes it (compact; <, >, & and U+2028/9 escaped)."""
    import json

    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        s = s.replace(ch, esc)
    return s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@subcommand(
    "stats",
    "Count a trace's events exactly as Go's reader sees them (the keys of `tracecount -json -v`). "
    "Exit status 1 if any file is damaged or unreadable.",
    _stats_args,
)
def _run_stats(args: argparse.Namespace) -> int:
    from goroscope.model.stats import stats  # numpy only; no Qt, no numba

    failed = False
    for name in args.files:
        r = stats(name)
        failed = failed or "error" in r
        if args.json:
            print(_go_json(r), flush=True)
        else:
            head = f"{r['file']}: {r.get('version', '?')} events={r['events']}"
            if "generations" in r:
                head += f" syncs={r['generations']} span={r.get('span_ns', 0) / 1e9:.3f}s"
            print(head)
            if "error" in r:
                print(f"  ERROR: {r['error']}")
            for k, v in sorted(r["by_kind"].items(), key=lambda kv: (-kv[1], kv[0])):
                print(f"  {k:<40} {v}")
    return 1 if failed else 0
