"""The console scripts' entry point: `pk --version` and the plain daily view answer before
the CLI framework loads.

Importing Typer (and the click inside it) is most of the time any `pk` command takes, and
printing the version needs none of it; nor does `pk today` in its plain forms (face.daily,
the same function the app's `today` runs), nor `pk promise`, `keep`, `list` and `remind` in
theirs (face.fast, over the functions their commands call). Everything else goes to cli.main
unchanged.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point (`pk`, `promisekeeper`, `python -m promisekeeper`)."""
    _degrade_output_encoding()
    for number, arg in enumerate(sys.argv[1:], 1):
        if any("\udc80" <= ch <= "\udcff" for ch in arg):
            # Bytes that are not UTF-8 reach Python as lone surrogates (surrogateescape):
            # they cannot be stored, shown or compared as text.
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            sys.stderr.write(f'pk: argument {number} is not valid UTF-8 text: "{shown[:60]}"\n')
            raise SystemExit(1)
    if sys.argv[1:] == ["--version"]:
        from promisekeeper import version  # the installed package's metadata

        try:
            sys.stdout.write(f"pk (PromiseKeeper) {version()}\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # As in cli.main: a reader that went away is not an error worth a traceback.
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return
    from promisekeeper.face.daily import fast_today

    fast_today(sys.argv[1:])  # ends the process when it answers
    from promisekeeper.face.fast import fast_command

    fast_command(sys.argv[1:])  # promise, keep, list, remind: likewise
    from promisekeeper.face.cli import main as cli_main

    cli_main()


def _degrade_output_encoding() -> None:
    """Output in an encoding that cannot hold all text (`PYTHONIOENCODING=ascii`, a C locale
    without UTF-8) shows what it cannot encode as visible escapes (`\\u2192`) instead of
    failing half-way through."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding in ("utf8", "utf_8") or not hasattr(stream, "reconfigure"):
            continue
        try:
            stream.reconfigure(errors="backslashreplace")
        except (ValueError, OSError):
            pass
