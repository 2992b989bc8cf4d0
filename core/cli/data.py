"""``routellm data``: get the public data (fetch, build), check it (verify), find it (where)."""

from __future__ import annotations

import argparse
import sys

from ..data.files import DATA_ENV, find_data_dir, user_data_dir
from ._args import add_command

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(sub, "data")
    dsub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND")

    def sources_arg(q: argparse.ArgumentParser) -> None:
        q.add_argument("--source", action="append", default=None, metavar="NAME",
                       help="only this source (repeatable; default: all; `routellm data where` "
                       "lists them)")

    f = dsub.add_parser("fetch", help="download the upstream files (resumable, SHA-256 checked)",
                        description="Download the upstream files at their pinned commits into "
                        "<user cache>/upstream. A broken download resumes where it stopped when "
                        "the command is run again.")
    sources_arg(f)
    f.add_argument("--dest", default=None, help="folder for the upstream files "
                   "(default: <user cache>/upstream)")
    f.add_argument("--mirror", default=None, metavar="URL",
                   help="replaces https://raw.githubusercontent.com in every URL "
                   "(default: $ROUTELLM_DATA_MIRROR)")
    f.add_argument("--no-progress", action="store_true", help="no progress bars")
    f.set_defaults(func=_fetch)

    b = dsub.add_parser("build", help="write the extracts the project reads from the fetched files",
                        description="Write the extracts from the fetched upstream files into "
                        "<user cache>/data, where the data lookup finds them.")
    sources_arg(b)
    b.add_argument("--upstream", default=None, help="folder of the fetched files "
                   "(default: <user cache>/upstream)")
    b.add_argument("--out", default=None, help="folder for the extracts (default: <user cache>/data)")
    b.set_defaults(func=_build)

    v = dsub.add_parser("verify", help="compare a data folder with the pinned SHA-256 of every file",
                        description="Compare a data folder with the SHA-256 of every extract file "
                        "(a manifest shipped in the package). Exit status 1 when a file differs "
                        "or is missing.")
    sources_arg(v)
    v.add_argument("folder", nargs="?", default=None,
                   help="the folder (default: the one the data lookup finds)")
    v.set_defaults(func=_verify)

    w = dsub.add_parser("where", help="say which data folder is read and why",
                        description="Print the data folder the commands read, the rule that chose "
                        "it, and every place looked at. Order: --data-dir, $ROUTELLM_DATA_DIR, "
                        "../shared/data beside the checkout, the user cache.")
    w.add_argument("--data-dir", default=None, help="as the other commands' --data-dir")
    w.set_defaults(func=_where)
    p.set_defaults(func=lambda args: _help(p))


def _help(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def _fetch(args: argparse.Namespace) -> int:
    from ..data.fetch import fetch, upstream_dir

    got = fetch(args.source, args.dest, mirror=args.mirror, progress=not args.no_progress)
    n = sum(len(v) for v in got.values())
    print(f"fetched {n} file(s) of {len(got)} source(s) into {args.dest or upstream_dir()}; "
          "next: routellm data build")
    return 0


def _build(args: argparse.Namespace) -> int:
    from ..data.fetch import build

    build(args.source, args.upstream, args.out)
    print(f"extracts in {args.out or user_data_dir()}; check them: routellm data verify"
          + (f" {args.out}" if args.out else ""))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from ..data.fetch import verify
    from ..data.files import resolve_data_dir

    folder = args.folder if args.folder is not None else resolve_data_dir()
    report = verify(folder, args.source)
    print("\n".join(report.lines()))
    print("verify: " + ("ok" if report.passed else "FAILED"))
    return 0 if report.passed else 1


def _where(args: argparse.Namespace) -> int:
    from ..data.fetch import UPSTREAM

    choice = find_data_dir(args.data_dir)
    if choice.path is None:
        print("no data folder found", file=sys.stdout)
    else:
        print(f"data: {choice.path}")
        print(f"why: {choice.reason}")
    for path, why in choice.tried:
        print(f"  skipped {path}: {why}")
    print(f"lookup order: --data-dir, ${DATA_ENV}, ../shared/data beside the checkout, "
          f"the user cache ({user_data_dir()})")
    print("sources: " + ", ".join(UPSTREAM))
    if choice.path is None:
        print("get it: routellm data fetch && routellm data build")
        return 1
    return 0
