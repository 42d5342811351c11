"""Export benchmark (``dronesim bench export``): a city-day recording as F3548-21 intents.

Runs the bundled ``city-day`` scenario with a recording (unless a recording is given),
then times what ``dronesim export intents RECORDING --out FILE`` does after start-up:
reading the recording, building the volumes and the uas-standards objects, writing the
JSON (best and median of ``repeats``; target under 10 s). The 4D check is timed once
apart, with its result.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 10.0


def run(recording: Path | None = None, repeats: int = 3, check: bool = True) -> dict[str, Any]:
    """Time the export of ``recording`` (default: a fresh city-day run's); seconds."""
    from dronesim.sim import intents
    from dronesim.sim.recording import Recording

    with tempfile.TemporaryDirectory(prefix="dronesim-bench-export-") as folder:
        simulated_seconds = None
        if recording is None:
            from dronesim.sim.engine import Simulation
            from dronesim.sim.recording import write_recording
            from dronesim.sim.scenario import load_scenario

            started = time.perf_counter()
            simulation = Simulation(load_scenario("city-day"))
            simulation.run()
            recording = Path(folder) / "city-day.npz"
            write_recording(simulation, recording)
            simulated_seconds = time.perf_counter() - started
            del simulation
        out = Path(folder) / "intents.json"
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            loaded = Recording.load(recording, read_map=False)
            volumes = intents.flight_volumes(loaded)
            document = intents.operational_intents(loaded, intents.geography(loaded), volumes)
            size = intents.write_json(document, out)
            times.append(time.perf_counter() - started)
            flights = len(document["flights"])
            del document
        result: dict[str, Any] = {
            "recording": str(recording) if simulated_seconds is None else "city-day (fresh run)",
            "simulated_seconds": simulated_seconds,
            "flights": flights,
            "volumes": len(volumes),
            "megabytes": size / 1e6,
            "best_seconds": min(times),
            "median_seconds": statistics.median(times),
            "target_seconds": TARGET_SECONDS,
        }
        if check:
            document = intents.operational_intents(loaded, intents.geography(loaded), volumes)
            started = time.perf_counter()
            found = intents.check_intents(document)
            result["check_seconds"] = time.perf_counter() - started
            result["check"] = found.summary()
    return result


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"export intents of {result['recording']}: {result['flights']:,} flights, "
        f"{result['volumes']:,} volumes, {result['megabytes']:.1f} MB: best "
        f"{result['best_seconds']:.1f} s, median {result['median_seconds']:.1f} s "
        f"(target < {result['target_seconds']:.0f} s)"
    ]
    if result.get("simulated_seconds") is not None:
        lines.append(f"simulating it: {result['simulated_seconds']:.1f} s")
    if "check" in result:
        lines.append(f"{result['check']} ({result['check_seconds']:.1f} s)")
    return "\n".join(lines)
