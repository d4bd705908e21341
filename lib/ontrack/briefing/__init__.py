"""Stage 4-5: briefings (notebook → HTML/PDF) and render-all.

Import the submodules you need (``ontrack.briefing.render``, ``.report`` ...); this package
imports nothing heavy so that ``ontrack render --help`` and parameter checks stay fast.
"""
