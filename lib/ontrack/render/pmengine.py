"""The warm kernel as a papermill engine, so that a briefing runs through papermill's public
``execute_notebook`` (parameters cell, metadata, error cell and error check as papermill gives
them) on a kernel that outlives the notebook.

The engine is registered under the name :data:`NAME` through papermill's entry point group
``papermill.engine`` (pyproject.toml); :func:`ensure_registered` registers it through
papermill's public ``register`` too, for a source tree whose metadata predates the entry point.
"""

from __future__ import annotations

import functools
import logging

#: the engine's name for ``papermill.execute_notebook(..., engine_name=NAME)``
NAME = "ontrack-warm"

logger = logging.getLogger("papermill")


@functools.cache
def _engine_class() -> type:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine
    from papermill.exceptions import PapermillException

    class WarmEngine(Engine):
        """Executes a notebook on ``warm_kernel`` (an ``ontrack.render.engine.WarmKernel``: a
        kernel manager and client already started), leaving the kernel running for the next one.

        Extra arguments of ``execute_notebook``: ``warm_kernel``; ``source`` and ``label`` (the
        paths the executed notebook's metadata records as its input and output: the notebook is
        given to papermill as an object, so that no path is formatted with the parameters, and the
        caller writes it); ``executed`` (a list the
        executed notebook is appended to, so a caller has it when papermill raises on a failed
        cell)."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            start_timeout=60,
            execution_timeout=None,
            warm_kernel=None,
            source="",
            label="",
            executed=None,
            **kwargs,
        ):
            if warm_kernel is None:
                raise PapermillException(f"the {NAME} engine runs on a warm kernel (warm_kernel=)")
            meta = nb_man.nb.metadata.setdefault("papermill", {})
            meta["input_path"], meta["output_path"] = source or None, label or None
            if executed is not None:
                executed.append(nb_man.nb)
            client = PapermillNotebookClient(
                nb_man,
                km=warm_kernel.km,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
            )
            client.kc = warm_kernel.kc  # the running kernel's client: nothing started, nothing shut
            return client.execute()

    WarmEngine.__module__ = __name__
    WarmEngine.__qualname__ = "WarmEngine"
    return WarmEngine


def __getattr__(name: str):
    # Importing this module before papermill imports papermill from here, and papermill loads
    # its entry points, this one among them, while this module is still half made: the class
    # is made on that first request (papermill's Engine exists by then).
    if name == "WarmEngine":
        return _engine_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


import papermill  # noqa: E402, F401  (after __getattr__: papermill may ask it for the class)

WarmEngine = _engine_class()


def ensure_registered() -> None:
    """Make sure papermill knows the engine (the entry point normally did it on import)."""
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillException

    try:
        papermill_engines.get_engine(NAME)
    except PapermillException:
        papermill_engines.register(NAME, WarmEngine)
