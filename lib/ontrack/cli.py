"""The `ontrack` command: one subcommand per stage.

Each stage module provides ``add_arguments(parser)`` and ``run(args) -> int``. Only the module of
the command being run is imported, so `ontrack --help` and light commands start fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import select
import sys

from . import __version__
from .errors import WRITE_ERRNOS, OntrackError, io_problem
from .project import NotAProject, find_project

#: command → (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("ontrack.init", "make a project folder (--example: with the bundled example plans)"),
    "targets": ("ontrack.targets", "read and check every plan into data/processed/targets.csv"),
    "template": (
        "ontrack.progress.template",
        "write a fill-in progress workbook",
    ),
    "demo": ("ontrack.progress.demo", "generate the illustrative (示例数据) progress reports"),
    "ingest": (
        "ontrack.progress.ingest",
        "read progress spreadsheets into progress.csv",
    ),
    "build": (
        "ontrack.build",
        "rebuild the targets and progress tables whose inputs, code or libraries changed",
    ),
    "forecast": ("ontrack.forecast.cli", "probability that each target is met (attainment table)"),
    "backtest": (
        "ontrack.forecast.backtest",
        "rolling-origin evaluation vs baselines",
    ),
    "render": ("ontrack.render.single", "render one briefing to HTML/PDF"),
    "render-all": ("ontrack.render.batch", "render every region's briefing (for cron)"),
    "lab": (
        "ontrack.launch",
        "JupyterLab on the project's notebooks (--app: the scenario lab page)",
    ),
}


PROJECT_HELP = (
    "the project folder (default: $ONTRACK_PROJECT, else the nearest ontrack.toml above the "
    "current folder)"
)


def build_parser(command: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ontrack", description=__doc__.splitlines()[0])

    parser.add_argument("--version", action="version", version=f"ontrack {__version__}")
    parser.add_argument("--project", default=None, metavar="DIR", help=PROJECT_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        if name != "init":
            # also after the command; SUPPRESS keeps a --project given before it
            p.add_argument("--project", default=argparse.SUPPRESS, metavar="DIR", help=PROJECT_HELP)
        if name == command:
            importlib.import_module(module).add_arguments(p)
    return parser


def _command(argv: list[str]) -> str | None:
    """The command word of ``argv``: the first word that is neither an option nor the value of
    a ``--project DIR`` given before the command."""
    words = iter(argv)
    for a in words:
        if a == "--project":
            next(words, None)
        elif not a.startswith("-"):
            return a
    return None


#: Optional packages a command's own process does without, because importing them costs seconds
#: and nothing the commands do uses them. ``rfc3987_syntax``: jsonschema (imported by nbformat,
#: papermill and nbconvert) imports it when installed (JupyterLab's ``jsonschema[format-nongpl]``
#: brings it), and it builds some 35 Earley parsers at import, 1.2-2 s of every command that
#: reads or writes a notebook (python-jsonschema/jsonschema#1428). Only the ``iri`` formats of
#: jsonschema's format checker need it; no schema a command validates uses them. A ``None`` in
#: ``sys.modules`` makes ``import`` raise ImportError, which jsonschema expects of an optional
#: package. The command's process only: never set by ``import ontrack``.
SKIPPED_IMPORTS = ("rfc3987_syntax",)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for name in SKIPPED_IMPORTS:
        sys.modules.setdefault(name, None)
    command = _command(argv)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        code = int(importlib.import_module(COMMANDS[args.command][0]).run(args) or 0)
        sys.stdout.flush()
        return code
    except OntrackError as exc:
        print(f"ontrack {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        if not _stdout_closed():
            raise
        # whoever read the output stopped reading (`ontrack ingest | head`): no traceback, and
        # nothing more is written there (Python would try again at exit)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a command ended by SIGPIPE
    except OSError as exc:
        if exc.errno not in WRITE_ERRNOS:
            raise
        # a read-only or full folder: one line naming the file, no traceback
        print(f"ontrack {args.command}: error: {io_problem(exc, _relative(args))}", file=sys.stderr)
        return 2


def _relative(args: argparse.Namespace):
    """The project's path-in-project function for messages, or None outside a project."""
    try:
        return find_project(getattr(args, "project", None)).relative
    except (NotAProject, OntrackError, OSError):
        return None


def _stdout_closed() -> bool:
    """Whether standard output is a pipe nobody reads any more (not some other broken pipe)."""
    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & select.POLLERR for _, ev in poll.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), or no real stdout
        return False


if __name__ == "__main__":
    sys.exit(main())
