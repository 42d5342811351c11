"""Capacity: the smallest value of a scenario field that meets a target, by bisection.

``dronesim capacity demo --vary fleet.drones_per_depot --target "on_time_share >= 0.95"``:
each value sampled runs once per seed (on any study backend, through the study's run
store, so a rerun reuses them) and is judged on the mean over the seeds; the curve sampled
is kept with each mean's 95 % confidence interval (`dronesim.sim.study.mean_interval`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dronesim.sim.scenario import ScenarioError
from dronesim.sim.study import (
    check_metric,
    mean_interval,
    resolve_scenario,
    run_key,
    scenario_text,
)
from dronesim.sim.study_runs import (
    LocalBackend,
    RunCounts,
    RunStore,
    RunTask,
    StudyError,
    run_tasks,
)

_OPERATORS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


@dataclass(frozen=True)
class Target:
    """``metric OP value``: met when the mean over the seeds satisfies it."""

    metric: str  # as written (an alias or a report path)
    column: str  # the report path
    operator: str
    value: float

    def met(self, mean: float) -> bool:
        return math.isfinite(mean) and _OPERATORS[self.operator](mean, self.value)

    def __str__(self) -> str:
        return f"{self.metric} {self.operator} {self.value:g}"


def parse_target(text: str) -> Target:
    """``"on_time_share >= 0.95"`` as a `Target`; `StudyError` naming ``--target`` if not."""
    for operator in (">=", "<=", ">", "<"):
        if operator in text:
            metric, _, value = (part.strip() for part in text.partition(operator))
            break
    else:
        raise StudyError(
            "--target", "", f"expected 'METRIC OP VALUE' (OP: >=, <=, >, <), got {text!r}"
        )
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise StudyError(
            "--target", "", f"expected a finite number after {operator!r}, got {value!r}"
        )
    column = check_metric(metric, "--target", metric)
    return Target(metric, column, operator, number)


@dataclass
class CapacityResult:
    """The smallest value meeting the target (None if none in range) and the ``curve``
    sampled: one row per value (mean, interval, runs, failures, whether met)."""

    vary: str
    target: Target
    answer: float | int | None
    curve: list[dict[str, Any]]
    counts: RunCounts

    def table(self):
        import pandas as pd

        return pd.DataFrame(self.curve).sort_values("value").reset_index(drop=True)


def find_capacity(
    scenario: str,
    vary: str,
    target: Target | str,
    seeds: Sequence[int],
    low: float,
    high: float | None = None,
    *,
    step: float = 1.0,
    fixed: Sequence[tuple[str, Any]] = (),
    backend=None,
    out: str | os.PathLike | None = None,
    runner: Callable | None = None,
    progress: bool = False,
    base_dir: Path | None = None,
) -> CapacityResult:
    """The smallest value of ``vary`` (from ``low`` up, in ``step``) whose mean of
    ``target.metric`` over ``seeds`` meets the target, by bisection.

    The metric is assumed to improve with the value (more drones, better service): the
    search checks ``high`` meets the target (``high`` None: the base scenario's value,
    doubled until met, at most 8 times) and ``low`` does not, then halves the bracket.
    Integer parameters (``step`` 1 and integer ends) are searched over integers, others to
    within ``step``. Runs go to ``backend`` and, with ``out``, to the run store (a rerun
    reuses them).

    Returns
    -------
    CapacityResult
    """
    target = parse_target(target) if isinstance(target, str) else target
    text, source, folder = scenario_text(scenario, base_dir)
    integer = float(step).is_integer() and float(low).is_integer()
    if not (math.isfinite(step) and step > 0):
        raise StudyError("--step", "", f"must be > 0, got {step}")
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise StudyError("--seeds", "", "at least one seed")

    def value_of(x: float):
        return int(round(x)) if integer else float(x)

    def tasks_for(x) -> list[RunTask]:
        overrides = [*fixed, (vary, value_of(x))]
        try:
            resolved = resolve_scenario(text, source, folder, overrides)
        except ScenarioError as error:
            raise StudyError("--vary", vary, f"= {value_of(x)!r}: {error}") from None
        return [
            RunTask(run_key(resolved, s), 0, ((vary, value_of(x)),), s, resolved) for s in seeds
        ]

    base = resolve_scenario(text, source, folder, list(fixed))
    auto_high = high is None
    if high is None:
        current = _get_path(dataclasses.asdict(base), vary)
        if isinstance(current, (list, tuple)) and len(current) == 1:
            current = current[0]
        if not isinstance(current, (int, float)) or isinstance(current, bool):
            raise StudyError(
                "--vary", vary, f"not a number in the base scenario ({current!r}); give --high"
            )
        high = max(float(current), float(low) + step)
    if not high >= low:
        raise StudyError("--high", "", f"must be >= --low ({low:g}), got {high:g}")
    tasks_for(low)
    tasks_for(high)  # both ends valid before any run

    store = RunStore(out)
    own = backend is None
    backend = LocalBackend() if own else backend
    counts = RunCounts()
    curve: dict[Any, dict] = {}

    def evaluate(*xs) -> bool:
        """Run the values not sampled yet together (one batch keeps every worker busy);
        whether the first meets the target."""
        fresh = sorted({value_of(x) for x in xs} - set(curve))
        value_of_key = {}
        tasks = []
        for value in fresh:
            for task in tasks_for(value):
                value_of_key[task.key] = value
                tasks.append(task)
        label = f"{vary}={','.join(map(str, fresh))}"
        records, done = run_tasks(tasks, backend, store, runner, progress, label)
        counts.ran += done.ran
        counts.failed += done.failed
        counts.skipped += done.skipped
        for value in fresh:
            mine = [r for r in records if value_of_key[r["key"]] == value]
            found = [_get_path(r["report"], target.column) for r in mine if r["status"] == "ok"]
            found = [float(v) for v in found if isinstance(v, (int, float))]
            mean, ci_low, ci_high = mean_interval(found)
            curve[value] = {
                "value": value,
                "mean": mean,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "runs": len(mine),
                "failed": len(mine) - len(found),
                "met": target.met(mean) and len(found) == len(mine),
            }
        return curve[value_of(xs[0])]["met"]

    answer = None
    try:
        doublings = 0
        while not evaluate(high, low):
            if not auto_high or doublings >= 8 or high >= 2**31:
                break
            low, high = high, high * 2
            doublings += 1
        else:
            if evaluate(low):
                answer = value_of(low)
            else:
                lo, hi = low, high
                while (hi - lo) > step * (1 + 1e-9):
                    mid = (lo + hi) / 2
                    if integer:
                        mid = math.floor(mid)
                    if evaluate(mid):
                        hi = mid
                    else:
                        lo = mid
                answer = value_of(hi)
    finally:
        if own:
            backend.close()
    return CapacityResult(vary, target, answer, list(curve.values()), counts)


def _get_path(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def plot_capacity(result: CapacityResult, path: Path) -> Path:
    """The sampled curve: mean and 95 % interval against the value, the target line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = result.table()
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    axes.errorbar(
        table["value"],
        table["mean"],
        yerr=[
            (table["mean"] - table["ci_low"]).fillna(0).clip(lower=0),
            (table["ci_high"] - table["mean"]).fillna(0).clip(lower=0),
        ],
        marker="o",
        capsize=3,
        label=f"mean of {table['runs'].max()} seeds, 95 % CI",
    )
    axes.axhline(result.target.value, color="grey", linestyle="--", label=str(result.target))
    if result.answer is not None:
        axes.axvline(result.answer, color="green", linestyle=":", label=f"answer {result.answer}")
    axes.set_xlabel(result.vary)
    axes.set_ylabel(result.target.metric)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
