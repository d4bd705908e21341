"""Stage 5: the machinery that renders briefings (what a page says is :mod:`ontrack.briefing`).

``ontrack render`` (:mod:`.single`) and ``ontrack render-all`` (:mod:`.batch`) check a
:class:`~ontrack.briefing.params.Request`, make its forecast sure of and hand jobs to the warm
engine (:mod:`.engine`, :mod:`.warm`, :mod:`.pmengine`), which executes the briefing notebook,
exports it (:mod:`.export`) and prints it (:mod:`.browser`), here or on a Dask cluster
(:mod:`.cluster`); the files are committed atomically and recorded in the manifest and the index
(:mod:`.manifest`), the run in the log (:mod:`.runlog`).

Import the submodules you need; this package imports nothing heavy so that ``ontrack render
--help`` and parameter checks stay fast.
"""
