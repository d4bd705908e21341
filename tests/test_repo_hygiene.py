"""Repository rules that are easy to break by accident: notebooks without outputs, raw documents
unchanged, no module-level paths, no import cycles."""

from __future__ import annotations

import ast
import itertools
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"
PACKAGE = LIB / "ontrack"
NOTEBOOKS = ROOT / "notebooks"


def _notebooks() -> list[Path]:
    found = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert found, f"no notebooks in {NOTEBOOKS}"
    return found


def test_notebooks_are_committed_without_outputs():
    dirty = []
    for nb_path in _notebooks():
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(nb_path.name)
                break
    assert not dirty, f"strip outputs (make format): {dirty}"


def test_notebooks_have_a_parameters_cell():
    for nb_path in _notebooks():
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{nb_path.name}: needs exactly one cell tagged 'parameters'"


def test_notebooks_use_the_python3_kernel():
    for nb_path in _notebooks():
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == "python3", nb_path.name


def test_raw_plan_documents_match_their_checksums():
    """Every plan folder's published document is as captured: its sha256 is the one its plan.yml
    records (document_sha256). Raw files are read-only."""
    import yaml

    from ontrack.fileio import sha256

    checked = []
    for yml in sorted((ROOT / "data" / "raw" / "plans").glob("*/plan.yml")):
        meta = yaml.safe_load(yml.read_text(encoding="utf-8"))
        if not meta.get("document"):
            continue
        doc = yml.parent / meta["document"]
        assert meta.get("document_sha256"), f"{yml}: a document without document_sha256"
        assert sha256(doc) == meta["document_sha256"], f"{doc} changed: raw files are read-only"
        checked.append(doc.name)
    assert checked == ["lucheng-2025-2027.txt", "pingyang-2025-2027.txt"]


def test_makefile_help_lists_the_readme_commands():
    out = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    for target in ("briefing", "test", "bench", "lab", "render-all"):
        assert f"make {target}" in out


def test_papermill_documents_every_notebook_parameter():
    # `papermill --help-notebook` silently drops a parameter whose line it cannot parse (an '='
    # inside the comment, a literal wrapped over lines); every assignment must be inferred.
    import re

    from papermill.translators import PythonTranslator

    for nb_path in _notebooks():
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
        source = "".join(cell["source"])
        declared = re.findall(r"^(\w+)\s*:\s*\w+\s*=", source, flags=re.M)
        inferred = [p.name for p in PythonTranslator.inspect({"source": source})]
        assert inferred == declared, f"{nb_path.name}: papermill infers {inferred}"


# --- imports ----------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    """ontrack/forecast/model.py → ontrack.forecast.model; ontrack/forecast/__init__.py →
    ontrack.forecast."""
    parts = list(path.relative_to(LIB).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts
    }


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks (never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
            if name == "TYPE_CHECKING":
                out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def _imports(module: str, path: Path, known: set[str]) -> list[tuple[str, int, str]]:
    """(imported ontrack module, line, the import as written) for every import in the file,
    at module level and inside functions alike (``if TYPE_CHECKING:`` imports excluded).

    ``from . import x`` names the submodule ``x`` when there is one, else the package;
    ``from .a import b`` names ``a`` (and ``a.b`` when ``b`` is a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "ontrack":
                    out.append((alias.name, node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "ontrack":
                continue
            written = f"from {'.' * node.level}{node.module or ''} import " + ", ".join(
                a.name for a in node.names
            )
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            if subs:
                out += [(s, node.lineno, written) for s in subs]
            if len(subs) < len(node.names) or node.module:
                out.append((target, node.lineno, written))
    return out


def _graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    """Import graph of the package: module → modules it imports; (a, b) → 'file:line: import'."""
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    where: dict[tuple[str, str], str] = {}
    for module, path in modules.items():
        for target, line, written in _imports(module, path, known):
            if target not in known or target == module:
                continue
            graph[module].add(target)
            where.setdefault((module, target), f"{path.relative_to(ROOT)}:{line}: {written}")
    return graph, where


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a → … → a) through each strongly connected component with more than one
    module (Tarjan's algorithm, then a shortest path back to the start inside the component)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for comp in components:
        start = min(comp)
        # breadth-first from start's successors back to start, inside the component
        paths = {w: [start, w] for w in sorted(graph[start] & comp)}
        queue = list(paths)
        while start not in paths and queue:
            v = queue.pop(0)
            for w in sorted(graph[v] & comp):
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    queue.append(w)
        cycles.append(paths[start])
    return sorted(cycles)


def test_the_cycle_finder_finds_a_cycle_and_names_it():
    # a → b → c → a is one cycle; d → a leads into it but is not part of it
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_sees_function_level_and_relative_imports():
    graph, where = _graph()
    # the lab's engine imports the forecast inside a function (lazily), the project at module level
    assert "ontrack.forecast" in graph["ontrack.lab.model"]
    assert "ontrack.project" in graph["ontrack.lab.model"]
    # `from . import fileio, quality` in targets.py names the two modules
    assert {"ontrack.fileio", "ontrack.quality"} <= graph["ontrack.targets"]
    assert where[("ontrack.targets", "ontrack.quality")].startswith("lib/ontrack/targets.py:")


def test_no_import_cycles_between_ontrack_modules():
    """Modules import one way (stage by stage); a cycle makes a house that is hard to change.
    Function-level imports count too: a lazy import only hides the cycle."""
    graph, where = _graph()
    cycles = _cycles(graph)
    report = []
    for cycle in cycles:
        report.append(" → ".join(cycle))
        report += [f"    {where[(a, b)]}" for a, b in itertools.pairwise(cycle)]
    assert not cycles, "import cycle(s) between ontrack modules:\n" + "\n".join(report)


def test_no_module_imports_ontrack_paths():
    """Paths come from a Project passed in (ontrack.project), never from module globals."""
    offenders = []
    known = {*_modules(), "ontrack.paths"}  # also once paths.py is gone
    for module, path in _modules().items():
        for target, line, written in _imports(module, path, known):
            if target == "ontrack.paths" or target.startswith("ontrack.paths."):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {written}")
    assert not offenders, "ontrack.paths is obsolete (use the Project):\n" + "\n".join(offenders)


def test_the_package_users_install_never_imports_the_evidence():
    """lib/ontrack_evidence (benchmarks, evaluation, generators) is not in the wheel: a module of
    ontrack that imported it would fail where ontrack is installed."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "lib" / "ontrack").rglob("*.py")
        if "ontrack_evidence" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
