"""One namespace: dronesim installs no generic top-level package, and unrelated packages
named ``maps``, ``sim``, ``planners``, ``viz`` or ``benchmarks`` live beside it."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

GENERIC = ("maps", "sim", "planners", "viz", "benchmarks")

PROBE = """
import io, json, sys
from contextlib import redirect_stdout

import maps
foreign = maps.MARKER
import dronesim.maps, dronesim.planners, dronesim.sim, dronesim.viz, dronesim.benchmarks
from dronesim.sim.cli import main

out = io.StringIO()
with redirect_stdout(out):
    code = main(["scenarios"])
print(json.dumps({
    "foreign": foreign,
    "ours": dronesim.maps.__file__,
    "ours_has_marker": hasattr(dronesim.maps, "MARKER"),
    "code": code,
    "listing": out.getvalue(),
    "generic_loaded": sorted(n for n in %r if n in sys.modules),
}))
"""


def test_foreign_top_level_packages_do_not_shadow_dronesim(tmp_path):
    for name in GENERIC:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"MARKER = 'foreign {name}'\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (GENERIC,)],
        cwd=tmp_path,  # first on sys.path as well
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["foreign"] == "foreign maps"
    assert not answer["ours_has_marker"]
    assert not answer["ours"].startswith(str(tmp_path))
    assert answer["code"] == 0 and "demo" in answer["listing"]
    # dronesim itself imported none of the foreign packages (only the probe's ``maps``).
    assert answer["generic_loaded"] == ["maps"]


def test_the_distribution_installs_no_generic_top_level_name():
    dist = _installed_distribution()
    files = dist.files or []
    tops = {file.parts[0] for file in files if file.parts}
    assert not tops & set(GENERIC), sorted(tops & set(GENERIC))
    # top_level.txt, where setuptools writes one, names only dronesim.
    top_level = dist.read_text("top_level.txt")
    if top_level is not None:
        assert set(top_level.split()) <= {"dronesim"}
    # An editable install maps import names to folders in a finder module: every name
    # it maps is under dronesim.
    finders = [
        file for file in files if file.name.startswith("__editable__") and file.suffix == ".py"
    ]
    for finder in finders:
        mapped = _literal(Path(finder.locate()), "MAPPING")
        assert mapped and all(name.startswith("dronesim.") for name in mapped), mapped
        assert set(_literal(Path(finder.locate()), "NAMESPACES")) <= {"dronesim"}
    if not finders:  # a regular install: the files themselves live under dronesim/
        assert any(file.parts[:2] == ("dronesim", "sim") for file in files)


def _installed_distribution() -> importlib.metadata.Distribution:
    """dronesim's metadata in the environment's site-packages (not the source tree's
    ``dronesim.egg-info``, which the current directory on sys.path would find first)."""
    found = list(
        importlib.metadata.distributions(name="dronesim", path=[sysconfig.get_paths()["purelib"]])
    )
    assert len(found) == 1, found
    return found[0]


def _literal(path: Path, name: str):
    """The literal assigned to ``name`` at the top of ``path`` (parsed, not imported)."""
    for node in ast.parse(path.read_text()).body:
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(target, ast.Name) and target.id == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path}: no {name}")
