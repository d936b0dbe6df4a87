"""`target-freshbooks`: the Singer target, plus the `authorize`, `replay`, `audit` and `reconcile` commands."""

from __future__ import annotations

import sys

from target_freshbooks.errors import TargetError

SUBCOMMANDS = ("authorize", "replay", "audit", "reconcile")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in SUBCOMMANDS:
            from target_freshbooks.commands import register

            register().main(args=args, prog_name="target-freshbooks")
        else:
            from target_freshbooks.target import TargetFreshBooks

            TargetFreshBooks.cli.main(args=args, prog_name="target-freshbooks")
    except TargetError as exc:
        print(f"target-freshbooks: error: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
