"""``ontrack lab [--app]``: JupyterLab (or the scenario lab as a page, with Voilà) on a project.

Listens on this machine only (127.0.0.1) and prints its address with the token, as JupyterLab
does (the lab page with Voilà too). Kernels never import from the project's folders
(``PYTHONSAFEPATH``: a module planted in notebooks/ is not imported). As root (the README's
setup user) JupyterLab refuses to start without ``--allow-root``: it is given only then, with
``--no-browser`` (no browser runs as root here). The notebooks are the project's own
``notebooks/``; a project made by ``ontrack init`` has none, so the suite's exploration
notebooks (01, 02, 03, 05) are copied there first, never over a file already there. The
briefing notebook (04) is not copied: ``ontrack render`` would then use that copy instead of
the suite's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from .project import Project, find_project, packaged

#: The notebooks a researcher explores (copied into a project that has none).
EXPLORATION = (
    "01_targets.ipynb",
    "02_progress.ipynb",
    "03_forecast.ipynb",
    "05_scenario_lab.ipynb",
    "05_scenario_lab_app.ipynb",
)
APP_NOTEBOOK = "05_scenario_lab_app.ipynb"


def root_flags(euid: int | None = None) -> list[str]:
    """The flags a server needs as root: JupyterLab's --allow-root, and no browser."""
    if euid is None:
        euid = os.geteuid() if hasattr(os, "geteuid") else 1  # Windows: never root
    return ["--allow-root", "--no-browser"] if euid == 0 else []


#: the suite's Jupyter data folder (its Voilà template): put on JUPYTER_PATH by :func:`environment`
JUPYTER_DATA = Path(__file__).resolve().parent / "lab" / "jupyter"


#: no MathJax address for the pages the server's Voilà renders (its default is a CDN)
OFFLINE_MATHJAX = '--ServerApp.tornado_settings={"mathjax_url": ""}'


def ensure_notebooks(project: Project) -> list[Path]:
    """Copy the exploration notebooks the project lacks into its notebooks/; return those
    copied."""
    copied = []
    for name in EXPLORATION:
        dest = project.notebooks_dir / name
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(packaged("notebooks") / name, dest)
            copied.append(dest)
    return copied


def command(project: Project, app: bool = False, port: int = 0, euid: int | None = None) -> list:
    """The command line that serves the project's notebooks (or the lab page) on 127.0.0.1."""
    bindir = Path(sys.executable).parent
    flags = root_flags(euid)
    if app:
        # with a token, as JupyterLab: a page without code still runs a kernel on this machine
        cmd = [str(bindir / "voila"), "--Voila.ip=127.0.0.1", f"--port={port or 8866}", "--token"]
        cmd += ["--template=ontrack"]  # offline: lab/jupyter/voila/templates/ontrack
        cmd += [f for f in flags if f == "--no-browser"]
        return [*cmd, str(project.notebooks_dir / APP_NOTEBOOK)]
    cmd = [str(bindir / "jupyter"), "lab", "--ip=127.0.0.1", f"--port={port or 8888}", *flags]
    # its Voilà preview offline too: the suite's template, no MathJax from a CDN (JupyterLab's
    # own MathJax is bundled)
    cmd += ["--VoilaConfiguration.template=ontrack", OFFLINE_MATHJAX]
    return [*cmd, str(project.notebooks_dir)]


def environment(project: Project, base: dict | None = None) -> dict[str, str]:
    """The environment the servers (and so their kernels) run in: the project, and
    ``PYTHONSAFEPATH`` so that a kernel never imports from the notebooks' folder (a pandas.py or
    ontrack.py planted in the project's notebooks/ would otherwise run; Python 3.11 and later)."""
    env = dict(os.environ if base is None else base)
    env.update(ONTRACK_PROJECT=str(project.root), PYTHONSAFEPATH="1")
    # the suite's Voilà template (no CDN), found before the others on JUPYTER_PATH
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(JUPYTER_DATA), env.get("JUPYTER_PATH", "")) if p
    )
    return env


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--app", action="store_true", help="the scenario lab as a page without code (Voilà)"
    )
    p.add_argument("--port", type=int, default=0, help="port (default 8888, or 8866 with --app)")


def run(args: argparse.Namespace) -> int:
    project = find_project(args.project)
    for path in ensure_notebooks(project):
        print(f"copied {project.relative(path)} (the suite's notebook, yours to change)")
    cmd = command(project, app=args.app, port=args.port)
    env = environment(project)
    print(" ".join(cmd), flush=True)
    os.execve(cmd[0], cmd, env)  # the server takes this process over (Ctrl-C stops it)
    return 0  # pragma: no cover
