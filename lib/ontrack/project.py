"""Projects: the folder a command works on, and every path inside it.

A project is a folder with an ``ontrack.toml`` at its root (``ontrack init DIR`` makes one).
Commands find it from ``--project DIR``, else the ``ONTRACK_PROJECT`` variable, else the nearest
``ontrack.toml`` above the current folder; outside a project they stop with a message that
suggests ``ontrack init``. Nothing is ever written outside the project. Layout:
docs/data-contracts.md (*Projects and plans as data*).

The suite's own notebooks and the example plans ship inside the package
(:func:`packaged`); a project may keep its own ``notebooks/`` to override them.
"""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, OntrackError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG = "ontrack.toml"
ENV_VAR = "ONTRACK_PROJECT"
LANGS = ("zh", "en")
_SETTINGS = {"name": str, "lang": str, "render": dict}
_RENDER_SETTINGS = {"plans": list}


class NotAProject(OntrackError):
    """No project could be found (or the one named has no ontrack.toml)."""


def packaged(name: str) -> Path:
    """A folder that ships with the suite: ``notebooks`` or ``example`` (the example project's
    data/raw). Inside an installed wheel it is ``ontrack/<name>``; in a source checkout
    (an editable install) it is the checkout's ``notebooks/`` or ``data/raw/``."""
    inside = Path(__file__).resolve().parent / name
    if inside.is_dir():
        return inside
    checkout = Path(__file__).resolve().parents[2]
    return checkout / {"notebooks": "notebooks", "example": "data/raw"}[name]


@dataclass
class Project:
    """A project folder and its settings (``ontrack.toml``)."""

    root: Path
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self._registry = None
        self._registry_stamp: tuple | None = None

    # ---------------------------------------------------------------- settings
    @property
    def name(self) -> str:
        return str(self.settings.get("name") or self.root.name)

    @property
    def lang(self) -> str:
        return str(self.settings.get("lang") or "zh")

    @property
    def render_plans(self) -> list[str]:
        """Plans ``render-all`` renders: those ontrack.toml names, else every plan."""
        named = list(self.settings.get("render", {}).get("plans") or [])
        return named or list(self.registry().plans)

    # ---------------------------------------------------------------- paths
    @property
    def config(self) -> Path:
        return self.root / CONFIG

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def plans_dir(self) -> Path:
        return self.raw / "plans"

    @property
    def progress_dir(self) -> Path:
        return self.raw / "progress"

    @property
    def scenarios_dir(self) -> Path:
        return self.raw / "scenarios"

    @property
    def indicators_csv(self) -> Path:
        return self.raw / "indicators.csv"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def targets_csv(self) -> Path:
        return self.processed / "targets.csv"

    @property
    def progress_csv(self) -> Path:
        return self.processed / "progress.csv"

    @property
    def cleaning_log_csv(self) -> Path:
        return self.processed / "cleaning_log.csv"

    @property
    def quality_csv(self) -> Path:
        return self.processed / "quality_report.csv"

    @property
    def forecast_dir(self) -> Path:
        """Where ``ontrack forecast`` writes its tables (attainment.csv, trajectories.csv …)."""
        return self.processed

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    def notebook(self, name: str) -> Path:
        """The project's own copy of a suite notebook if it keeps one, else the packaged one."""
        own = self.notebooks_dir / name
        return own if own.is_file() else packaged("notebooks") / name

    def relative(self, path: Path | str) -> str:
        """``path`` relative to the project root where it is inside (for messages and sources)."""
        p = Path(path)
        try:
            return p.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(p)

    def output_path(
        self, given: str | os.PathLike | None, default: Path, option: str, raw_ok: bool = False
    ) -> Path:
        """Where a command writes: ``given`` (as typed: relative to the current folder, ``..``
        and symbolic links resolved) or ``default``. InputError naming ``option`` when it is
        outside the project (a command writes nothing anywhere else) or, unless ``raw_ok``,
        inside data/raw (the inputs as received: a derived table there would be read as a
        report at the next ingest)."""
        out = Path(given).expanduser() if given else Path(default)
        if not self.contains(out):
            raise InputError(
                option,
                f"{out} is outside the project {self.root}",
                "a path inside the project (commands write nothing outside it)",
            )
        if not raw_ok and (out.resolve() == self.raw.resolve() or self.raw.resolve() in
                           out.resolve().parents):  # fmt: skip
            raise InputError(
                option,
                f"{out} is inside data/raw (the inputs as received, never written by a command)",
                "a path under data/processed or reports",
            )
        return out

    def contains(self, path: Path | str) -> bool:
        """True when ``path`` (symlinks resolved) is inside the project."""
        try:
            Path(path).resolve().relative_to(self.root)
        except ValueError:
            return False
        return True

    # ---------------------------------------------------------------- ids
    def registry(self):
        """The project's :class:`~ontrack.registry.Registry` (read again when a file changed)."""
        from .plans.folder import load_registry

        stamp = _stamp(self.raw)
        if self._registry is None or stamp != self._registry_stamp:
            order = list(self.settings.get("render", {}).get("plans") or [])
            self._registry = load_registry(self.raw, order)
            self._registry_stamp = stamp
        return self._registry

    def default_plan(self) -> str:
        """The first plan ``render-all`` renders."""
        plans = self.render_plans
        if not plans:
            raise InputError(
                str(self.plans_dir),
                "the project has no plan yet",
                "a plan folder (see the project's README.md, 'Add your own plan')",
            )
        return plans[0]


def _stamp(raw: Path) -> tuple:
    """Modification times of the files the registry is read from."""
    files = [raw / "indicators.csv"]
    plans = raw / "plans"
    if plans.is_dir():
        files += sorted(plans.glob("*/plan.yml")) + sorted(plans.glob("*/regions.csv"))
        files += sorted(plans.glob("*.targets.csv"))
    out = []
    for f in files:
        try:
            out.append((str(f), f.stat().st_mtime_ns))
        except OSError:
            continue
    return tuple(out)


def read_settings(config: Path) -> dict[str, Any]:
    """ontrack.toml, checked: unknown keys and wrong types are errors naming the key."""
    try:
        settings = tomllib.loads(config.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(str(config), f"not UTF-8 text ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(config), f"not valid TOML ({exc})", "key = value lines") from None
    problems: list[str] = []

    def check(table: dict, allowed: dict, prefix: str) -> None:
        for key, value in table.items():
            if key not in allowed:
                near = difflib.get_close_matches(key, list(allowed), 1)
                hint = f" (did you mean {prefix + near[0]!r}?)" if near else ""
                problems.append(f"unknown setting {prefix + key!r}{hint}")
            elif not isinstance(value, allowed[key]):
                problems.append(f"{prefix + key!r} should be a {allowed[key].__name__}")

    check(settings, _SETTINGS, "")
    render = settings.get("render", {})
    if isinstance(render, dict):
        check(render, _RENDER_SETTINGS, "render.")
        plans = render.get("plans", [])
        if isinstance(plans, list) and not all(isinstance(p, str) for p in plans):
            problems.append("'render.plans' should be a list of plan ids")
    if settings.get("lang", "zh") not in LANGS:
        problems.append(f"'lang' is {settings['lang']!r}; it should be zh or en")
    if problems:
        raise InputError(str(config), "; ".join(problems))
    return settings


def open_project(root: Path | str) -> Project:
    """The project at ``root`` (which must hold an ontrack.toml)."""
    root = Path(root).expanduser()
    config = root / CONFIG
    if not config.is_file():
        raise NotAProject(
            f"{root}: not an ontrack project (no {CONFIG} there). "
            f"Make one with `ontrack init {root}`.\n"
            f"{root}：不是 ontrack 项目（缺少 {CONFIG}），可用 `ontrack init {root}` 新建。"
        )
    return Project(root, read_settings(config))


def find_project(
    explicit: Path | str | None = None,
    cwd: Path | str | None = None,
    environ: dict[str, str] | None = None,
) -> Project:
    """The project of a command: ``explicit`` (--project), else $ONTRACK_PROJECT, else the
    nearest folder at or above ``cwd`` holding an ontrack.toml."""
    environ = os.environ if environ is None else environ
    if explicit:
        return open_project(explicit)
    if environ.get(ENV_VAR):
        return open_project(environ[ENV_VAR])
    here = Path(cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG).is_file():
            return open_project(folder)
    raise NotAProject(
        f"no ontrack project here: {here} and the folders above it hold no {CONFIG}.\n"
        "  Make one:        ontrack init my-project --example   (then cd my-project)\n"
        f"  or point to one: --project DIR, or set {ENV_VAR}=DIR\n"
        f"此处不是 ontrack 项目（本文件夹及上级均无 {CONFIG}）。"
        "新建项目：ontrack init 项目文件夹 --example"
    )
