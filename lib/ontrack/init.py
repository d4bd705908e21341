"""``ontrack init DIR [--example]``: make a project folder.

The folder gets an ``ontrack.toml``, a README (Chinese first) saying what goes where, and the
layout of docs/data-contracts.md (*Projects and plans as data*). ``--example`` adds the bundled
example plans (平阳县, 鹿城区 and the city plan), their indicators and the illustrative (示例数据)
progress reports, so that ``ontrack render`` works at once.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from .errors import InputError
from .fileio import write_text
from .project import CONFIG, packaged

#: What ``--example`` copies from the packaged example (paths relative to data/raw).
EXAMPLE_FILES = (
    "README.md",
    "indicators.csv",
    "plans",
    "progress/demo",
    "scenarios",
)
EXAMPLE_PLANS = ("pingyang-2025-2027", "lucheng-2025-2027")

_GITIGNORE = """\
# Derived: rebuilt from data/raw by `ontrack targets`, `ontrack ingest`, `ontrack render`.
data/processed/
reports/
.ipynb_checkpoints/
"""


def _toml(name: str, plans: tuple[str, ...]) -> str:
    listed = ", ".join(f'"{p}"' for p in plans)
    return f"""\
# ontrack project settings (ontrack 项目设置). Every ontrack command run in this folder or
# below it works on this project; `--project DIR` or ONTRACK_PROJECT=DIR point elsewhere.
name = "{name}"
lang = "zh"              # briefing language: zh or en

[render]
# Plans whose regions `ontrack render-all` renders, in this order (empty: every plan).
plans = [{listed}]
"""


_README = """\
# {name}

这是一个 ontrack 项目：跟踪“大孵化器集群建设行动计划”各项目标的完成进度。

## 文件放在哪里

| 位置 | 放什么 |
|---|---|
| `data/raw/plans/<计划编号>/` | 一个计划一个文件夹：`plan.yml`（计划名称、地区、年份）、\
`regions.csv`（地区及上下级）、`targets.csv` 或 `targets.xlsx`（各项目标），可附公开文件原文 |
| `data/raw/indicators.csv` | 五项核心指标以外的指标（可选） |
| `data/raw/progress/` | 各单位报送的进度表，原样存放，不要修改 |
| `data/raw/scenarios/` | 情景设定（YAML） |
| `data/processed/` | 程序生成的数据表，可随时重建，不要手工修改 |
| `reports/` | 生成的简报（HTML、PDF） |

`data/raw/` 里的文件只读：程序从不改写，要更正请另交一份新表并说明原因。

## 常用命令（在本文件夹内运行）

```bash
ontrack targets                 # 读取并检查各计划的目标 → data/processed/targets.csv
ontrack ingest 进度表.xlsx       # 加入一份进度表并重建 → data/processed/progress.csv
ontrack forecast                # 计算完成概率 → data/processed/attainment.csv
ontrack render --plan 计划编号 --region 地区编号   # 生成一份简报 → reports/
ontrack render-all              # 生成全部地区的简报（可放入 cron 定时运行）
ontrack template --plan 计划编号 --year 2026      # 生成供各单位填报的进度表模板
```

计划文件夹的格式与示例见 `data/raw/plans/README.md`{plans_readme_note}。

---

# {name} (English)

An ontrack project: it tracks the targets of incubator-cluster action plans.

- `data/raw/plans/<plan_id>/`: one folder per plan: `plan.yml` (name, region, years),
  `regions.csv` (regions and their parents), `targets.csv` or `targets.xlsx` (the targets),
  optionally the published document.
- `data/raw/indicators.csv`: indicators beyond the five core ones (optional).
- `data/raw/progress/`: monitoring reports exactly as received (read-only).
- `data/raw/scenarios/`: scenario YAML files.
- `data/processed/`: derived tables (rebuilt by the commands above); `reports/`: briefings.

Run the commands above in this folder (or pass `--project DIR`). The plan folder format:
`data/raw/plans/README.md`{plans_readme_note_en}.
"""


def _check_target(folder: Path) -> None:
    """Refuse a folder that is already a project, is not empty, or lies inside the Python
    environment (a project never lives where the suite is installed)."""
    if (folder / CONFIG).exists():
        raise InputError(str(folder), f"already an ontrack project ({CONFIG} exists)")
    if folder.exists() and not folder.is_dir():
        raise InputError(str(folder), "exists and is not a folder", "a new or empty folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise InputError(str(folder), "is not empty", "a new or empty folder")
    resolved = folder.resolve()
    for env in {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}:
        if resolved == env or env in resolved.parents:
            raise InputError(
                str(folder),
                f"is inside the Python environment ({env})",
                "a folder of your own, e.g. ~/ontrack-projects/my-county",
            )


def init_project(folder: Path | str, example: bool = False, name: str = "") -> Path:
    """Make a project at ``folder`` (new or empty); return its root."""
    folder = Path(folder).expanduser()
    _check_target(folder)
    name = name or folder.resolve().name
    raw = folder / "data" / "raw"
    for sub in ("plans", "progress", "scenarios"):
        (raw / sub).mkdir(parents=True, exist_ok=True)
    (folder / "data" / "processed").mkdir(parents=True, exist_ok=True)
    (folder / "reports").mkdir(parents=True, exist_ok=True)
    if example:
        src = packaged("example")
        for rel in EXAMPLE_FILES:
            s = src / rel
            d = raw / rel
            if s.is_dir():
                shutil.copytree(s, d, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__*"))
            elif s.is_file():
                d.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(s, d)
    else:
        shutil.copyfile(packaged("example") / "plans" / "README.md", raw / "plans" / "README.md")
    note = "" if example else "（本项目尚无计划，请按该说明新建）"
    note_en = "" if example else " (the project has no plan yet: add one as described there)"
    write_text(folder / CONFIG, _toml(name, EXAMPLE_PLANS if example else ()))
    write_text(
        folder / "README.md",
        _README.format(name=name, plans_readme_note=note, plans_readme_note_en=note_en),
    )
    write_text(folder / ".gitignore", _GITIGNORE)
    return folder.resolve()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, help="the new project's folder (new or empty)")
    p.add_argument(
        "--example",
        action="store_true",
        help="add the bundled example plans and illustrative (示例数据) progress",
    )
    p.add_argument("--name", default="", help="the project's name (default: the folder name)")


def run(args: argparse.Namespace) -> int:
    root = init_project(args.dir, example=args.example, name=args.name)
    print(f"ontrack project made: {root}")
    if args.example:
        print("  with the example plans and illustrative progress (示例数据). Next:")
        print(f"  cd {args.dir} && ontrack render")
    else:
        print(f"  add a plan under {args.dir}/data/raw/plans/ (see data/raw/plans/README.md)")
    return 0
