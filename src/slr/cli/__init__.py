"""The ``slr`` command line: ``run``, ``harvest``, ``import``, ``status`` and the screening,
comparison and audit verbs.

Every failure exits non-zero with one line on stderr saying what went wrong (``--debug`` shows
the traceback). Each verb imports what it needs when it runs, so that ``slr --help`` is quick.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from slr.cli.parser import build_parser
from slr.errors import SlrError


def _one_line(e: BaseException) -> str:
    return " ".join(line.strip() for line in str(e).splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="slr: %(levelname)s: %(message)s",
    )
    try:
        return args.func(args)
    except SlrError as e:
        if args.debug:
            raise
        sys.stderr.write(f"slr: error: {_one_line(e)}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("slr: interrupted; saved pages and tables are kept\n")
        return 130
    except Exception as e:  # an unexpected failure still ends in one line and a non-zero code
        if args.debug:
            raise
        sys.stderr.write(
            f"slr: internal error: {type(e).__name__}: {_one_line(e)} (rerun with --debug)\n"
        )
        return 2
