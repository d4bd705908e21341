"""Inside a warm kernel: the state a fresh kernel starts with, taken once, put back before each
briefing.

The render engine (:mod:`.engine`) starts a kernel, runs :func:`prepare` in it once (imports the
libraries a briefing uses, then records the state they leave), and runs :func:`reset` before
every briefing, so that a briefing rendered on a kernel that has already rendered others shows
exactly what a fresh kernel would show (a test compares the pages). What :func:`reset` puts
back:

* the user namespace, ``In``/``Out`` and the execution counter (IPython's ``reset``);
* every ``ontrack`` module: dropped from ``sys.modules`` and imported afresh by the notebook
  (cheap once pandas and matplotlib are loaded), so no module state of the suite carries over;
  only this module and :mod:`.tablecache` (tables keyed by the checksums of their files) stay.
  Afresh means executed, not compiled: the compiled code of each source file is kept in memory
  by :class:`CodeCache` (keyed by path, modification time and size, so an edited file is
  compiled again), which matters where no bytecode is written (``PYTHONDONTWRITEBYTECODE``, a
  read-only install): compiling the suite's modules again cost about 0.2 s a briefing;
* matplotlib: open figures closed, ``rcParams`` (the CJK font and the theme a briefing
  sets) and the font list as they were after the imports;
* warnings: the filters, and every "already shown" registry (a warning shown by one briefing is
  shown again by the next, as on a fresh kernel);
* the global random states of ``random`` and ``numpy``, numpy's error and print settings,
  pandas' options;
* matplotlib's unit converters (pandas adds its date converters when it first plots);
* the root logger's level and handlers, the umask, ``sys.stdout``/``sys.stderr``, the
  recursion limit;
* ``os.environ``, ``sys.path`` (never with the working folder on it) and the working folder
  (the briefing's project).

It imports only the standard library at module level: the engine imports it before anything
else, and it is never dropped.
"""

from __future__ import annotations

import copy
import gc
import os
import random
import sys
import types
import warnings
from importlib.machinery import SourceFileLoader
from typing import Any, ClassVar

#: What a briefing imports (the import of ontrack.briefing.report pulls in the rest).
WARM_IMPORTS = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "ontrack.briefing.report",
)

#: ontrack modules that outlive a reset: this one, and the cache of tables keyed by checksums.
KEEP = ("ontrack.render.warm", "ontrack.briefing.tablecache")

_state: dict[str, Any] | None = None


class _CachedSourceLoader(SourceFileLoader):
    """A source loader whose compiled code is kept by path, modification time and size."""

    codes: ClassVar[dict[tuple[str, int, int], types.CodeType]] = {}

    def get_code(self, fullname: str) -> types.CodeType | None:
        path = self.get_filename(fullname)
        try:
            st = os.stat(path)
        except OSError:
            return super().get_code(fullname)
        key = (path, st.st_mtime_ns, st.st_size)
        code = self.codes.get(key)
        if code is None:
            code = super().get_code(fullname)
            if code is not None:
                self.codes[key] = code
        return code


class CodeCache:
    """A finder, first on ``sys.meta_path``, that finds the modules of ``packages`` as the other
    finders would and gives their source files the caching loader (a subclass of the standard
    one: resources, ``__file__`` and tracebacks are as before)."""

    def __init__(self, packages: tuple[str, ...]):
        self.packages = packages

    def _ours(self, name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in self.packages)

    def find_spec(self, name, path=None, target=None):
        if not self._ours(name):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if type(loader) is SourceFileLoader:
            spec.loader = _CachedSourceLoader(loader.name, loader.path)
        return spec

    def install(self) -> CodeCache:
        """Put this finder first on ``sys.meta_path`` (once)."""
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, CodeCache)]
        sys.meta_path.insert(0, self)
        return self


def _ontrack_modules() -> list[str]:
    return [
        m
        for m in list(sys.modules)
        if (m == "ontrack" or m.startswith("ontrack.")) and m not in KEEP
    ]


def prepare(imports: tuple[str, ...] = WARM_IMPORTS) -> None:
    """Import the libraries, record the state they leave, drop the suite's modules."""
    import importlib

    CodeCache(("ontrack",)).install()
    for name in imports:
        importlib.import_module(name)
    import logging

    import matplotlib
    import matplotlib.units
    import numpy as np
    from matplotlib import font_manager

    root = logging.getLogger()
    global _state
    _state = {
        "units": dict(matplotlib.units.registry),
        "logging": (root.level, list(root.handlers), logging.root.manager.disable),
        "umask": _umask(),
        "streams": (sys.stdout, sys.stderr),
        "recursion": sys.getrecursionlimit(),
        "rc": copy.deepcopy(dict(matplotlib.rcParams)),
        "fonts": list(font_manager.fontManager.ttflist),
        "warnings": list(warnings.filters),
        "environ": dict(os.environ),
        # never the working folder (a briefing's is its project, whose files must not be
        # imported): IPython puts "" on sys.path unless the interpreter has safe_path, which
        # PYTHONSAFEPATH gives only from Python 3.11
        "path": [p for p in sys.path if p not in ("", ".")],
        "random": random.getstate(),
        "np_random": np.random.get_state(),
        "np_err": np.geterr(),
        "np_print": np.get_printoptions(),
    }
    sys.path[:] = _state["path"]
    for m in _ontrack_modules():
        del sys.modules[m]
    # what the imports made stays for the kernel's life: out of the collector's way, so that
    # the collection IPython's reset runs looks only at what a briefing made
    gc.collect()
    gc.freeze()


def reset(cwd: str) -> None:
    """Put the kernel back into the state :func:`prepare` recorded; work in ``cwd``."""
    if _state is None:
        raise RuntimeError("ontrack.render.warm.prepare() has not run in this kernel")
    ip = _ipython()
    if ip is not None:
        ip.reset(new_session=True)  # namespace, In/Out, execution count back to 1
    for m in _ontrack_modules():
        del sys.modules[m]

    import logging

    import matplotlib
    import matplotlib.pyplot as plt
    import matplotlib.units
    import numpy as np
    import pandas as pd
    from matplotlib import font_manager

    plt.close("all")
    rc = matplotlib.rcParams
    dict.clear(rc)
    dict.update(rc, copy.deepcopy(_state["rc"]))  # recorded values: already validated
    fm = font_manager.fontManager
    fm.ttflist[:] = _state["fonts"]
    cached = getattr(fm, "_findfont_cached", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()

    warnings.filters[:] = _state["warnings"]
    for mod in list(sys.modules.values()):
        registry = getattr(mod, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    mutated = getattr(warnings, "_filters_mutated", None)
    if mutated is not None:
        mutated()

    random.setstate(_state["random"])
    np.random.set_state(_state["np_random"])
    np.seterr(**_state["np_err"])
    np.set_printoptions(**_state["np_print"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated options warn when reset
        pd.reset_option("all")
    # after the options: resetting pandas' plotting option registers its date converters
    matplotlib.units.registry.clear()
    matplotlib.units.registry.update(_state["units"])

    root = logging.getLogger()
    level, handlers, disabled = _state["logging"]
    root.setLevel(level)
    root.handlers[:] = handlers
    logging.disable(disabled)
    os.umask(_state["umask"])
    sys.stdout, sys.stderr = _state["streams"]
    sys.setrecursionlimit(_state["recursion"])
    os.environ.clear()
    os.environ.update(_state["environ"])
    sys.path[:] = _state["path"]
    os.chdir(cwd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - always there in a kernel
        return None
    return get_ipython()
