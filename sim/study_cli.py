"""The study commands: ``dronesim sweep`` and ``dronesim capacity`` (``dronesim bench sweep``
lives with the other benchmarks in `dronesim.sim.cli`).

Registered by `dronesim.sim.cli`; bad input raises the project's `InputError` kinds, which
the command line prints on one line with exit status 2, before any run starts (study file,
every design point's scenario, output folder, scheduler address).

Exit status of ``sweep``: 0 when every run succeeded, else 10 + the number of failed runs
(127 for 117 or more: under 128, which shells read as a signal), apart from 2 (bad input)
and 130 (interrupted). ``capacity``: 0 when
a value meets the target, 1 when none in the range does.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tomllib
from pathlib import Path

from dronesim.maps.errors import CommandError

EXIT_FAILED_BASE = 10
EXIT_FAILED_MAX = 127  # 128 and above read as a signal's number


def add_commands(commands) -> None:
    """Register ``sweep`` and ``capacity`` on the top-level subparsers."""
    sweep = commands.add_parser(
        "sweep", help="run a study: a parameter sweep over scenarios, with seeds, on a backend"
    )
    sweep.add_argument(
        "study", nargs="?", help="bundled study name (see --list) or a study .toml path"
    )
    sweep.add_argument("--list", action="store_true", help="list the bundled studies")
    sweep.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder: runs/, runs.parquet/.csv, summary.parquet/.csv, plots/ "
        "(default ./<study name>; a rerun skips the runs stored there)",
    )
    sweep.add_argument("--no-plots", action="store_true", help="write no plots")
    _backend_options(sweep)
    sweep.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    sweep.set_defaults(handler=_sweep)

    capacity = commands.add_parser(
        "capacity",
        help="smallest value of a scenario field meeting a target (bisection over seeds)",
    )
    capacity.add_argument("scenario", help="bundled scenario name or a .toml path")
    capacity.add_argument(
        "--vary", required=True, metavar="PATH", help="scenario field, e.g. fleet.drones_per_depot"
    )
    capacity.add_argument(
        "--target",
        required=True,
        metavar="EXPR",
        help="'METRIC OP VALUE', e.g. 'on_time_share >= 0.95' (a report field or alias)",
    )
    capacity.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    capacity.add_argument("--low", type=float, default=1.0, help="smallest value (default 1)")
    capacity.add_argument(
        "--high",
        type=float,
        help="largest value (default: the scenario's, doubled until the target is met)",
    )
    capacity.add_argument(
        "--step", type=float, default=1.0, help="resolution (default 1: integers)"
    )
    capacity.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="fix a scenario field for every run (TOML value; repeatable)",
    )
    capacity.add_argument(
        "--duration", type=float, metavar="S", help="simulated seconds of each run"
    )
    capacity.add_argument(
        "--out",
        type=Path,
        default=Path("capacity"),
        metavar="DIR",
        help="runs/ (reused by a rerun), capacity.csv and capacity.png (default ./capacity)",
    )
    _backend_options(capacity)
    capacity.add_argument("--quiet", action="store_true", help="no progress bar")
    capacity.set_defaults(handler=_capacity)


def _backend_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("backend")
    group.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="local worker processes (default: the core count; 1: serial in this process)",
    )
    group.add_argument(
        "--dask",
        metavar="local",
        help="'local': start a distributed.LocalCluster (--workers processes) and use it",
    )
    group.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask distributed cluster"
    )
    group.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds to wait for --scheduler (default 10)",
    )


def _check_backend_options(args: argparse.Namespace) -> None:
    if args.workers is not None and args.workers < 1:
        raise CommandError(f"--workers: must be >= 1, got {args.workers}")
    if args.dask is not None and args.dask != "local":
        raise CommandError(f"--dask: expected 'local', got {args.dask!r}")
    if args.dask is not None and args.scheduler is not None:
        raise CommandError("--dask: give --dask local or --scheduler, not both")
    if not (math.isfinite(args.connect_timeout) and args.connect_timeout > 0):
        raise CommandError(f"--connect-timeout: must be > 0, got {args.connect_timeout}")


def _make_backend(args: argparse.Namespace):
    from dronesim.sim.study import make_backend

    return make_backend(args.workers, args.dask, args.scheduler, args.connect_timeout)


def _check_folder(path: Path, option: str) -> None:
    """Make ``path`` (a folder) and check a file can be written in it, before any run."""
    import tempfile

    if path.exists() and not path.is_dir():
        raise CommandError(f"{option}: {path}: not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=path, prefix=".check.")
    except OSError as error:
        raise CommandError(f"{option}: {path}: cannot write ({error.strerror or error})") from None
    os.close(handle)
    os.unlink(probe)


def _sweep(args: argparse.Namespace) -> int:
    from dronesim.sim.study import build_tasks, bundled_studies, load_study, run_study

    if args.list:
        for name, description in bundled_studies().items():
            print(f"{name:18s}  {description}")
        return 0
    if args.study is None:
        raise CommandError("sweep: give a study (a bundled name or a .toml path), or --list")
    _check_backend_options(args)
    study = load_study(args.study)
    tasks = build_tasks(study)  # every design point's scenario, validated now
    out = args.out or Path(study.name)
    _check_folder(out, "--out")
    backend = _make_backend(args)
    try:
        if not args.quiet:
            print(
                f"{study.name}: {len(tasks) // len(study.seeds)} design points x "
                f"{len(study.seeds)} seeds = {len(tasks)} runs on {backend.name} "
                f"({backend.workers} worker{'s' if backend.workers != 1 else ''})",
                file=sys.stderr,
            )
        result = run_study(
            study,
            out,
            backend,
            progress=not args.quiet,
            plots=not args.no_plots,
            tasks=tasks,
        )
    except KeyboardInterrupt:
        stored = len(list((out / "runs").glob("*.json"))) if (out / "runs").is_dir() else 0
        print(
            f"dronesim: interrupted: {stored} runs stored in {out}/runs; the same command "
            "again runs only the missing ones",
            file=sys.stderr,
        )
        raise
    finally:
        backend.close()
    failed = result.failed
    if not args.quiet:
        print(_summary_text(result))
        print(
            f"runs: {result.counts.ran} ran ({result.counts.failed} failed), "
            f"{result.counts.skipped} stored already; {failed} failed in all"
        )
        for row in result.table[result.table["status"] != "ok"].itertuples():
            print(f"failed: point {row.point} seed {row.seed}: {row.error}")
        print(f"written: {out}/runs.parquet, runs.csv, summary.parquet, summary.csv, plots/")
    return 0 if failed == 0 else min(EXIT_FAILED_BASE + failed, EXIT_FAILED_MAX)


def _summary_text(result) -> str:
    summary = result.summary
    study = result.study
    headers = [*study.parameter_paths, "runs", "failed"] + list(study.metrics)
    rows = []
    for row in summary.to_dict("records"):
        cells = [str(row[p]) for p in study.parameter_paths] + [
            str(row["runs"]),
            str(row["failed"]),
        ]
        for metric in study.metrics:
            mean, low, high = (row[f"{metric}.{k}"] for k in ("mean", "ci_low", "ci_high"))
            if not math.isfinite(mean):
                cells.append("-")
            elif math.isfinite(low):
                cells.append(f"{mean:.4g} [{low:.4g}, {high:.4g}]")
            else:
                cells.append(f"{mean:.4g}")
        rows.append(cells)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.append("metrics: mean over the seeds [95 % confidence interval]")
    return "\n".join(lines)


def _parse_set(items: list[str]) -> list[tuple[str, object]]:
    fixed = []
    for item in items:
        path, sep, text = item.partition("=")
        if not sep or not path.strip():
            raise CommandError(f"--set: expected PATH=VALUE, got {item!r}")
        try:
            value = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = text.strip()  # a bare word: a string
        fixed.append((path.strip(), value))
    return fixed


def _capacity(args: argparse.Namespace) -> int:
    from dronesim.sim.capacity import find_capacity, parse_target, plot_capacity

    _check_backend_options(args)
    if args.seeds < 1:
        raise CommandError(f"--seeds: must be >= 1, got {args.seeds}")
    for option in ("low", "step"):
        if not math.isfinite(getattr(args, option)):
            raise CommandError(f"--{option}: must be finite, got {getattr(args, option)}")
    if args.high is not None and not math.isfinite(args.high):
        raise CommandError(f"--high: must be finite, got {args.high}")
    fixed = _parse_set(args.set)
    if args.duration is not None:
        if not (math.isfinite(args.duration) and args.duration > 0):
            raise CommandError(f"--duration: must be > 0, got {args.duration}")
        fixed.append(("duration_s", args.duration))
    target = parse_target(args.target)
    _check_folder(args.out, "--out")
    backend = None
    try:
        from dronesim.sim.study import scenario_text

        scenario_text(args.scenario)  # a missing scenario before any cluster starts
        backend = _make_backend(args)
        result = find_capacity(
            args.scenario,
            args.vary,
            target,
            range(args.seeds),
            args.low,
            args.high,
            step=args.step,
            fixed=fixed,
            backend=backend,
            out=args.out,
            progress=not args.quiet,
        )
    finally:
        if backend is not None:
            backend.close()
    table = result.table()
    print(f"{args.vary:>24}  {'mean':>10}  {'95 % CI':>21}  runs  failed  met")
    for row in table.itertuples():
        interval = f"[{row.ci_low:.4g}, {row.ci_high:.4g}]" if math.isfinite(row.ci_low) else "-"
        print(
            f"{row.value!s:>24}  {row.mean:>10.4g}  {interval:>21}  {row.runs:>4}  "
            f"{row.failed:>6}  {'yes' if row.met else 'no'}"
        )
    table.to_csv(args.out / "capacity.csv", index=False)
    plot = plot_capacity(result, args.out / "capacity.png")
    if result.answer is None:
        print(f"no value in the range meets {target} (mean of {args.seeds} seeds)")
    else:
        row = table[table["value"] == result.answer].iloc[0]
        interval = (
            f", 95 % CI [{row.ci_low:.4g}, {row.ci_high:.4g}]" if math.isfinite(row.ci_low) else ""
        )
        print(
            f"answer: {args.vary} = {result.answer} meets {target} "
            f"(mean {row['mean']:.4g}{interval}; {args.seeds} seeds)"
        )
    print(f"written: {args.out / 'capacity.csv'}, {plot}")
    return 0 if result.answer is not None else 1
