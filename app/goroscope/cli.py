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
            print(_go_json_value(r), flush=True)
        else:
            head = f"{r['file']}: {r.get('version', '?')} events={r['events']}"
            if "generations" in r:
                head += f" syncs={r['generations']} span={r.get('span_ns', 0) / 1e9:.3f}s"
            print(head)
            if "error" in r:
                print(f"  ERROR: {r['error']}")
            if r.get("lost"):
                lost = r["lost"]
                print(f"  LOST: from generation {lost['generation']} (byte {lost['start']}): "
                      f"{lost['bytes']} bytes, {lost['share']:.1%} of the file")  # fmt: skip
            for k, v in sorted(r["by_kind"].items(), key=lambda kv: (-kv[1], kv[0])):
                print(f"  {k:<40} {v}")
    return 1 if failed else 0


# --- goroscope summary / profile (issue 5: analyses) ------------------------------------------


def _go_float(f: float) -> str:
    """A float64 as Go's ``encoding/json`` writes it (shortest digits; ``1`` not ``1.0``)."""
    from decimal import Decimal

    if f != f or f in (float("inf"), float("-inf")):
        return "null"
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        mant, _, exp = repr(f).partition("e")
        exp_i = int(exp)
        return f"{mant}e{'-' if exp_i < 0 else '+'}{abs(exp_i):02d}".replace("e-0", "e-")
    s = format(Decimal(repr(f)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _go_json_value(v: object) -> str:
    from goroscope.model.stats import go_json_text

    if isinstance(v, dict):
        items = ((go_json_text(str(k)), x) for k, x in v.items())
        merged: dict[str, object] = {}
        for k, x in items:  # invalid bytes may merge keys, as in Go's map of strings
            merged[k] = x
        return "{" + ",".join(f"{_go_json(k)}:{_go_json_value(x)}" for k, x in merged.items()) + "}"
    if isinstance(v, float):
        return _go_float(v)
    if isinstance(v, str):
        return _go_json(go_json_text(v))
    return _go_json(v)


def _summary_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="Go execution trace(s)")
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line per file (the keys of `tracecount -summary`)",
    )


@subcommand(
    "summary",
    "Goroutine, task, region and MMU analysis as Go's internal/trace computes it (the keys "
    "of `tracecount -summary`). Exit status 1 if any file is damaged or unreadable.",
    _summary_args,
)
def _run_summary(args: argparse.Namespace) -> int:
    # numpy only; no Qt, no numba at import
    from goroscope.analysis.summary import Analysis, summary, summary_of
    from goroscope.format.errors import TraceFormatError

    failed = False
    for name in args.files:
        try:
            r = summary(name)
        except TraceFormatError as e:  # the analysis refused the trace: an error like stats'
            r = summary_of(Analysis(file=name, error=str(e), header_error=True))
        failed = failed or "error" in r
        if args.json:
            print(_go_json_value(r), flush=True)
            continue
        print(f"{r['file']}: events={r['events']} goroutines={r['goroutines']} tasks={r['tasks']}")
        if "error" in r:
            print(f"  ERROR: {r['error']}")
        for k, v in sorted(r["totals_ns"].items(), key=lambda kv: -kv[1]):
            print(f"  {k:<40} {v / 1e6:14.3f} ms")
        for k, v in r["mmu"].items():
            print(f"  MMU {k:<36} {v:.6f}")
    return 1 if failed else 0


def _profile_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", metavar="TRACE", help="Go execution trace")
    p.add_argument(
        "--type",
        required=True,
        choices=("net", "sync", "syscall", "sched", "cpu"),
        help="blocking profile as `go tool trace -pprof=TYPE`, or cpu (StackSample events)",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="gzipped pprof output")
    p.add_argument(
        "--go",
        default="1.27",
        metavar="1.N",
        help="follow `go tool trace` of this Go version (<= 1.25 skips stackless events)",
    )
    p.add_argument("--goroutine", type=int, help="cpu only: samples of this goroutine")
    p.add_argument(
        "--start-ns", type=int, help="samples at or after this time (blocking: overlap with it)"
    )
    p.add_argument("--end-ns", type=int, help="samples before this time (blocking: overlap)")
    p.add_argument(
        "--name",
        metavar="FUNC",
        help="blocking only: goroutines of this start function (go tool trace's /block?name=)",
    )
    p.add_argument(
        "--region",
        metavar="TYPE",
        help="blocking only: time inside regions of this type (go tool trace's /regionblock?type=)",
    )


@subcommand(
    "profile",
    "Write a pprof profile (gzipped protobuf, for `go tool pprof`) of a trace: the blocking "
    "profiles of `go tool trace -pprof=net|sync|syscall|sched`, or CPU samples.",
    _profile_args,
)
def _run_profile(args: argparse.Namespace) -> int:
    from goroscope.format.errors import TraceFormatError

    minor = int(args.go.split(".")[1]) if "." in args.go else int(args.go)
    try:
        return _profile(args, minor)
    except TraceFormatError as e:  # the analysis refused the trace (message, offset, gen)
        print(f"goroscope profile: {args.trace}: {e}", file=sys.stderr)
        return 1


def _profile(args: argparse.Namespace, minor: int) -> int:
    from goroscope.analysis.summary import analyze
    from goroscope.export.pprof import write_records

    a = analyze(args.trace, profiles=(args.type,), profile_tool_minor=minor)
    if a.header_error:
        print(f"goroscope profile: {a.error}", file=sys.stderr)
        return 1
    if args.type == "cpu" and (args.goroutine, args.start_ns, args.end_ns) != (None, None, None):
        records = a.collector.cpu_records(args.goroutine, args.start_ns, args.end_ns)
    elif args.type != "cpu" and (args.name, args.region, args.start_ns, args.end_ns) != (
        (None,) * 4
    ):
        from goroscope.analysis import profiles as P

        try:
            if args.region is not None:
                iv = P.region_intervals(a, args.region)
            elif args.start_ns is not None or args.end_ns is not None:
                lo = a.first_ns if args.start_ns is None else args.start_ns
                hi = a.last_ns if args.end_ns is None else args.end_ns
                iv = P.time_intervals(a, lo, hi, args.name)
            else:
                iv = P.goroutine_intervals(a, args.name)
        except ValueError as e:
            print(f"goroscope profile: {e}", file=sys.stderr)
            return 1
        records = P.filtered_blocking_profile(a, args.type, iv)
    else:
        records = a.profiles[args.type]
    write_records(args.output, records, args.type)
    if a.error is not None:
        print(
            f"goroscope profile: {args.trace}: {a.error} (profile of the events before it)",
            file=sys.stderr,
        )
        return 1
    return 0
