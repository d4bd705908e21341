"""`ontrack render-all --cluster`: a real Dask scheduler and two workers started with the `dask`
command on 127.0.0.1, one of them killed mid-run; every briefing is still rendered, written by
the client (no shared folder: the workers render in folders of their own), exit status 0."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_example_project

from ontrack_evidence.sample import AS_OF, PLAN, REGIONS, SIMS, write_sample

distributed = pytest.importorskip("distributed")
DASK = Path(sys.executable).with_name("dask")
pytestmark = [pytest.mark.render, pytest.mark.slow]


def _start(cmd: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-thread workers, as `dask scheduler` / `dask worker` start
    them on real machines; yields (address, {name: Popen})."""
    yield from _cluster(tmp_path)


@pytest.fixture
def strict_cluster(tmp_path):
    """The same, with a scheduler that gives a task up as soon as a worker dies under it
    (allowed-failures 0): the client's own retry path then runs."""
    yield from _cluster(tmp_path, {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})


def _cluster(tmp_path, env: dict | None = None):
    sched_file = tmp_path / "scheduler.json"
    procs = [
        _start(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(sched_file)],
            tmp_path / "scheduler.log",
            env,
        )
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not sched_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        workers = {}
        for name in ("w1", "w2"):
            # each worker in a folder of its own: nothing is shared with the client
            home = tmp_path / name
            home.mkdir()
            workers[name] = _start(
                [str(DASK), "worker", address, "--name", name, "--nthreads", "1", "--no-nanny",
                 "--host", "127.0.0.1", "--no-dashboard", "--memory-limit", "0",
                 "--local-directory", str(home)],
                tmp_path / f"{name}.log",
            )  # fmt: skip
            procs.append(workers[name])
        with distributed.Client(address, timeout="30s", set_as_default=False) as c:
            c.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


@pytest.mark.parametrize("which", ["cluster", "strict_cluster"])
def test_render_all_on_a_cluster_survives_a_lost_worker(which, request, tmp_path):
    """Dask re-runs the lost briefing on the other worker (cluster), or gives it up at once and
    ontrack's own retry path sends it again (strict_cluster: the path that raised
    AttributeError before, issue 23)."""
    import psutil

    address, workers = request.getfixturevalue(which)
    project = copy_example_project(tmp_path / "project")
    write_sample(project)
    cmd = [sys.executable, "-m", "ontrack", "--project", str(project.root), "render-all",
           "--cluster", address, "--plans", PLAN, "--as-of", AS_OF, "--sims", str(SIMS),
           "--format", "html", "--verbose"]  # fmt: skip
    run = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, text=True
    )
    manifest = project.reports / AS_OF / "manifest.json"
    killed = None
    with distributed.Client(address, timeout="30s", set_as_default=False) as client:
        names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
        deadline = time.monotonic() + 240
        while killed is None and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.2)
            if not manifest.is_file():
                continue
            entries = json.loads(manifest.read_text("utf-8"))["plans"][PLAN]["regions"]
            done_before = {e.get("worker") for e in entries.values() if e.get("status") == "ok"}
            if not done_before:
                continue  # wait until the run is under way: a briefing written
            busy = [a for a, keys in client.processing().items() if keys]
            if busy:  # a worker in the middle of a briefing (one that has none done first)
                addr = sorted(busy, key=lambda a: a in done_before)[0]
                killed = names[addr]
                victim = psutil.Process(workers[killed].pid)
                children = victim.children(recursive=True)  # its kernel and browser
                os.kill(workers[killed].pid, signal.SIGKILL)
                done_at_kill = len(entries)
    assert killed, "never saw a worker busy once the run was under way"
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err[-3000:]
    # every briefing rendered and written by the client into the project's reports/
    entries = json.loads(manifest.read_text("utf-8"))["plans"][PLAN]["regions"]
    assert sorted(entries) == sorted(REGIONS)
    assert all(e["status"] == "ok" for e in entries.values())
    survivor = next(a for a, n in names.items() if n != killed)
    # what was left when the worker was lost (its briefing in progress too) the survivor did
    assert [e["worker"] for e in entries.values()].count(survivor) >= len(REGIONS) - done_at_kill
    for region in REGIONS:
        html = (project.reports / AS_OF / PLAN / f"{region}.html").read_text("utf-8")
        assert "示例数据" in html and "<script" not in html
    assert "4 rendered, 0 up to date, 0 failed" in out
    if which == "strict_cluster":  # Dask gave the briefing up; ontrack sent it again
        assert "again  " in out + err
    # the killed worker's kernel went with it (the engine's watchdog)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(c.is_running() for c in children):
        time.sleep(0.2)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


def test_cluster_pages_are_the_pages_of_a_local_run(cluster, tmp_path):
    """The same briefing rendered on the cluster and on this machine: the same page (the
    footer's generation time aside), although the worker rendered in a folder of its own."""
    import re

    address, _ = cluster
    pages = {}
    for where in ("local", "cluster"):
        project = copy_example_project(tmp_path / where)
        write_sample(project)
        cmd = [sys.executable, "-m", "ontrack", "--project", str(project.root), "render-all",
               "--plans", PLAN, "--as-of", AS_OF, "--sims", str(SIMS), "--format", "html",
               "--quiet"]  # fmt: skip
        if where == "cluster":
            cmd += ["--cluster", address]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        html = (project.reports / AS_OF / PLAN / "pingyang-kunyang.html").read_text("utf-8")
        pages[where] = re.sub(r"(生成时间</th><td>)[^<]*", r"\1", html)
        shutil.rmtree(project.root)
    assert pages["local"] == pages["cluster"]
