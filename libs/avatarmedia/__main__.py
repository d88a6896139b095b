"""``python -m avatarmedia <command>``: the media engine's command line.

Each command lives in its own module exposing ``register(subparsers)``, which adds a
subparser and sets ``func`` (args -> exit code). Add a module name to ``COMMANDS``
to add a command; a module that is not there yet is skipped.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from avatarmedia.errors import MediaInputError

COMMANDS = ("cli_speech", "cli_render")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m avatarmedia")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"avatarmedia.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"avatarmedia.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except MediaInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
