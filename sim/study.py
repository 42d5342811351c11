"""Studies above single runs: parameter sweeps over scenario fields, with replications.

A study names a base scenario, the scenario fields to vary (by dotted path, e.g.
``fleet.drones_per_depot``), a design (full factorial, Latin hypercube, or an explicit list
of points), the seeds of the replications and the report fields to summarize. Every run
is an ordinary simulation (`Simulation(scenario, seed=...).run()`, what ``dronesim run``
does) and its report is stored whole.

Overrides are applied to the base scenario's TOML table and the result goes through the
scenario reader again (`scenario.from_toml_text`), so a study can set exactly what a
scenario file can, and a wrong path or value fails with the reader's own one-line error.
Every design point is built and validated before the first run starts.

Runs are keyed by `run_key`: a SHA-256 of the canonical JSON of the whole resolved
scenario (every field, the wind file's rows and the map file's digest included; its
``source`` label excluded) and the seed. A study's output folder keeps one JSON file per
finished run (``runs/<key>.json``), so running the study again runs only what is missing
(a crash or Ctrl-C loses at most the runs in flight), and two studies that share runs
share the files.

Where runs happen is `dronesim.sim.study_runs` (a serial loop, a local process pool or a
Dask cluster: the same reports on each); capacity searches are `dronesim.sim.capacity`.

Summary statistics: for each design point and metric, the mean over the seeds that ran
and the 95 % confidence interval of that mean, ``mean +- t(0.975, n-1) s / sqrt(n)``
(Student's t, ``s`` the sample standard deviation); undefined (NaN) with fewer than two
seeds.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import itertools
import json
import math
import os
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dronesim.sim.scenario import (
    Scenario,
    ScenarioError,
    bundled_scenario_text,
    bundled_scenarios,
    from_toml_text,
)
from dronesim.sim.study_runs import (
    MAX_LOSSES,
    DaskBackend,
    LocalBackend,
    RunCounts,
    RunStore,
    RunTask,
    SerialBackend,
    StudyError,
    execute,
    json_default,
    make_backend,
    run_tasks,
    simulate,
)

# The backends and runs, importable from here too: the study API in one place.
__all__ = [
    "MAX_LOSSES",
    "DaskBackend",
    "LocalBackend",
    "Parameter",
    "RunStore",
    "RunTask",
    "SerialBackend",
    "Study",
    "StudyError",
    "StudyResult",
    "build_tasks",
    "execute",
    "load_study",
    "make_backend",
    "run_study",
    "run_tasks",
    "simulate",
]

DESIGNS = ("factorial", "lhs", "list")
# Report fields read with another name: the "on-time share" is the share of all
# orders delivered on time (``on_time_rate`` is the share of the delivered ones).
METRIC_ALIASES = {
    "on_time_share": "order_shares.delivered_on_time",
    "delivered_share": "order_shares.delivered",
    "late_share": "order_shares.delivered_late",
    "pending_share": "order_shares.pending",
}
# Keys of the report's fixed-shape sub-tables (see `dronesim.sim.report`); the others
# (``failed_reasons``, ``order_shares.failed``) have one key per reason and go into the
# table as JSON text, like the lists.
_NESTED_KEYS = {
    "order_shares": ("delivered", "delivered_on_time", "delivered_late", "pending"),
    "delivery_time_s": ("mean", "p50", "p90", "p99"),
    "separation_losses_by_phase": ("cruise", "vertical", "mixed"),
    "time_s": ("planning", "dispatch", "stepping", "setup"),
    "takeoff_delay_s": ("mean", "p90", "max", "departures"),
}
# Columns that hold wall-clock timings: never compared between runs.
WALL_COLUMNS = (
    "wall_seconds",
    "run_wall_s",
    "run_cpu_s",
    "worker",
    *(f"time_s.{k}" for k in _NESTED_KEYS["time_s"]),
)
# Student's t quantile t(0.975, df) for df = 1..30; above, the normal 1.96 is within 2 %.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
# ----------------------------------------------------------------------------- the study


@dataclass(frozen=True)
class Parameter:
    """A varied scenario field: ``path`` (dotted, ``drone[1].battery_wh`` for a list
    entry) and either its ``values`` (factorial designs, or choices for a hypercube) or a
    ``low``/``high`` range (hypercube designs; integers when both ends are integers)."""

    path: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Study:
    """A sweep over scenario fields: see the module docstring.

    Parameters
    ----------
    name : str
        Names the study in outputs.
    scenario : str
        The base scenario: a bundled name (``demo``) or a ``.toml`` path.
    parameters : tuple of Parameter
        The varied fields (none: the base scenario alone, over the seeds).
    design : str
        ``factorial`` (every combination of the values), ``lhs`` (``samples`` points of a
        Latin hypercube drawn with ``design_seed``) or ``list`` (``points``).
    seeds : tuple of int
        The replications: each design point runs once with each seed.
    metrics : tuple of str
        Report fields summarized and plotted (dotted paths into the report, e.g.
        ``order_shares.delivered_on_time``, or an alias of `METRIC_ALIASES`).
    fixed : tuple of (str, value)
        Overrides applied to every run (e.g. ``("duration_s", 3600)``).
    """

    name: str
    scenario: str
    parameters: tuple[Parameter, ...] = ()
    design: str = "factorial"
    samples: int = 0
    design_seed: int = 0
    points: tuple[tuple[tuple[str, Any], ...], ...] = ()
    seeds: tuple[int, ...] = (0,)
    metrics: tuple[str, ...] = ("order_shares.delivered_on_time",)
    fixed: tuple[tuple[str, Any], ...] = ()
    description: str = ""
    source: str = "<study>"
    base_dir: Path | None = None  # resolves a scenario path given relative to the file

    @classmethod
    def read(cls, path: str | os.PathLike) -> Study:
        """Read a study TOML file (see the README, "Studies").

        Raises
        ------
        StudyError
            Unreadable file, bad TOML, unknown key, wrong type, empty design.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise StudyError(str(path), "", "no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise StudyError(str(path), "", f"cannot read ({error})") from None
        return study_from_toml_text(text, str(path), base_dir=path.parent)

    @property
    def parameter_paths(self) -> tuple[str, ...]:
        if self.design == "list":
            return tuple(path for path, _ in self.points[0]) if self.points else ()
        return tuple(p.path for p in self.parameters)

    def design_points(self) -> list[dict[str, Any]]:
        """The design: one ``{path: value}`` per point, in a fixed order."""
        if self.design == "list":
            return [dict(point) for point in self.points]
        if self.design == "lhs":
            return _latin_hypercube(self.parameters, self.samples, self.design_seed)
        return [
            dict(zip(self.parameter_paths, combination))
            for combination in itertools.product(*(p.values for p in self.parameters))
        ]

    def base_text(self) -> tuple[str, str, Path | None]:
        """The base scenario's TOML text, its source label and the folder its relative
        paths are read from."""
        return scenario_text(self.scenario, self.base_dir)


def study_from_toml_text(text: str, source: str, base_dir: Path | None = None) -> Study:
    """Parse and check a study TOML text (``source`` names it in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise StudyError(source, "", f"bad TOML ({error})") from None
    known = {"name", "description", "scenario", "seeds", "metrics", "set", "parameters", "design"}
    for key in data:
        if key not in known:
            raise StudyError(source, key, f"unknown key (known: {', '.join(sorted(known))})")

    def fail(field_path: str, message: str):
        raise StudyError(source, field_path, message)

    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        fail("name", f"expected a non-empty string, got {name!r}")
    scenario = data.get("scenario")
    if not isinstance(scenario, str) or not scenario:
        fail("scenario", f"expected a bundled scenario name or a .toml path, got {scenario!r}")
    seeds = data.get("seeds", [0])
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            fail("seeds", f"a count must be >= 1, got {seeds}")
        seeds = list(range(seeds))
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
    ):
        fail("seeds", f"expected a count or a non-empty list of integers >= 0, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        fail("seeds", f"a seed is given twice, got {seeds!r}")
    metrics = data.get("metrics", ["order_shares.delivered_on_time"])
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, list) or not metrics:
        fail("metrics", f"expected a non-empty list of report fields, got {metrics!r}")
    for metric in metrics:
        check_metric(metric, source, "metrics")
    fixed = data.get("set", {})
    if not isinstance(fixed, dict):
        fail("set", f"expected a table of scenario fields, got {fixed!r}")
    design_table = data.get("design", {})
    if not isinstance(design_table, dict):
        fail("design", f"expected a table, got {design_table!r}")
    for key in design_table:
        if key not in ("kind", "samples", "seed", "points"):
            fail(f"design.{key}", "unknown key (known: kind, points, samples, seed)")
    kind = design_table.get("kind", "factorial")
    if kind not in DESIGNS:
        fail("design.kind", f"expected one of {', '.join(DESIGNS)}, got {kind!r}")
    parameters_table = data.get("parameters", {})
    if not isinstance(parameters_table, dict):
        fail("parameters", f"expected a table of scenario fields, got {parameters_table!r}")
    flat = _flatten(parameters_table, ranges=True)
    parameters = []
    samples = 0
    points: list[tuple[tuple[str, Any], ...]] = []
    if kind == "list":
        if flat:
            fail("parameters", "a list design gives its points in [[design.points]], not here")
        raw = design_table.get("points")
        if not isinstance(raw, list) or not raw:
            fail("design.points", f"the design is empty: give at least one point, got {raw!r}")
        for index, point in enumerate(raw):
            if not isinstance(point, dict) or not point:
                fail(f"design.points[{index}]", f"expected a table of fields, got {point!r}")
            items = tuple(sorted(_flatten(point).items()))
            if points and [p for p, _ in items] != [p for p, _ in points[0]]:
                fail(
                    f"design.points[{index}]",
                    f"every point sets the same fields ({', '.join(p for p, _ in points[0])}), "
                    f"got {', '.join(p for p, _ in items)}",
                )
            points.append(items)
    else:
        for path, spec in flat.items():
            where = f"parameters.{path}"
            if isinstance(spec, list):
                if not spec:
                    fail(where, "the design is empty: no values")
                parameters.append(Parameter(path, values=tuple(spec)))
            elif isinstance(spec, dict):
                low, high = spec.get("low"), spec.get("high")
                if set(spec) - {"low", "high"} or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)
                ):
                    fail(where, f"expected a range {{low = A, high = B}}, got {spec!r}")
                if kind != "lhs":
                    fail(where, f"a range needs design.kind = 'lhs', got {spec!r}")
                if not (math.isfinite(low) and math.isfinite(high) and low <= high):
                    fail(where, f"expected finite low <= high, got {spec!r}")
                parameters.append(Parameter(path, low=low, high=high))
            else:
                fail(where, f"expected a list of values or a range, got {spec!r}")
        if kind == "lhs":
            samples = design_table.get("samples")
            if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
                fail("design.samples", f"a Latin hypercube needs samples >= 1, got {samples!r}")
            if not parameters:
                fail("parameters", "the design is empty: a Latin hypercube needs a parameter")
        elif "samples" in design_table:
            fail("design.samples", f"only for design.kind = 'lhs', got {design_table['samples']!r}")
    design_seed = design_table.get("seed", 0)
    if not isinstance(design_seed, int) or isinstance(design_seed, bool) or design_seed < 0:
        fail("design.seed", f"expected an integer >= 0, got {design_seed!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        fail("description", f"expected a string, got {description!r}")
    return Study(
        name=name,
        scenario=scenario,
        parameters=tuple(parameters),
        design=kind,
        samples=samples,
        design_seed=design_seed,
        points=tuple(points),
        seeds=tuple(seeds),
        metrics=tuple(metrics),
        fixed=tuple(sorted(_flatten(fixed).items())),
        description=description,
        source=source,
        base_dir=base_dir,
    )


def _flatten(table: dict, prefix: str = "", ranges: bool = False) -> dict[str, Any]:
    """``{"fleet": {"drones_per_depot": v}}`` and ``{"fleet.drones_per_depot": v}`` both
    give ``{"fleet.drones_per_depot": v}`` (a quoted dotted key is one TOML key); with
    ``ranges``, a ``{low, high}`` table is a value."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and not (
            ranges and set(value) and set(value) <= {"low", "high"}
        ):
            flat.update(_flatten(value, f"{path}.", ranges))
        else:
            flat[path] = value
    return flat


def _latin_hypercube(
    parameters: Sequence[Parameter], samples: int, seed: int
) -> list[dict[str, Any]]:
    """``samples`` points, each parameter's range cut in ``samples`` equal strata and each
    stratum used once (McKay, Beckman & Conover 1979); integer ranges are sampled over
    their integers, value lists by index."""
    import numpy as np

    rng = np.random.default_rng(seed)
    columns = []
    for parameter in parameters:
        u = (rng.permutation(samples) + rng.random(samples)) / samples
        if parameter.values:
            n = len(parameter.values)
            columns.append([parameter.values[min(int(x * n), n - 1)] for x in u])
        elif isinstance(parameter.low, int) and isinstance(parameter.high, int):
            span = parameter.high - parameter.low + 1
            columns.append([parameter.low + min(int(x * span), span - 1) for x in u])
        else:
            columns.append([parameter.low + float(x) * (parameter.high - parameter.low) for x in u])
    return [{p.path: column[i] for p, column in zip(parameters, columns)} for i in range(samples)]


def check_metric(metric: str, source: str = "<study>", field_path: str = "metrics") -> str:
    """The report path a metric names (an alias resolved); `StudyError` if the report has
    no such numeric field."""
    from dronesim.sim.report import REPORT_FIELDS

    path = METRIC_ALIASES.get(metric, metric)
    head, _, rest = path.partition(".")
    numeric = {
        name
        for name in REPORT_FIELDS
        if name
        not in (
            "scenario",
            "deconfliction",
            "failed_reasons",
            "battery_depletion_events",
            "depots",
            *_NESTED_KEYS,
        )
    }
    ok = (head in numeric and not rest) or (head in _NESTED_KEYS and rest in _NESTED_KEYS[head])
    if not ok:
        known = sorted(numeric) + [f"{k}.{v}" for k in _NESTED_KEYS for v in _NESTED_KEYS[k]]
        raise StudyError(
            source,
            field_path,
            f"{metric!r} is not a numeric report field (known: {', '.join(known)}; aliases: "
            f"{', '.join(METRIC_ALIASES)})",
        )
    return path


# ----------------------------------------------------------------------------- overrides


def scenario_text(name_or_path: str, base_dir: Path | None = None) -> tuple[str, str, Path | None]:
    """A scenario's TOML text, its source label (as `load_scenario` names it) and the
    folder its relative file names are read from."""
    if name_or_path in bundled_scenarios():
        return bundled_scenario_text(name_or_path)
    path = Path(name_or_path)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path  # relative to the study file, wherever it is run from
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            name_or_path,
            "",
            f"no bundled scenario or file of that name; bundled: {', '.join(bundled_scenarios())}",
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(str(path), "", f"cannot read ({error})") from None
    return text, str(path), path.parent


def set_path(table: dict, path: str, value: Any) -> None:
    """Set ``path`` (``a.b.c``, ``drone[1].battery_wh``) in a TOML table, making the
    missing tables; the scenario reader then refuses a path it does not know."""
    parts = path.split(".")
    if not all(parts):
        raise ValueError(f"{path!r}: an empty part in the dotted path")
    node = table
    for depth, part in enumerate(parts):
        name, index = part, None
        if part.endswith("]") and "[" in part:
            name, _, number = part[:-1].partition("[")
            if not number.isdigit():
                raise ValueError(f"{path!r}: expected an index in {part!r}")
            index = int(number)
        last = depth == len(parts) - 1
        if index is not None:
            entries = node.get(name)
            if not isinstance(entries, list) or index >= len(entries):
                raise ValueError(f"{path!r}: no entry {index} in {name!r}")
            if last:
                entries[index] = value
                return
            node = entries[index]
        elif last:
            node[name] = value
            return
        else:
            node = node.setdefault(name, {})
        if not isinstance(node, dict):
            raise ValueError(f"{path!r}: {'.'.join(parts[: depth + 1])} is not a table")


def to_toml(table: dict) -> str:
    """TOML text of a table (as read by `tomllib`): one ``key = value`` line per top-level
    key, nested tables inline. Floats keep every digit (``repr``)."""
    return "".join(f"{_toml_key(key)} = {_toml_value(value)}\n" for key, value in table.items())


def _toml_key(key: str) -> str:
    if key and all(c.isalnum() or c in "_-" for c in key) and key.isascii():
        return key
    return json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {value!r}")


def resolve_scenario(
    text: str, source: str, base_dir: Path | None, overrides: Iterable[tuple[str, Any]]
) -> Scenario:
    """The base scenario's TOML ``text`` with ``overrides`` (dotted path, value) applied,
    read and validated by the scenario reader.

    Raises
    ------
    ScenarioError
        A path the scenario does not have, or a value the reader refuses (its message).
    """
    table = tomllib.loads(text)
    for path, value in overrides:
        try:
            set_path(table, path, value)
        except ValueError as error:
            raise ScenarioError(source, path, str(error)) from None
    return from_toml_text(to_toml(table), source, base_dir=base_dir)


def run_key(scenario: Scenario, seed: int) -> str:
    """SHA-256 (hex) of the canonical JSON of the resolved scenario (``source`` left out,
    the files it names by their bytes, not their paths), the seed and the simulator's
    version: the identity of a run."""
    data = dataclasses.asdict(scenario)
    data.pop("source", None)
    if scenario.map.geojson:
        data["map"]["geojson"] = _file_digest(scenario.map.geojson)
    data["map"]["uas_zones"] = [_file_digest(path) for path in scenario.map.uas_zones or ()]
    text = json.dumps(
        {"scenario": data, "seed": int(seed), "dronesim": _version()},
        sort_keys=True,
        separators=(",", ":"),
        default=json_default,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_digest(path) -> str:
    """A file's SHA-256 (its contents identify a run, wherever the file lies)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return f"unreadable:{path}"  # the run itself then fails with the reader's error


def _version() -> str:
    """The installed dronesim's version: stored runs of another version are not reused."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dronesim")
    except PackageNotFoundError:
        return "unknown"


def build_tasks(study: Study) -> list[RunTask]:
    """Every run of the study, each scenario resolved and validated (nothing runs).

    Raises
    ------
    StudyError
        An unknown metric, no seeds, an empty design, or a point whose scenario the reader
        refuses (naming the study file, the point and the reader's message).
    """
    for metric in study.metrics:  # a study built in code is checked here
        check_metric(metric, study.source, "metrics")
    if not study.seeds:
        raise StudyError(study.source, "seeds", "no seeds: each point needs at least one run")
    points = study.design_points()
    if not points:
        raise StudyError(study.source, "design", "the design is empty: no points")
    try:
        text, source, folder = study.base_text()
    except ScenarioError as error:
        raise StudyError(study.source, "scenario", str(error)) from None
    tasks = []
    for index, point in enumerate(points):
        overrides = list(study.fixed) + list(point.items())
        try:
            scenario = resolve_scenario(text, source, folder, overrides)
        except ScenarioError as error:
            label = ", ".join(f"{p} = {v!r}" for p, v in point.items()) or "the base"
            raise StudyError(study.source, f"point {index} ({label})", str(error)) from None
        for seed in study.seeds:
            tasks.append(
                RunTask(run_key(scenario, seed), index, tuple(point.items()), seed, scenario)
            )
    return tasks


# ----------------------------------------------------------------------------- tables


def flatten_report(report: dict) -> dict[str, Any]:
    """One row's report columns: the fixed-shape sub-tables as ``field.key`` columns, the
    variable ones (failure reasons) and the lists as JSON text."""
    row: dict[str, Any] = {}
    for name, value in report.items():
        if name in _NESTED_KEYS and isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    row[f"{name}.{key}"] = json.dumps(item, sort_keys=True)
                else:
                    row[f"{name}.{key}"] = item
        elif isinstance(value, (dict, list)):
            row[name] = json.dumps(value, sort_keys=True)
        else:
            row[name] = value
    return row


def records_table(records: Sequence[dict], parameter_paths: Sequence[str]):
    """The tidy table (pandas): one row per run, ordered by design point and seed."""
    import pandas as pd

    rows = []
    for record in sorted(records, key=lambda r: (r["point"], r["seed"])):
        row: dict[str, Any] = {"point": record["point"]}
        for path in parameter_paths:
            row[path] = _cell(record["params"].get(path))
        row.update(
            seed=record["seed"],
            key=record["key"],
            status=record["status"],
            error=record["error"],
            run_wall_s=record.get("run_wall_s"),
            run_cpu_s=record.get("run_cpu_s"),
            worker=record.get("worker"),
        )
        if record["report"] is not None:
            report = flatten_report(record["report"])
            report.pop("seed", None)
            row.update(report)
        rows.append(row)
    table = pd.DataFrame(rows)
    for path in parameter_paths:
        # One type per column (Parquet): values of several kinds (a number and a list of
        # per-depot numbers, a number and a word) all as JSON text.
        kinds = {type(v) for v in table[path] if v is not None}
        if len(kinds) > 1 and not kinds <= {int, float}:
            table[path] = [v if isinstance(v, str) else json.dumps(v) for v in table[path]]
    return table


def _cell(value: Any) -> Any:
    """A parameter value as a table cell: lists (per-depot counts) as JSON text."""
    return json.dumps(value) if isinstance(value, (list, tuple, dict)) else value


def summarize(table, parameter_paths: Sequence[str], metrics: Sequence[str]):
    """Per design point: runs, failures, and each metric's mean and 95 % interval."""
    import pandas as pd

    rows = []
    for point, group in table.groupby("point", sort=True):
        row: dict[str, Any] = {"point": point}
        for path in parameter_paths:
            row[path] = group[path].iloc[0]
        ok = group[group["status"] == "ok"]
        row["runs"] = len(group)
        row["failed"] = int((group["status"] != "ok").sum())
        for metric in metrics:
            column = METRIC_ALIASES.get(metric, metric)
            values = (
                pd.to_numeric(ok[column], errors="coerce").dropna().tolist() if column in ok else []
            )
            mean, low, high = mean_interval(values)
            row[f"{metric}.mean"] = mean
            row[f"{metric}.ci_low"] = low
            row[f"{metric}.ci_high"] = high
            row[f"{metric}.n"] = len(values)
        rows.append(row)
    return pd.DataFrame(rows)


def mean_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and the 95 % Student-t confidence interval of the mean (NaN where undefined)."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = math.fsum(values) / n
    if n < 2:
        return mean, math.nan, math.nan
    s = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    t = _T975[n - 2] if n - 1 <= len(_T975) else 1.96
    half = t * s / math.sqrt(n)
    return mean, mean - half, mean + half


def plot_summary(summary, parameter_paths, metrics, folder: Path) -> list[Path]:
    """One PNG per metric and varied parameter: the mean against the parameter, one line
    per combination of the other parameters, the 95 % interval as a band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for metric in metrics:
        for path in parameter_paths:
            others = [p for p in parameter_paths if p != path]
            figure, axes = plt.subplots(figsize=(6.4, 4.2))
            groups = summary.groupby(others, sort=True) if others else [((), summary)]
            numeric = all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in summary[path]
            )
            categories = sorted({str(v) for v in summary[path]})
            if others and summary[others].drop_duplicates().shape[0] == len(summary):
                # Every point its own combination of the others (a Latin hypercube): lines
                # and bands of one point say nothing; each point's mean with its interval.
                _scatter_with_intervals(axes, summary, path, metric, numeric, categories)
                groups, others = [], []
            for names, unsorted in groups:
                group = unsorted.sort_values(
                    path, key=lambda s: s.astype(str) if not numeric else s
                )
                x = (
                    group[path].astype(float).to_numpy()
                    if numeric
                    else [categories.index(str(v)) for v in group[path]]
                )
                values = names if isinstance(names, tuple) else (names,)
                label = ", ".join(f"{p} = {v}" for p, v in zip(others, values)) or None
                line = axes.plot(x, group[f"{metric}.mean"], marker="o", label=label)[0]
                axes.fill_between(
                    x,
                    group[f"{metric}.ci_low"].astype(float),
                    group[f"{metric}.ci_high"].astype(float),
                    color=line.get_color(),
                    alpha=0.2,
                    linewidth=0,
                )
            if not numeric:
                axes.set_xticks(range(len(categories)), categories)
            axes.set_xlabel(path)
            axes.set_ylabel(f"{metric} (mean, 95 % CI)")
            axes.grid(alpha=0.3)
            if others:
                axes.legend(fontsize=8)
            figure.tight_layout()
            out = folder / f"{_slug(metric)}-vs-{_slug(path)}.png"
            figure.savefig(out, dpi=110)
            plt.close(figure)
            written.append(out)
    return written


def _scatter_with_intervals(axes, summary, path, metric, numeric, categories) -> None:
    """Each design point's mean against ``path``, its 95 % interval as an error bar."""
    import numpy as np

    x = (
        summary[path].astype(float).to_numpy()
        if numeric
        else [categories.index(str(v)) for v in summary[path]]
    )
    mean = summary[f"{metric}.mean"].astype(float).to_numpy()
    low = summary[f"{metric}.ci_low"].astype(float).to_numpy()
    high = summary[f"{metric}.ci_high"].astype(float).to_numpy()
    # One seed gives no interval (NaN): the point alone.
    below = np.where(np.isfinite(low), mean - low, 0.0)
    above = np.where(np.isfinite(high), high - mean, 0.0)
    axes.errorbar(x, mean, yerr=[below, above], fmt="o", capsize=3, alpha=0.8)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


# ----------------------------------------------------------------------------- the API


@dataclass
class StudyResult:
    """A study's outcome: the tidy ``table`` (pandas, one row per run), the ``summary``
    (one row per design point), the run ``counts`` and the files written."""

    study: Study
    table: Any
    summary: Any
    counts: RunCounts
    files: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Runs of the study that failed (stored ones included)."""
        return int((self.table["status"] != "ok").sum())


def run_study(
    study: Study,
    out: str | os.PathLike | None = None,
    backend=None,
    *,
    runner: Callable | None = None,
    progress: bool = False,
    plots: bool = True,
    tasks: Sequence[RunTask] | None = None,
) -> StudyResult:
    """Run a study and return its tables.

    Parameters
    ----------
    study : Study
        What to run (`Study.read` reads a file, `load_study` a bundled one).
    out : path, optional
        Output folder: ``runs/`` (one JSON per run, for resuming), ``runs.parquet`` and
        ``runs.csv`` (the tidy table), ``summary.parquet`` and ``summary.csv``, and
        ``plots/``. None: nothing written, nothing to resume.
    backend : optional
        `SerialBackend()`, `LocalBackend(n)` or `DaskBackend(...)`; default a local pool
        of one process per core. A backend given is left open (close it yourself).
    runner : callable, optional
        ``runner(scenario, seed) -> Report``, default `simulate` (a module-level function,
        so that worker processes can import it).
    progress : bool
        A progress bar on stderr.
    plots : bool
        Write the plots (with ``out``).
    tasks : sequence of RunTask, optional
        `build_tasks(study)` done already.

    Returns
    -------
    StudyResult
    """
    tasks = build_tasks(study) if tasks is None else tasks
    store = RunStore(out)
    own = backend is None
    backend = LocalBackend() if own else backend
    try:
        records, counts = run_tasks(tasks, backend, store, runner, progress, study.name)
    finally:
        if own:
            backend.close()
    paths = study.parameter_paths
    table = records_table(records, paths)
    summary = summarize(table, paths, study.metrics)
    result = StudyResult(study, table, summary, counts)
    if out is not None:
        folder = Path(out)
        result.files += write_tables(table, summary, folder)
        if plots:
            result.files += plot_summary(summary, paths, study.metrics, folder / "plots")
    return result


def write_tables(table, summary, folder: Path) -> list[Path]:
    """``runs`` and ``summary`` as Parquet and CSV in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("runs", table), ("summary", summary)):
        for suffix, write in (("parquet", frame.to_parquet), ("csv", frame.to_csv)):
            path = folder / f"{name}.{suffix}"
            write(path, index=False)
            written.append(path)
    return written


def bundled_studies() -> dict[str, str]:
    """Names of the bundled studies and their one-line descriptions."""
    from dronesim.sim.scenario import bundled_descriptions

    return bundled_descriptions("studies")


def load_study(name_or_path: str | os.PathLike) -> Study:
    """A bundled study by name (``demo-fleet-size``) or a study file by path."""
    text = os.fspath(name_or_path)
    if text in bundled_studies():
        entry = resources.files("dronesim.sim").joinpath("studies", f"{text}.toml")
        return study_from_toml_text(entry.read_text(encoding="utf-8"), f"{text}.toml (bundled)")
    path = Path(text)
    if not path.suffix and not path.exists():
        raise StudyError(
            text,
            "",
            f"no bundled study or file of that name; bundled: {', '.join(bundled_studies())}",
        )
    return Study.read(path)
