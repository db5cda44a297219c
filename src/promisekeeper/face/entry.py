"""The console scripts' entry point: `pk --version` answers before the CLI framework loads.

Importing Typer (and the click inside it) is most of the time any `pk` command takes, and
printing the version needs none of it. Everything else goes to cli.main unchanged.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point (`pk`, `promisekeeper`, `python -m promisekeeper`)."""
    if sys.argv[1:] == ["--version"]:
        from promisekeeper import __version__

        try:
            sys.stdout.write(f"pk (PromiseKeeper) {__version__}\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # As in cli.main: a reader that went away is not an error worth a traceback.
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return
    from promisekeeper.face.cli import main as cli_main

    cli_main()
