"""The runs of a study and where they run: tasks, the run store, and the backends.

A `RunTask` is one simulation of a resolved scenario with a seed (`dronesim.sim.study`
builds them); `execute` runs one in a worker and returns its record (the whole report,
or the error of a failing run). Backends (`SerialBackend`, `LocalBackend`, `DaskBackend`)
only map `execute` over tasks; they never change a run, so reports are the same bit for
bit on each (apart from the wall timings ``wall_seconds`` and ``time_s``). `run_tasks`
runs what the `RunStore` does not hold yet and stores each record as it arrives, so a
study run again loses at most the runs that were in flight.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dronesim.maps.errors import FieldError
from dronesim.sim.scenario import Scenario

# A run whose worker process died this many times is recorded as failed (the local pool
# cannot tell which of the runs in flight killed it, so each gets a few chances).
MAX_LOSSES = 3


class StudyError(FieldError):
    """A study file or request is invalid; one line naming the file, field and value."""


def json_default(value: Any) -> Any:
    """The JSON form of what `json` does not know: dates, paths, numpy values."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"no canonical form for {value!r}")


# ----------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class RunTask:
    """One run: its key, design point (index and values), seed and resolved scenario."""

    key: str
    point: int
    params: tuple[tuple[str, Any], ...]
    seed: int
    scenario: Scenario


def simulate(scenario: Scenario, seed: int):
    """The default runner: ``Simulation(scenario, seed=seed).run()``, as ``dronesim run``."""
    from dronesim.sim.engine import Simulation

    return Simulation(scenario, seed=seed).run()


def execute(task: RunTask, runner: Callable | None = None, threads: int | None = None) -> dict:
    """Run one task in a worker; returns its record (never raises for a failing run).

    ``runner(scenario, seed)`` returns a `Report` (default `simulate`); ``threads`` caps
    numba's threads (one per worker process when several share the cores).
    """
    if threads is not None:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    tic = time.perf_counter()
    cpu = time.process_time()
    record = {
        "key": task.key,
        "point": task.point,
        "params": dict(task.params),
        "seed": task.seed,
        "status": "ok",
        "error": None,
        "report": None,
    }
    try:
        record["report"] = (runner or simulate)(task.scenario, task.seed).to_dict()
    except Exception as error:  # a failing run is a result of the study, not its end
        record["status"] = "failed"
        record["error"] = f"{type(error).__name__}: {error}".replace("\n", " ")
    record["run_wall_s"] = time.perf_counter() - tic
    record["run_cpu_s"] = time.process_time() - cpu  # this process, all its threads
    record["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return record


# ----------------------------------------------------------------------------- backends


class _Closing:
    """``with Backend(...) as backend:`` closes it at the end."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class SerialBackend(_Closing):
    """Runs in this process, one after another (no numba thread cap)."""

    workers = 1
    name = "serial"

    def map(self, tasks: Sequence[RunTask], runner: Callable | None) -> Iterator[dict]:
        for task in tasks:
            yield execute(task, runner)

    def close(self) -> None:
        pass


class LocalBackend(_Closing):
    """A pool of ``workers`` processes on this machine (no server to start).

    Workers fork from a server that has imported the engine; each compiles or loads the
    numba kernels once (the on-disk cache) and keeps them for all its runs. A worker
    that dies (killed, out of memory) breaks the pool: a new pool reruns the runs not
    started, side by side, and those that were in flight one at a time, so that a run
    that kills its worker every time is found alone and recorded as failed after
    `MAX_LOSSES` deaths without taking others with it.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = int(workers or os.cpu_count() or 1)
        self._pool = None
        self.started_s = 0.0

    def _start(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        tic = time.perf_counter()
        if "forkserver" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["dronesim.sim.engine", "dronesim.sim.study_runs"])
        else:  # Windows: each worker starts a fresh interpreter
            context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_ignore_interrupts
        )
        self.started_s += time.perf_counter() - tic
        return self._pool

    def map(self, tasks: Sequence[RunTask], runner: Callable | None) -> Iterator[dict]:
        from collections import deque
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        threads = max(1, (os.cpu_count() or 1) // self.workers)
        losses = dict.fromkeys((task.key for task in tasks), 0)
        fresh = deque(tasks)  # never lost: run side by side
        suspects: deque[RunTask] = deque()  # in flight when a worker died: run one at a time
        while fresh or suspects:
            alone = not fresh
            batch = [suspects.popleft()] if alone else list(fresh)
            fresh.clear()
            pool = self._pool or self._start()
            futures = {pool.submit(execute, task, runner, threads): task for task in batch}
            pending = set(futures)
            in_flight: set = set()
            lost: list = []
            try:
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    for future in done:
                        try:
                            record = future.result()
                        except BrokenProcessPool:
                            lost.append(future)
                            continue
                        yield record
                    # Handed to a worker (or next in line for one): what a death can take.
                    in_flight = {f for f in pending if f.running()}
            finally:
                if pending or lost:
                    # Broken (a new pool follows) or interrupted: stop this one.
                    self._pool.shutdown(wait=True, cancel_futures=True)
                    self._pool = None
            # Runs in flight when the worker died are suspects (one of them may kill its
            # worker every time); the others go back unharmed. Each break charges at least
            # one run, so the loop ends.
            charged = [f for f in lost if alone or f in in_flight] or lost
            for future in lost:
                task = futures[future]
                if future not in charged:
                    fresh.append(task)
                    continue
                losses[task.key] += 1
                if losses[task.key] >= MAX_LOSSES:
                    yield _lost(task, losses[task.key])
                else:
                    suspects.append(task)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _ignore_interrupts() -> None:
    """Ctrl-C is the parent's to handle (it stops submitting and waits for the runs in
    flight); workers ignore it rather than each printing a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _import_engine() -> None:
    import dronesim.sim.engine  # noqa: F401


def _lost(task: RunTask, losses: int) -> dict:
    return {
        "key": task.key,
        "point": task.point,
        "params": dict(task.params),
        "seed": task.seed,
        "status": "failed",
        "error": f"the worker process running it died {losses} times",
        "report": None,
        "run_wall_s": math.nan,
        "run_cpu_s": math.nan,
        "worker": None,
    }


class DaskBackend(_Closing):
    """A Dask distributed cluster: at ``address`` (``tcp://host:port``), or a
    `distributed.LocalCluster` of ``workers`` processes started here (``address`` None).

    Dask reruns the tasks of a worker that died (up to its ``allowed-failures``); a run
    it gives up on is recorded as failed.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        connect_timeout_s: float = 10.0,
    ) -> None:
        import logging

        from distributed import Client, LocalCluster

        tic = time.perf_counter()
        self.cluster = None
        if address is None:
            import dask

            self.workers = int(workers or os.cpu_count() or 1)
            # Dask starts workers with MALLOC_TRIM_THRESHOLD_ set (memory handed back to the
            # system sooner), which makes the engine's many small array allocations
            # markedly slower (benchmarks/README.md, "Measurements behind design choices"):
            # the workers started here keep glibc's own setting.
            environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
            environ.pop("MALLOC_TRIM_THRESHOLD_", None)
            # Its workers' statistical profiler samples the running task's stack every
            # 10 ms, and its event-loop health check ticks every 20 ms: both take the GIL
            # from the simulation; a study needs neither (benchmarks/README.md).
            settings = {
                "distributed.nanny.pre-spawn-environ": environ,
                "distributed.worker.profile.enabled": False,
                "distributed.admin.tick.interval": "1s",
            }
            with dask.config.set(settings):
                self.cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            self.client = Client(self.cluster)
        else:
            self.client = _connect(address, connect_timeout_s)
            self.workers = max(1, sum(self.client.nthreads().values()))
        # Each worker imports the engine now (start-up), not in its first run.
        self.client.run(_import_engine)
        self.started_s = time.perf_counter() - tic

    def map(self, tasks: Sequence[RunTask], runner: Callable | None) -> Iterator[dict]:
        import uuid

        from distributed import as_completed

        # Named after the run (for the dashboard) and unique to this submission: a key
        # Dask still holds would return that task's old result without running this one.
        batch = uuid.uuid4().hex[:8]
        futures = {
            self.client.submit(
                execute, task, runner, 1, key=f"dronesim-run-{task.key[:16]}-{batch}", pure=False
            ): task
            for task in tasks
        }
        try:
            for future in as_completed(futures):
                task = futures[future]
                try:
                    yield future.result()
                except Exception as error:  # KilledWorker: Dask gave the run up
                    record = _lost(task, 0)
                    record["error"] = f"{type(error).__name__}: {error}"
                    yield record
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(
    workers: int | None = None,
    dask: str | None = None,
    scheduler: str | None = None,
    connect_timeout_s: float = 10.0,
):
    """The backend the command line's options name: ``scheduler`` (a Dask address),
    ``dask="local"`` (a LocalCluster), ``workers=1`` (serial), else a local pool."""
    if scheduler is not None:
        return DaskBackend(scheduler, connect_timeout_s=connect_timeout_s)
    if dask is not None:
        if dask != "local":
            raise StudyError("--dask", "", f"expected 'local', got {dask!r}")
        return DaskBackend(None, workers)
    if workers == 1:
        return SerialBackend()
    return LocalBackend(workers)


# ----------------------------------------------------------------------------- storage


class RunStore:
    """Finished runs, one JSON file each under ``folder/runs`` (``folder`` None: kept in
    memory only)."""

    def __init__(self, folder: str | os.PathLike | None) -> None:
        self.folder = None if folder is None else Path(folder) / "runs"
        self._memory: dict[str, dict] = {}
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> dict | None:
        if self.folder is None:
            return self._memory.get(key)
        path = self.folder / f"{key}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def put(self, record: dict) -> None:
        if self.folder is None:
            self._memory[record["key"]] = record
            return
        from dronesim.sim.report import atomic_write_bytes

        atomic_write_bytes(
            self.folder / f"{record['key']}.json",
            json.dumps(record, default=json_default).encode("utf-8"),
        )


@dataclass
class RunCounts:
    """What a call ran: ``ran`` runs (of which ``failed`` failed), ``skipped`` (stored)."""

    ran: int = 0
    failed: int = 0
    skipped: int = 0
    keys_ran: list[str] = field(default_factory=list)


def run_tasks(
    tasks: Sequence[RunTask],
    backend,
    store: RunStore,
    runner: Callable | None = None,
    progress: bool = False,
    label: str = "runs",
) -> tuple[list[dict], RunCounts]:
    """Run the tasks not yet stored as ``ok``; returns every task's record (in task order)
    and the counts. Each record is stored as it arrives."""
    counts = RunCounts()
    records: dict[str, dict] = {}
    todo = []
    seen = set()
    for task in tasks:
        stored = store.get(task.key)
        if stored is not None and stored.get("status") == "ok":
            records[task.key] = stored
            counts.skipped += 1
        elif task.key not in seen:  # the same run twice in a design runs once
            todo.append(task)
            seen.add(task.key)
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="run", desc=label, file=sys.stderr, mininterval=0.5)
        bar.set_postfix(failed=0, running=min(backend.workers, len(todo)))
    try:
        for record in backend.map(todo, runner):
            if record["key"] in records:  # never counted twice
                continue
            store.put(record)
            records[record["key"]] = record
            counts.ran += 1
            counts.keys_ran.append(record["key"])
            if record["status"] != "ok":
                counts.failed += 1
            if bar is not None:
                bar.update(1)
                left = len(todo) - counts.ran
                bar.set_postfix(failed=counts.failed, running=min(backend.workers, left))
    finally:
        if bar is not None:
            bar.close()
    # A stored run may come from another study (or design point) that resolved to the
    # same scenario: its report is this run's, its labels are this task's.
    return [
        {**records[task.key], "point": task.point, "params": dict(task.params), "seed": task.seed}
        for task in tasks
    ], counts


def _connect(address: str, timeout_s: float):
    """A Dask `Client` of the scheduler at ``address``, within ``timeout_s`` in all.

    Dask's own timeout covers the TCP connect only: a port that accepts but is no Dask
    scheduler (a web server, the dashboard's port) would hold the handshake for ever. So
    the whole connection, and a first question to the scheduler, run in a thread the
    caller stops waiting for.

    Raises
    ------
    StudyError
        A malformed address, or no Dask scheduler answering there in time.
    """
    import threading
    import urllib.parse

    from distributed import Client

    parts = urllib.parse.urlsplit(address)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("tcp", "tls", "ucx", "ws", "wss") or not parts.hostname or not port:
        raise StudyError("--scheduler", "", f"expected tcp://HOST:PORT, got {address!r}")
    outcome: dict = {}

    def connect() -> None:
        try:
            client = Client(address, timeout=f"{timeout_s}s")
            client.scheduler_info()
            outcome["client"] = client
        except BaseException as error:  # noqa: BLE001 (reported on one line below)
            outcome["error"] = error

    thread = threading.Thread(target=connect, name="dronesim-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout_s + 2.0)
    if "client" in outcome:
        return outcome["client"]
    if thread.is_alive():
        raise StudyError(
            "--scheduler", "", f"{address}: no Dask scheduler answered within {timeout_s:g} s"
        )
    error = outcome.get("error")
    text = str(error).strip().splitlines()[0][:200] if error is not None and str(error) else ""
    raise StudyError(
        "--scheduler",
        "",
        f"{address}: cannot connect ({type(error).__name__}{': ' + text if text else ''})",
    )
