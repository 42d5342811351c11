"""numba's on-disk cache never serves a kernel compiled against an older dependency.

numba stamps a cached kernel with its own file only; `dronesim.planners._jit` adds a digest
of every kernel source. The end-to-end test copies the package into a temporary
``dronesim`` namespace, fills the cache with ``sim/_kernels.time_path`` (1 km of cruise),
doubles the power in ``planners/energy.py`` (a dependency, not the kernel's own file) and
asks again in a fresh process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dronesim.planners import _jit

REPO = Path(__file__).resolve().parents[2]
PACKAGE_FOLDERS = ("maps", "planners", "sim", "viz", "benchmarks")

PROBE = """
import json
import numpy as np
import dronesim.sim._kernels as K
from dronesim.planners.energy import DroneModel
from dronesim.planners.wind import WindField

xyz = np.array([[0.0, 0.0, 50.0], [1000.0, 0.0, 50.0]])
kind = np.array([K.SEG_MOVE, K.SEG_MOVE], np.int64)
times, energy = np.empty(2), np.empty(2)
calm = WindField.steady((0.0, 0.0))
K.time_path(DroneModel().as_array(), calm.table, calm.meta, np.empty(0), xyz, kind,
            np.zeros(2), np.full(2, 0.5), 0.0, 130.0, times, energy)
stats = K.time_path.stats
print(json.dumps({"file": K.__file__, "wh": 130.0 - energy[1],
                  "hits": sum(stats.cache_hits.values())}))
"""

POWER = "    return (weight * induced + parasitic) / eta + params[P_FIXED_POWER]\n"
DOUBLED = "    return 2.0 * ((weight * induced + parasitic) / eta + params[P_FIXED_POWER])\n"


def _copy_package(root: Path) -> Path:
    """The package folders as a ``dronesim`` namespace under ``root``, without caches."""
    target = root / "dronesim"
    for name in ("maps", "planners", "sim"):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _probe(root: Path, **env_extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(root), **env_extra)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        check=False,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["file"].startswith(str(root)), answer  # the copy, not the installed package
    return answer


def _set_power(package: Path, line: str) -> None:
    energy = package / "planners" / "energy.py"
    text = energy.read_text()
    old = DOUBLED if line == POWER else POWER
    assert old in text, "the power formula of planners/energy.py moved: update this test"
    energy.write_text(text.replace(old, line))


def test_editing_a_dependency_of_a_cached_kernel_recompiles_it(tmp_path):
    package = _copy_package(tmp_path)
    plain = {"NUMBA_CACHE_LOCATOR_CLASSES": "InTreeCacheLocator"}  # numba's own stamps

    # Plain numba caching serves the stale kernel: the bug this guards against.
    first = _probe(tmp_path, **plain)
    assert first["wh"] == pytest.approx(22.19, abs=0.01) and first["hits"] == 0
    _set_power(package, DOUBLED)
    stale = _probe(tmp_path, **plain)
    assert stale["hits"] == 1 and stale["wh"] == first["wh"]

    # With the package's locator the edit is seen, and the new kernel is cached in turn.
    edited = _probe(tmp_path)
    assert edited["hits"] == 0 and edited["wh"] == pytest.approx(2 * first["wh"], rel=1e-12)
    again = _probe(tmp_path)
    assert again["hits"] == 1 and again["wh"] == edited["wh"]

    # A read-only install: numba cannot write beside the modules (a file where the
    # __pycache__ folder would go stands for a read-only folder, as the tests may run as
    # root) and uses the user-wide cache; undoing the edit is seen there too.
    for folder in ("planners", "sim"):
        shutil.rmtree(package / folder / "__pycache__")
        (package / folder / "__pycache__").write_text("not a folder\n")
    user = {"XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    assert _probe(tmp_path, **user)["wh"] == edited["wh"]
    _set_power(package, POWER)
    undone = _probe(tmp_path, **user)
    assert undone["hits"] == 0 and undone["wh"] == first["wh"]
    assert any((tmp_path / "user-cache").rglob("_kernels.time_path-*.nbi"))
    assert _probe(tmp_path, **user)["hits"] == 1


def test_kernel_sources_are_the_kernel_modules_and_what_they_import():
    names = {path.relative_to(_jit._ROOT).as_posix() for path in _jit.kernel_sources()}
    assert {
        "planners/_jit.py",
        "planners/energy.py",
        "planners/_fleet_kernels.py",
        "sim/_kernels.py",
    } <= names
    assert "planners/grid.py" not in names and "sim/engine.py" not in names


def test_imports_are_read_relative_and_by_submodule():
    sim_kernels = _jit._ROOT / "sim" / "_kernels.py"
    text = (
        "from dronesim.planners import energy\n"
        "from ..planners._jit import (\n    kernel,\n    inlined as fast,\n)\n"
        "def f():\n    import dronesim.maps.airspace\n"
        "from dronesim.planners.energy import GRAVITY_MPS2\n"
    )
    found = _jit._imported_modules(sim_kernels, text)
    assert {
        "dronesim.planners.energy",
        "dronesim.planners._jit",
        "dronesim.maps.airspace",
    } <= found
    # A package is a dependency only when a name (not a submodule) is taken from it.
    assert "dronesim.planners" not in found


def test_every_jitted_function_goes_through_planners_jit():
    """numba options live in one module: no other module calls numba's jit decorators."""
    pattern = re.compile(
        r"\b(njit|jit|generated_jit|register_jitable|vectorize|guvectorize|cfunc)\s*\(|@[\w.]*\b(njit|jit|register_jitable)\b"
    )
    offenders = []
    for folder in PACKAGE_FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            if path.name == "_jit.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#", 1)[0]
                if pattern.search(code) and "numba" in path.read_text():
                    offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []
