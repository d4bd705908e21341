"""Stage 4: what a briefing page says: its sections (:mod:`.report` calls them: :mod:`.tables`,
:mod:`.moves`, :mod:`.reporting`, :mod:`.notes`, :mod:`.charts`, :mod:`.narrative`, built from
the blocks of :mod:`.html`), the figures behind them (:mod:`.data`, :mod:`.changes`,
:mod:`.facts`, :mod:`.status`, :mod:`.fmt`), its look (:mod:`.palette`, ``templates/``) and its
parameters (:mod:`.params`). Rendering it is :mod:`ontrack.render`.

Import the submodules you need; this package imports nothing heavy.
"""

from pathlib import Path

#: the page's nbconvert template and stylesheet (templates/briefing/)
TEMPLATES = Path(__file__).resolve().parent / "templates"
