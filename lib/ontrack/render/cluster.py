"""``ontrack render-all --cluster ADDRESS``: the briefings rendered on a Dask cluster.

The scheduler and workers are started with the ``dask`` command (``dask scheduler``, ``dask
worker ADDRESS``, README "Running on a schedule"); a worker needs only the installed package
(``pip install "ontrack[cluster]"``), Chromium and a CJK font. No folder is shared:

* this process (the client) does everything a local run does before rendering (parameters
  checked, the forecast tables made sure to be current, up-to-date regions skipped, the lock
  held), then sends the cluster a *bundle*: the files a briefing reads (ontrack.toml, the plan
  folders, indicators.csv, the processed tables, the forecast tables of the run, the scenario,
  the briefing notebook) as bytes, scattered once to every worker;
* each job is the briefing's parameters and the bundle's id. A worker writes a bundle once into
  its own temporary folder (a project of its own, checked against the id), renders there with
  its warm engine (:mod:`.engine`: kernels started once per worker, one browser) and sends back
  the files it made, as bytes;
* the client writes them into reports/ atomically (:func:`.single.commit`), records the
  manifest, moves the progress bar and writes the index, exactly as for a local run.

A worker that is lost mid-run costs only its jobs: Dask runs them on another worker (and the
client sends a job again, with the bundle scattered afresh, if Dask gives up on it). A worker
renders with the ontrack it has installed: a worker whose briefing code differs from the
client's fails its jobs with a message saying so, rather than render other pages.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import OntrackError
from ..project import CONFIG, Project
from .engine import Job, failed_result

PLUGIN = "ontrack-engine"
#: tries of a job that Dask itself gave up on (its workers kept dying, its bundle was lost)
TRIES = 3


def require_distributed():
    try:
        import distributed
    except ImportError:
        raise OntrackError(
            "--cluster needs Dask distributed: pip install 'ontrack[cluster]' "
            "(or pip install 'dask[distributed]')"
        ) from None
    return distributed


# ---------------------------------------------------------------------------- the bundle
def bundle_files(project: Project, jobs: list[Job]) -> dict[str, Path]:
    """The files the briefings of ``jobs`` read, by their path in the project: the settings,
    every plan folder (the registry reads them all), indicators.csv, the processed tables, the
    forecast folders of the jobs, their scenarios, and the briefing notebook (as the project's
    own copy, so a worker runs the notebook this machine would)."""
    from ..briefing.data import input_files
    from ..forecast import store as ft

    files: dict[str, Path] = {CONFIG: project.config}
    if project.plans_dir.is_dir():
        for f in sorted(project.plans_dir.rglob("*")):
            if f.is_file():
                files[project.relative(f)] = f
    for job in jobs:
        r = job.request
        folder = ft.folder_for(project, r.as_of, r.scenario or None, r.n_sims, r.seed)
        for name, f in input_files(project, folder, r.scenario).items():
            if name.startswith("scenario:"):
                name = project.relative(f)
                if Path(name).is_absolute():
                    raise OntrackError(
                        f"--cluster: the scenario {f} is outside the project; put it under "
                        f"{project.relative(project.scenarios_dir)}/"
                    )
            files[name] = f
    files["notebooks/04_briefing.ipynb"] = Path(jobs[0].notebook)
    return files


def make_bundle(files: dict[str, Path]) -> dict[str, Any]:
    """{'id': sha256 of the contents, 'files': {path: bytes}, 'sha256': {path: hex}}."""
    data = {name: path.read_bytes() for name, path in sorted(files.items())}
    sums = {name: hashlib.sha256(b).hexdigest() for name, b in data.items()}
    bundle_id = hashlib.sha256(repr(sorted(sums.items())).encode()).hexdigest()[:16]
    return {"id": bundle_id, "files": data, "sha256": sums}


def remote_job(job: Job, project: Project) -> Job:
    """A job as a worker gets it: paths relative to the project (the worker has its own)."""
    r = job.request
    request = r.but(project="", scenario=project.relative(r.scenario) if r.scenario else "")
    return replace(job, request=request, notebook="notebooks/04_briefing.ipynb")


# ---------------------------------------------------------------------------- the worker side
def _worker_plugin_class():
    distributed = require_distributed()

    class EnginePlugin(distributed.WorkerPlugin):
        """Keeps one warm engine per worker (as many kernels as the worker has threads) and
        the bundles it has written; both are removed when the worker closes (and by the
        engine's watchdog if the worker is killed)."""

        name = PLUGIN

        def setup(self, worker):
            self.worker = worker
            self.engine = None
            self.bundles: dict[str, Path] = {}
            self.lock = threading.Lock()

        def teardown(self, worker):
            if self.engine is not None:
                self.engine.close()

        def get_engine(self):
            from .engine import Engine

            with self.lock:
                if self.engine is None:
                    nthreads = getattr(getattr(self.worker, "state", None), "nthreads", 1) or 1
                    self.engine = Engine(slots=nthreads, pdf=True).start()
                return self.engine

        def project_for(self, bundle: dict) -> Path:
            """The bundle written into the engine's folder (once), checked against its id."""
            engine = self.get_engine()
            with self.lock:
                root = self.bundles.get(bundle["id"])
                if root is not None:
                    return root
                sums = {n: hashlib.sha256(b).hexdigest() for n, b in bundle["files"].items()}
                if sums != bundle["sha256"]:
                    raise OntrackError("a bundle arrived damaged (checksums differ)")
                root = engine.tmp / "bundles" / bundle["id"]
                for name, data in bundle["files"].items():
                    dest = root / name
                    if ".." in Path(name).parts or Path(name).is_absolute():
                        raise OntrackError(f"a bundle names a file outside its project: {name}")
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(data)
                self.bundles[bundle["id"]] = root
                return root

    return EnginePlugin


def code_fingerprint() -> str:
    """The fingerprint of the briefing's code on this machine (without the notebook, which the
    bundle carries)."""
    from ..briefing.data import code_version

    return code_version()["fingerprint"]


def remote_render(bundle: dict, job: Job, client_code: str) -> dict:
    """Run on a worker: render ``job`` in the bundle's project; the files come back as bytes."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins[PLUGIN]
    here = code_fingerprint()
    if here != client_code:
        error = (
            f"worker {worker.address} has other briefing code (fingerprint {here}, "
            f"this machine {client_code}): install the same ontrack, with the same versions "
            "of its libraries (pip install -c constraints.txt), on every worker"
        )
        return {"result": failed_result(job, error), "files": {}}
    root = plugin.project_for(bundle)
    r = job.request
    request = r.but(project=str(root), scenario=str(root / r.scenario) if r.scenario else "")
    job = replace(job, request=request, notebook=str(root / job.notebook))
    engine = plugin.get_engine()
    rendered = engine.submit(job).result()
    try:
        files = {fmt: path.read_bytes() for fmt, path in rendered.files.items()}
    finally:
        engine.discard(rendered)
    result = dict(rendered.result, worker=worker.address)
    return {"result": result, "files": files}


# ---------------------------------------------------------------------------- the client side
def _lost(shared) -> bool:
    """Whether the scattered bundle is gone (``client.scatter`` of a dict gives a dict of
    futures, one per key)."""
    futures = shared.values() if isinstance(shared, dict) else [shared]
    return any(f.status != "finished" for f in futures)


class _Returned:
    def __init__(self, payload: dict):
        self.result = payload["result"]
        self.files = payload["files"]


def render_on_cluster(
    address: str,
    project: Project,
    jobs: list[Job],
    done: Callable[[dict], None],
    log,
) -> None:
    """Render ``jobs`` on the cluster at ``address``; ``done(result)`` for each, after its
    files are written."""
    distributed = require_distributed()
    from .single import commit

    try:
        client = distributed.Client(address, timeout="30s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise OntrackError(
            f"--cluster: cannot reach the Dask scheduler at {address}: {exc}"
        ) from None
    try:
        n = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        log.info(f"cluster {address}: {n} worker(s)")
        client.register_plugin(_worker_plugin_class()(), name=PLUGIN)
        bundle = make_bundle(bundle_files(project, jobs))
        size = sum(len(b) for b in bundle["files"].values())
        log.detail(f"bundle {bundle['id']}: {len(bundle['files'])} files, {size / 2**20:.1f} MiB")
        code = code_fingerprint()
        remote = {id(j): remote_job(j, project) for j in jobs}

        def scatter():
            return client.scatter(bundle, broadcast=True, hash=False)

        shared = scatter()
        tries: dict[str, int] = {}
        jobs_of: dict[str, Job] = {}

        def submit(job: Job):
            fut = client.submit(
                remote_render,
                shared,
                remote[id(job)],
                code,
                pure=False,
                key=f"ontrack-{job.stem}-{uuid.uuid4().hex[:8]}",
            )
            jobs_of[fut.key] = job
            return fut

        ac = distributed.as_completed([submit(job) for job in jobs], loop=client.loop)
        for fut in ac:
            job = jobs_of.pop(fut.key)
            try:
                payload = fut.result()
            except Exception as exc:  # Dask gave up on it (its workers died, its data was lost)
                stem = job.stem
                tries[stem] = tries.get(stem, 1) + 1
                if tries[stem] <= TRIES:
                    log.detail(f"again  {job.request.plan}/{stem}: {type(exc).__name__}")
                    if _lost(shared):  # the bundle went with the worker: send it again
                        shared = scatter()
                    ac.add(submit(job))
                    continue
                error = f"the cluster could not run it: {type(exc).__name__}: {exc}"
                payload = {"result": failed_result(job, error), "files": {}}
            done(commit(project, _Returned(payload)))
    finally:
        client.close()
