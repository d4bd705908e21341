"""Repository rules that are easy to break by accident."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tracked(pattern: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / p for p in out]


def test_notebooks_are_committed_without_outputs():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks found"
    dirty = []
    for nb_path in notebooks:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(nb_path.name)
                break
    assert not dirty, f"strip outputs (make format): {dirty}"


def test_notebooks_have_a_parameters_cell():
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{nb_path.name}: needs exactly one cell tagged 'parameters'"


def test_raw_plan_documents_match_their_provenance_checksums():
    import yaml

    from ontrack.fileio import sha256

    sidecars = sorted((ROOT / "data" / "raw" / "plans").glob("*.provenance.yml"))
    assert len(sidecars) >= 2
    for sidecar in sidecars:
        meta = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
        doc = sidecar.with_name(sidecar.name.replace(".provenance.yml", ".txt"))
        assert sha256(doc) == meta["sha256"], f"{doc.name} changed: raw files are read-only"


def test_makefile_help_lists_the_readme_commands():
    out = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    for target in ("briefing", "test", "bench", "lab", "render-all"):
        assert f"make {target}" in out


def test_papermill_documents_every_notebook_parameter():
    # `papermill --help-notebook` silently drops a parameter whose line it cannot parse (an '='
    # inside the comment, a literal wrapped over lines); every assignment must be inferred.
    import re

    from papermill.translators import PythonTranslator

    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
        source = "".join(cell["source"])
        declared = re.findall(r"^(\w+)\s*:\s*\w+\s*=", source, flags=re.M)
        inferred = [p.name for p in PythonTranslator.inspect({"source": source})]
        assert inferred == declared, f"{nb_path.name}: papermill infers {inferred}"
