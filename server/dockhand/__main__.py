"""`python -m dockhand`: the language server on stdio (or `--tcp HOST:PORT`); `dockhand check PATHS…` lints compose files."""

from __future__ import annotations

import argparse
import logging
import sys

from dockhand import __version__, log, malloc
from dockhand.config import Settings
from dockhand.errors import DiagnosticError


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["check"]:
        from dockhand.check.cli import main as check_main  # the linter never loads the language server

        return check_main(args_in[1:])
    parser = argparse.ArgumentParser(prog="dockhand", description="Dockhand language server for Docker Compose.")
    parser.add_argument("--version", action="version", version=f"dockhand {__version__}")
    parser.add_argument("--stdio", action="store_true", help="talk LSP on stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen for one LSP client on HOST:PORT")
    parser.epilog = "Subcommand: `dockhand check [PATHS…]` checks compose files for CI (see `dockhand check -h`)."
    args = parser.parse_args(args_in)

    try:
        settings = Settings.load()
    except DiagnosticError as err:
        print(f"dockhand: {err.message}\n  fix: {err.remediation}", file=sys.stderr)
        return 2
    log.configure(settings.log_level)
    malloc.limit_arenas()  # before any thread starts: see dockhand/malloc.py

    from dockhand.lsp.app import create_server  # imported late: argument errors stay fast
    from dockhand.observe import heap  # after the imports: tracing them would only slow the start down

    try:
        heap.start_from_environment()
    except DiagnosticError as err:
        print(f"dockhand: {err.message}\n  fix: {err.remediation}", file=sys.stderr)
        return 2

    server = create_server(settings)
    try:
        if args.tcp:
            host, _, port = args.tcp.rpartition(":")
            server.start_tcp(host or "127.0.0.1", int(port))
        else:
            server.start_io()
    except KeyboardInterrupt:  # Ctrl-C on a TCP server is the normal way to stop it
        pass
    logging.getLogger("dockhand").info("server stopped")
    server.arm_exit_watchdog()  # the stream ended: threads still running must not keep the process alive
    return server.exit_code


if __name__ == "__main__":
    sys.exit(main())
