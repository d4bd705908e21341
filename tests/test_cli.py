"""The command's own process: what it does without (ontrack.cli.SKIPPED_IMPORTS)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_command_reads_notebooks_without_the_slow_optional_import():
    """After ``ontrack.cli.main`` runs, nbformat (and its jsonschema) imports without
    rfc3987_syntax and still validates a notebook; ``import ontrack`` alone changes nothing."""
    script = textwrap.dedent(
        """
        import contextlib, io, sys
        import ontrack
        assert "rfc3987_syntax" not in sys.modules, "import ontrack must not touch sys.modules"
        from ontrack.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            main([])  # no command: prints the help
        import nbformat
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
        nbformat.validate(nb)
        bad = nbformat.v4.new_notebook()
        bad["cells"] = [{"cell_type": "code"}]
        try:
            nbformat.validate(bad)
        except nbformat.ValidationError:
            pass
        else:
            raise AssertionError("an invalid notebook passed")
        print(sys.modules.get("rfc3987_syntax", "absent"))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "None"
