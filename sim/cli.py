"""The ``dronesim`` command line.

Bad input (a missing file, a malformed map, an invalid value) prints one line on stderr,
``dronesim: error: <what, where>``, and exits with status 2: the project's input-error
class (`dronesim.maps.errors.InputError`, of which `ScenarioError`, `MapFormatError`,
`RecordingError` and `CommandError` are kinds) and the operating system's refusals
(`OSError`: a file that cannot be read or written). Anything else escaping is a bug and
keeps its traceback, a stray `ValueError` from inside numpy included.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from dronesim.maps.errors import CommandError, InputError

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0), or a bad option already told in one line (2)
        return int(stop.code or 0)
    if not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(args.handler(args) or 0)
    except (InputError, OSError) as error:
        message = str(error).replace("\n", " ")
        if isinstance(error, OSError) and error.filename and str(error.filename) not in message:
            message = f"{error.filename}: {message}"
        print(f"dronesim: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


class _OneLineParser(argparse.ArgumentParser):
    """A bad option or value is one line on stderr, ``PROG: error: MESSAGE``, and exit
    status 2, as every other bad input; ``--help`` shows the usage. The subcommands'
    parsers are made of this class too (``add_subparsers`` uses the parent's)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="dronesim", description="Simulate drone delivery fleets in low-altitude city airspace."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="simulate a scenario and print its report")
    run.add_argument(
        "scenario",
        nargs="?",
        default="demo",
        help="bundled scenario name or a .toml path (default demo)",
    )
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument(
        "--duration", type=float, metavar="S", help="override the simulated duration, seconds"
    )
    run.add_argument("--report", type=Path, metavar="FILE.json", help="write the report as JSON")
    run.add_argument(
        "--record",
        type=Path,
        metavar="FILE.npz",
        help="write the recording (for replay and analysis)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    run.add_argument("--view", action="store_true", help="watch the run live in a window")
    run.add_argument(
        "--speed", type=float, default=60.0, help="with --view: simulated seconds per real second"
    )
    run.set_defaults(handler=_run)

    check = commands.add_parser("check", help="validate a scenario file without running it")
    check.add_argument("scenario", help="bundled scenario name or a .toml path")
    check.set_defaults(handler=_check)

    replay = commands.add_parser("replay", help="replay a recording in a window")
    replay.add_argument("recording", type=Path, metavar="FILE.npz")
    replay.add_argument(
        "--speed", type=float, default=60.0, help="simulated seconds per real second"
    )
    replay.set_defaults(handler=_replay)

    render = commands.add_parser(
        "render", help="render a recording headless: one PNG frame or a GIF"
    )
    render.add_argument("recording", type=Path, metavar="FILE.npz")
    render.add_argument("--at", type=float, metavar="SECONDS", help="time of the frame")
    render.add_argument("--out", type=Path, metavar="frame.png", help="PNG to write")
    render.add_argument("--size", default="1280x800", metavar="WxH")
    render.add_argument("--gif", type=Path, metavar="OUT.gif", help="write an animation instead")
    render.add_argument(
        "--from", dest="start", type=float, metavar="A", help="animation start, seconds"
    )
    render.add_argument("--to", dest="end", type=float, metavar="B", help="animation end, seconds")
    render.add_argument("--fps", type=float, default=12.0)
    render.set_defaults(handler=_render)

    export = commands.add_parser("export", help="export a recording in standard formats")
    export_commands = export.add_subparsers(title="export formats", metavar="WHAT")
    export.set_defaults(handler=lambda args: _usage(export))
    intents = export_commands.add_parser(
        "intents",
        help="every flight of a recording as an ASTM F3548-21 operational intent (JSON)",
        description="Every flight (lift-off to touch-down) of a recording as an ASTM "
        "F3548-21 operational intent: 4D volumes around the flown path, inflated by half "
        "the separation minima, WGS84 altitudes from the ground elevation (AMSL used as "
        "the WGS84 height unless --geoid-offset-m), RFC 3339 times from the scenario's "
        "start. --check exits 1 when volumes of different drones intersect.",
    )
    intents.add_argument("recording", type=Path, metavar="RECORDING.npz")
    intents.add_argument("--out", type=Path, metavar="FILE.json", help="JSON file to write")
    intents.add_argument(
        "--format",
        dest="export_format",
        choices=("f3548", "interuss-flight-intents"),
        default="f3548",
        help="f3548: operational intents (default); interuss-flight-intents: an InterUSS "
        "flight intent collection for load tests (times from the start of the test run)",
    )
    intents.add_argument(
        "--check",
        action="store_true",
        help="check that no two volumes of different drones intersect in 4D (exit 1 if any); "
        "the windows of flights whose volumes intersect are first halved, down to "
        "--min-volume-s, and checked again (a volume holds its outline for its whole window)",
    )
    intents.add_argument(
        "--min-volume-s",
        type=float,
        default=1.0,
        metavar="S",
        help="with --check: the shortest window the tightening goes to, seconds (default 1; "
        "the same as --max-volume-s: no tightening)",
    )
    intents.add_argument(
        "--max-volume-s",
        type=float,
        default=10.0,
        metavar="S",
        help="longest time window of a volume of moving flight, seconds (default 10)",
    )
    intents.add_argument(
        "--time-buffer-s",
        type=float,
        default=0.0,
        metavar="S",
        help="widen each volume's window by S seconds on both sides (default 0)",
    )
    intents.add_argument("--priority", type=int, default=0, help="F3548 priority (default 0)")
    intents.add_argument(
        "--state", choices=("Accepted", "Activated"), default="Accepted", help="F3548 state"
    )
    intents.add_argument(
        "--origin",
        type=_lonlat,
        metavar="LON,LAT",
        help="where the map's (0, 0) lies, degrees (default: the recording's)",
    )
    intents.add_argument(
        "--start-utc",
        type=_utc_time,
        metavar="TIME",
        help="UTC time of simulation time 0, e.g. 2026-06-01T08:00:00Z (default: the recording's)",
    )
    intents.add_argument(
        "--ground-elevation-m",
        type=float,
        metavar="M",
        help="ground above mean sea level, metres (default: the recording's)",
    )
    intents.add_argument(
        "--geoid-offset-m",
        type=float,
        default=0.0,
        metavar="M",
        help="WGS84 ellipsoid height of mean sea level, metres (default 0: AMSL as WGS84)",
    )
    intents.add_argument(
        "--lead-s",
        type=float,
        default=60.0,
        metavar="S",
        help="interuss-flight-intents: seconds from the test's start to time 0 (default 60)",
    )
    intents.add_argument(
        "--uss-base-url", default="https://dronesim.invalid", help="the intents' uss_base_url"
    )
    intents.set_defaults(handler=_export_intents)

    listing = commands.add_parser("scenarios", help="list the bundled scenarios")
    listing.set_defaults(handler=_scenarios)

    drones = commands.add_parser(
        "drones",
        help="list the bundled aircraft types: simulated figures beside published ones",
    )
    drones.add_argument(
        "--payload-kg",
        type=float,
        default=0.5,
        metavar="KG",
        help="payload carried for the range and service radius (default 0.5)",
    )
    drones.add_argument(
        "--cruise-altitude-m",
        type=float,
        default=50.0,
        metavar="M",
        help="cruise altitude climbed to and descended from (default 50)",
    )
    drones.add_argument("--json", action="store_true", help="print the table as JSON")
    drones.set_defaults(handler=_drones)

    map_parser = commands.add_parser("map", help="generate and inspect city maps")
    map_commands = map_parser.add_subparsers(title="map commands", metavar="MAP_COMMAND")
    map_parser.set_defaults(handler=lambda args: _usage(map_parser))

    generate = map_commands.add_parser("generate", help="generate a procedural city")
    generate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    generate.add_argument(
        "--out", type=Path, help="write the city as GeoJSON (lon/lat) to this file"
    )
    generate.add_argument("--width-m", type=float, default=3000.0, help="city width in metres")
    generate.add_argument("--height-m", type=float, default=3000.0, help="city height in metres")
    generate.add_argument("--depots", type=int, default=3, help="number of depots")
    generate.add_argument(
        "--origin",
        type=_lonlat,
        default=None,
        metavar="LON,LAT",
        help="geographic anchor of the frame in degrees (default 0,0 when writing GeoJSON)",
    )
    generate.add_argument(
        "--cell-size", type=float, default=10.0, help="cell size in metres for the summary"
    )
    generate.add_argument("--json", action="store_true", help="print the summary as JSON")
    generate.set_defaults(handler=_map_generate)

    info = map_commands.add_parser(
        "info",
        help="describe a map file (.geojson, .map, .3dmap), an ED-269/ED-318 zone file "
        "(.json), or a scenario's zone files (.toml or a bundled name)",
    )
    info.add_argument("file", type=Path)
    info.add_argument(
        "--cell-size", type=float, default=10.0, help="cell size in metres for GeoJSON maps"
    )
    info.add_argument(
        "--start",
        metavar="UTC",
        help="zone files: UTC date-time of t = 0 (default the scenarios' default start date, 00:00)",
    )
    info.add_argument(
        "--hours", type=float, default=24.0, help="zone files: length of the run (default 24)"
    )
    info.add_argument(
        "--ground-elevation-m",
        type=float,
        default=0.0,
        help="zone files: ground above mean sea level for AMSL limits (default 0)",
    )
    info.add_argument("--json", action="store_true", help="print the summary as JSON")
    info.set_defaults(handler=_map_info)

    osm = map_commands.add_parser(
        "import-osm",
        help="build a city GeoJSON (buildings with heights, parks) from an OpenStreetMap extract",
    )
    osm.add_argument(
        "source", nargs="?", type=Path, help="an .osm (XML) or .osm.pbf extract (or --place)"
    )
    osm.add_argument(
        "--place", metavar="NAME", help="download a place by name from Overpass (needs a network)"
    )
    osm.add_argument("--out", type=Path, required=True, metavar="CITY.geojson")
    osm.add_argument(
        "--storey-height-m",
        type=float,
        default=3.0,
        metavar="M",
        help="metres per building:levels storey (default 3)",
    )
    osm.add_argument(
        "--default-height-m",
        type=float,
        default=10.0,
        metavar="M",
        help="height of a building with no readable height or levels (default 10)",
    )
    osm.add_argument(
        "--depot",
        type=_lonlat,
        action="append",
        metavar="LON,LAT",
        help="add a depot (4 pads) on open ground; repeat for more",
    )
    osm.add_argument("--name", help="city name (default: the file's stem or the place)")
    osm.set_defaults(handler=_map_import_osm)

    bench_parser = commands.add_parser("bench", help="measure dronesim beside its peers")
    bench_commands = bench_parser.add_subparsers(title="benchmarks", metavar="BENCHMARK")
    bench_parser.set_defaults(handler=lambda args: _usage(bench_parser))
    raster = bench_commands.add_parser(
        "raster", help="rasterize a 2000 x 2000 x 6 airspace (200 zones, 5,000 buildings)"
    )
    raster.add_argument(
        "--repeats", type=int, default=3, help="repetitions; the median is reported"
    )
    raster.add_argument("--seed", type=int, default=0)
    raster.add_argument("--json", type=Path, help="write the figures as JSON")
    raster.set_defaults(handler=_bench_raster)

    planners = bench_commands.add_parser(
        "planners", help="route planners on MovingAI .scen / voxel .3dscen queries, beside peers"
    )
    planners.add_argument(
        "--scen",
        type=Path,
        action="append",
        required=True,
        metavar="FILE",
        help="a .map.scen or .3dmap.3dscen file (repeatable)",
    )
    planners.add_argument(
        "--planner",
        action="append",
        metavar="NAME",
        help="registered planner or module:attribute (repeatable; default astar)",
    )
    planners.add_argument(
        "--peers",
        default="",
        metavar="LIST",
        help="comma-separated peers: networkx, pyastar2d (optional extras)",
    )
    planners.add_argument(
        "--limit", type=int, metavar="N", help="N query rows spread evenly over each file"
    )
    planners.add_argument("--json", type=Path, metavar="OUT", help="write the results as JSON")
    planners.add_argument(
        "--plot", type=Path, metavar="OUT.png", help="plot time per query against path cost"
    )
    planners.set_defaults(handler=_bench_planners)

    kernels = bench_commands.add_parser(
        "kernels", help="batch planning speed-up and distance-field routes"
    )
    kernels.add_argument(
        "--map", type=Path, help="a MovingAI .map (default Boston_0_1024 from ../shared/data)"
    )
    kernels.add_argument("--queries", type=int, default=300)
    kernels.add_argument("--json", type=Path, metavar="OUT")
    kernels.set_defaults(handler=_bench_kernels)

    fleet = bench_commands.add_parser(
        "fleet", help="assignment and dispatch rounds, beside scipy and greedy"
    )
    fleet.add_argument(
        "--repeats", type=int, default=5, help="timed runs per case (median reported)"
    )
    fleet.add_argument("--json", type=Path, metavar="OUT")
    fleet.set_defaults(handler=_bench_fleet)

    simulation = bench_commands.add_parser(
        "sim", help="demo cold/warm, city-day, scaling, deconfliction"
    )
    simulation.add_argument(
        "--quick", action="store_true", help="skip city-day and the 2,000-drone case"
    )
    simulation.add_argument("--json", type=Path, metavar="OUT")
    simulation.set_defaults(handler=_bench_sim)

    deconfliction = bench_commands.add_parser(
        "deconfliction",
        help="demo, city-day and a 2,000-drone noon case under each deconfliction policy",
    )
    deconfliction.add_argument(
        "--cases", default="demo,city-day,noon", metavar="LIST", help="cases to run"
    )
    deconfliction.add_argument(
        "--policies", default="none,layers,strategic", metavar="LIST", help="policies to compare"
    )
    deconfliction.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="cut every case to at most S simulated seconds (a quick look)",
    )
    deconfliction.add_argument(
        "--time-buffer-s",
        type=float,
        metavar="S",
        help="give every case this deconfliction.time_buffer_s (default: each case's own)",
    )
    deconfliction.add_argument("--json", type=Path, metavar="OUT")
    deconfliction.set_defaults(handler=_bench_deconfliction)

    mapf = bench_commands.add_parser(
        "mapf", help="prioritized SIPP on MovingAI MAPF instances, beside pymapf (LaCAM, PIBT)"
    )
    mapf.add_argument(
        "--scen",
        type=Path,
        action="append",
        required=True,
        metavar="FILE",
        help="a MovingAI MAPF .scen (its .map beside it; repeatable)",
    )
    mapf.add_argument(
        "--agents", default="50,100,200", metavar="LIST", help="agent counts (first k rows)"
    )
    mapf.add_argument("--peers", default="", metavar="LIST", help="comma-separated: pymapf")
    mapf.add_argument(
        "--time-limit", type=float, default=1.0, metavar="S", help="seconds per instance and solver"
    )
    mapf.add_argument("--json", type=Path, metavar="OUT", help="write the results as JSON")
    mapf.add_argument(
        "--paths", type=Path, metavar="FILE", help="write every solution's timed cells"
    )
    mapf.set_defaults(handler=_bench_mapf)

    validation = bench_commands.add_parser(
        "validation",
        help="simulated energy, delivery and flight times, deliveries per aircraft beside "
        "published figures",
    )
    validation.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="cut the demo and city-day runs to at most S simulated seconds",
    )
    validation.add_argument("--json", type=Path, metavar="OUT")
    validation.set_defaults(handler=_bench_validation)

    export_bench = bench_commands.add_parser(
        "export", help="export of a city-day recording as F3548-21 intents (target 10 s)"
    )
    export_bench.add_argument(
        "--recording",
        type=Path,
        metavar="FILE.npz",
        help="time this recording (default: run city-day first, about a minute)",
    )
    export_bench.add_argument("--repeats", type=int, default=3, help="timed exports")
    export_bench.add_argument("--no-check", action="store_true", help="skip the 4D check")
    export_bench.add_argument("--json", type=Path, metavar="OUT")
    export_bench.set_defaults(handler=_bench_export)

    viz = bench_commands.add_parser(
        "viz", help="frame time of a 1,000-drone snapshot at 1280 x 800"
    )
    viz.add_argument("--frames", type=int, default=200)
    viz.add_argument("--json", type=Path, metavar="OUT")
    viz.set_defaults(handler=_bench_viz)

    sweep = bench_commands.add_parser(
        "sweep", help="20 demo runs: serial, a local pool and a Dask LocalCluster (study backends)"
    )
    sweep.add_argument("--runs", type=int, default=20, help="runs (seeds 0..N-1; default 20)")
    sweep.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    sweep.add_argument("--scenario", default="demo", help="scenario (default demo)")
    sweep.add_argument(
        "--duration", type=float, metavar="S", help="cut each run to S simulated seconds"
    )
    sweep.add_argument(
        "--backends", default="serial,local,dask", metavar="LIST", help="backends to time"
    )
    sweep.add_argument(
        "--repeats", type=int, default=1, help="turns of every backend; the fastest is kept"
    )
    sweep.add_argument("--json", type=Path, metavar="OUT", help="write the figures as JSON")
    sweep.set_defaults(handler=_bench_sweep)

    from dronesim.sim import study_cli  # sweep and capacity (`sim.study`)

    study_cli.add_commands(commands)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_BAD_INPUT


def _lonlat(text: str) -> tuple[float, float]:
    try:
        lon, lat = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LON,LAT in degrees, got {text!r}") from None
    from dronesim.maps.projection import origin_in_range

    if not origin_in_range(lon, lat):
        raise argparse.ArgumentTypeError(f"LON,LAT out of range: {text!r}")
    return lon, lat


def _utc_time(text: str):
    import datetime

    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an RFC 3339 time like 2026-06-01T08:00:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give the time zone (Z for UTC): {text!r}")
    return moment.astimezone(datetime.UTC)


# ----------------------------------------------------------------------------- run


def _load(name: str):
    from dronesim.sim.scenario import load_scenario

    return load_scenario(name)


def _run(args: argparse.Namespace) -> int:
    import tempfile

    from dronesim.sim.engine import Simulation
    from dronesim.sim.recording import write_recording
    from dronesim.sim.warmup import Warmup, kernels_cached

    scenario = _load(args.scenario)
    if args.seed is not None and args.seed < 0:
        raise CommandError(f"--seed: must be >= 0, got {args.seed}")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CommandError(f"--duration: must be > 0, got {args.duration}")
    if args.duration is not None:
        from dronesim.sim.scenario import check_duration

        check_duration(scenario, args.duration, "--duration")  # a year at most; orders
    _check_speed(args.speed)
    # Found now, not after the whole simulation.
    _check_output(args.report, "--report")
    _check_output(args.record, "--record")
    if args.view:
        from dronesim.viz.app import DisplayError, check_display

        try:
            check_display()
        except DisplayError as error:
            raise CommandError(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="dronesim-warmup-") as markers:
        warmup = None
        if not kernels_cached():
            # First run on this machine: compile half of the kernels on the other core.
            warmup = Warmup(Path(markers))
        try:
            simulation = Simulation(scenario, seed=args.seed, duration_s=args.duration)
            simulation.warmup = warmup
            report = _simulate(simulation, args)
        finally:
            if warmup is not None:
                warmup.close()
    if args.report:
        report.write(args.report)
    if args.record:
        write_recording(simulation, args.record)
    if not args.quiet:
        print(report.summary())
        for path, what in ((args.report, "report"), (args.record, "recording")):
            if path:
                print(f"{what:<12}  {path}")
    return 0


def _simulate(simulation, args: argparse.Namespace):
    if args.view:
        from dronesim.viz.app import DisplayError, run_live

        try:
            report = run_live(simulation, speed=args.speed)
        except DisplayError as error:
            raise CommandError(str(error)) from None
    else:
        report = _run_with_progress(simulation, quiet=args.quiet)
    return report


def _run_with_progress(simulation, quiet: bool):
    if quiet or simulation.duration_s < 4 * 3600:
        return simulation.run()
    from tqdm import tqdm

    with tqdm(
        total=int(simulation.duration_s),
        unit="sim s",
        file=sys.stderr,
        leave=False,
        desc=simulation.scenario.name,
        mininterval=0.5,
    ) as bar:
        last = [0.0]

        def progress(t_s: float) -> None:
            bar.update(int(t_s - last[0]))
            last[0] = int(t_s)

        return simulation.run(progress)


def _replay(args: argparse.Namespace) -> int:
    from dronesim.sim.recording import Recording
    from dronesim.viz.app import DisplayError, run_replay

    _check_speed(args.speed)
    recording = Recording.load(args.recording)
    try:
        run_replay(recording, speed=args.speed)
    except DisplayError as error:
        raise CommandError(str(error)) from None
    return 0


def _render(args: argparse.Namespace) -> int:
    from dronesim.sim.recording import Recording
    from dronesim.viz.export import parse_size, render_gif, render_png

    size = parse_size(args.size)
    if args.gif:
        _check_output(args.gif, "--gif")
    elif args.out is not None:
        _check_output(args.out, "--out")
    recording = Recording.load(args.recording)
    if args.gif:
        if args.start is None or args.end is None:
            raise CommandError("--gif: needs --from A and --to B (seconds)")
        frames = render_gif(recording, args.start, args.end, args.fps, args.gif, size)
        print(f"{args.gif}: {frames} frames")
        return 0
    if args.at is None or args.out is None:
        raise CommandError(
            "render: give --at SECONDS and --out frame.png (or --gif OUT --from A --to B)"
        )
    recording.check_time(args.at)
    render_png(recording, args.at, args.out, size)
    print(f"{args.out}")
    return 0


def _export_intents(args: argparse.Namespace) -> int:
    import time

    from dronesim.sim import intents
    from dronesim.sim.recording import Recording

    if args.out is None and not args.check:
        raise CommandError("export intents: give --out FILE.json, --check, or both")
    if not (math.isfinite(args.max_volume_s) and args.max_volume_s > 0):
        raise CommandError(f"--max-volume-s: must be > 0 seconds, got {args.max_volume_s}")
    for option, value in (("--time-buffer-s", args.time_buffer_s), ("--lead-s", args.lead_s)):
        if not (math.isfinite(value) and value >= 0):
            raise CommandError(f"{option}: must be >= 0 seconds, got {value}")
    for option, value in (
        ("--ground-elevation-m", args.ground_elevation_m),
        ("--geoid-offset-m", args.geoid_offset_m),
    ):
        if value is not None and not (math.isfinite(value) and -500.0 <= value <= 9000.0):
            raise CommandError(f"{option}: must be in [-500, 9000] metres, got {value}")
    if not (math.isfinite(args.min_volume_s) and 0 < args.min_volume_s <= args.max_volume_s):
        raise CommandError(
            f"--min-volume-s: must be > 0 and at most --max-volume-s ({args.max_volume_s:g}), "
            f"got {args.min_volume_s}"
        )
    _check_output(args.out, "--out")
    started = time.perf_counter()
    recording = Recording.load(args.recording, read_map=False)
    geo = intents.geography(
        recording, args.origin, args.start_utc, args.ground_elevation_m, args.geoid_offset_m
    )

    def build(limits):
        volumes = intents.flight_volumes(recording, args.max_volume_s, flight_limits_s=limits)
        return volumes, intents.operational_intents(
            recording,
            geo,
            volumes,
            max_volume_s=args.max_volume_s,
            time_buffer_s=args.time_buffer_s,
            priority=args.priority,
            state=args.state,
            uss_base_url=args.uss_base_url,
        )

    volumes, document = build(None)
    if args.check:
        volumes, document, result, limits = intents.refine_intents(
            build, volumes, document, args.max_volume_s, args.min_volume_s
        )
    if args.out is not None:
        output = document
        if args.export_format == "interuss-flight-intents":
            output = intents.flight_intent_collection(document, args.lead_s)
        size = intents.write_json(output, args.out)
        print(
            f"{args.out}: {len(document['flights']):,} flights, {len(volumes):,} volumes "
            f"({args.export_format}, {size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )
    if args.check:
        if limits:
            print(
                f"tightened: {len(limits):,} flights whose volumes intersected, windows down "
                f"to {min(limits.values()):g} s"
            )
        print(result.summary())
        return 1 if len(result.pairs) else 0
    return 0


def _check_speed(speed: float) -> None:
    """``--speed``: simulated seconds per real second, finite and > 0."""
    if not (math.isfinite(speed) and speed > 0):
        raise CommandError(
            f"--speed: must be a finite number > 0 (seconds per second), got {speed}"
        )


def _check_output(path: Path | None, option: str) -> None:
    """Fail now, on one line, if ``path`` cannot be written (before any long run).

    The parent directory must exist and accept a new file (a temporary file is created
    there and removed: the only test that holds for every user, root and ACLs included),
    and ``path`` must not be a directory.
    """
    import os
    import tempfile

    if path is None:
        return
    if path.is_dir():
        raise CommandError(f"{option}: {path}: is a directory (give a file name)")
    parent = path.parent
    if not parent.exists():
        raise CommandError(f"{option}: {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise CommandError(f"{option}: {path}: {parent} is not a directory")
    try:
        handle, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".check")
    except OSError as error:
        raise CommandError(
            f"{option}: {path}: cannot write in {parent} ({error.strerror or error})"
        ) from None
    os.close(handle)
    os.unlink(probe)


def _check(args: argparse.Namespace) -> int:
    from dronesim.sim.engine import check_scenario

    scenario = _load(args.scenario)
    # Every set-up check of a run (`engine.check_scenario`): the map (depots inside
    # buildings or zones, a map file that does not load, columns over depots), the
    # pads, the first minute of demand and the fleet; never the fleet's arrays, the
    # routers or a policy's run state (the strategic pad fields take minutes).
    checked = check_scenario(scenario)
    airspace = checked.airspace
    fleet = f"{checked.n_drones} drones"
    if len(scenario.aircraft) > 1:
        from dronesim.sim.engine import fleet_types

        kinds = fleet_types(scenario, len(airspace.depots))[1]
        fleet += (
            " ("
            + ", ".join(
                f"{int((kinds == k).sum())} {entry.model.name}"
                for k, entry in enumerate(scenario.aircraft)
            )
            + ")"
        )
    print(
        f"{scenario.source}: ok: {scenario.name}, {fleet} at {len(airspace.depots)} depots, "
        f"{scenario.duration_s / 3600:g} h, map {airspace.nx} x {airspace.ny} cells "
        f"of {airspace.cell_size_m:g} m"
    )
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    from dronesim.sim.scenario import bundled_scenarios

    for name, description in bundled_scenarios().items():
        print(f"{name:12s}  {description}")
    return 0


def _drones(args: argparse.Namespace) -> int:
    from dronesim.planners.aircraft import type_table

    if not (math.isfinite(args.payload_kg) and args.payload_kg >= 0):
        raise CommandError(f"--payload-kg: must be >= 0, got {args.payload_kg}")
    if not (math.isfinite(args.cruise_altitude_m) and 0 < args.cruise_altitude_m <= 1000):
        raise CommandError(
            f"--cruise-altitude-m: must be in (0, 1000], got {args.cruise_altitude_m}"
        )
    rows = type_table(args.payload_kg, args.cruise_altitude_m)
    if args.json:
        print(
            json.dumps(
                {
                    "payload_kg": args.payload_kg,
                    "cruise_altitude_m": args.cruise_altitude_m,
                    "types": rows,
                },
                indent=2,
            )
        )
        return 0

    def number(value, digits=1):
        return "-" if value is None else f"{value:.{digits}f}"

    print(
        f"Bundled aircraft types: calm air, {args.payload_kg:g} kg payload, cruise at "
        f"{args.cruise_altitude_m:g} m, landing with the reserve; published figures in brackets"
    )
    header = (
        f"{'type':<12} {'kind':<15} {'cruise m/s':>17} {'ratio':>5} {'payload kg':>13} "
        f"{'range km':>15} {'ratio':>5} {'radius km':>15}"
    )
    print(header)
    for row in rows:
        print(
            f"{row['type']:<12} {row['kind']:<15} "
            f"{number(row['cruise_speed_mps']):>6} ({number(row['published_cruise_speed_mps']):>7}) "
            f"{number(row['cruise_ratio'], 2):>5} "
            f"{number(row['max_payload_kg']):>5} ({number(row['published_max_payload_kg']):>4}) "
            f"{number(row['range_km']):>6} ({number(row['published_range_km']):>5}) "
            f"{number(row['range_ratio'], 2):>5} "
            f"{number(row['service_radius_km']):>6} ({number(row['published_radius_km']):>5})"
        )
    print("Sources:")
    for row in rows:
        print(f"  {row['type']}: {row['sources']}")
    return 0


# ----------------------------------------------------------------------------- map


def _map_generate(args: argparse.Namespace) -> int:
    from dronesim.maps import generate_city

    if not (math.isfinite(args.cell_size) and args.cell_size > 0):
        raise CommandError(f"--cell-size: must be > 0, got {args.cell_size}")
    city = generate_city(
        args.seed,
        width_m=args.width_m,
        height_m=args.height_m,
        depots=args.depots,
        origin_lonlat=args.origin,
    )
    if args.out is not None:
        from dronesim.maps.geojson import write_geojson

        write_geojson(city, args.out, origin_lonlat=args.origin or (0.0, 0.0))
    airspace = city.to_airspace(args.cell_size)
    summary = {"city": city.summary(), "airspace": airspace.summary()}
    if args.out is not None:
        summary["written"] = str(args.out)
    _print_summary(summary, args.json)
    return 0


def _map_info(args: argparse.Namespace) -> int:
    path: Path = args.file
    name = path.name.lower()
    from dronesim.sim.scenario import bundled_scenarios

    if name.endswith(".toml") or (str(path) in bundled_scenarios() and not path.exists()):
        return _scenario_zones_info(args)
    if name.endswith((".geojson", ".json")):
        from dronesim.maps.uas_zones import detect_format, load_document

        try:
            document = load_document(path)
        except InputError:
            document = None  # the map reader below says what is wrong, as for any map
        if detect_format(document) is not None:
            return _zone_file_info(args)
    if name.endswith(".3dmap"):
        from dronesim.maps import Airspace
        from dronesim.maps.movingai import read_3dmap

        airspace = Airspace.from_grid(read_3dmap(path).blocked)
        summary = {"file": str(path), "format": "MovingAI voxel", "airspace": airspace.summary()}
    elif name.endswith(".map"):
        from dronesim.maps import Airspace
        from dronesim.maps.movingai import read_map

        airspace = Airspace.from_grid(read_map(path).blocked)
        summary = {"file": str(path), "format": "MovingAI 2D", "airspace": airspace.summary()}
    elif name.endswith((".geojson", ".json")):
        from dronesim.maps.geojson import read_geojson

        if not (math.isfinite(args.cell_size) and args.cell_size > 0):
            raise CommandError(f"--cell-size: must be > 0, got {args.cell_size}")
        city = read_geojson(path)
        try:
            airspace = city.to_airspace(args.cell_size)
        except InputError:
            raise
        except ValueError as error:
            # The grid's own checks of the file's content (a depot whose cell is blocked).
            from dronesim.maps.errors import MapFormatError

            raise MapFormatError(path, str(error)) from None
        summary = {
            "file": str(path),
            "format": "GeoJSON",
            "city": city.summary(),
            "airspace": airspace.summary(),
        }
    else:
        raise CommandError(f"{path}: unknown map format (expected .geojson, .json, .map or .3dmap)")
    _print_summary(summary, args.json)
    return 0


def _info_window(args: argparse.Namespace):
    """``--start`` and ``--hours`` of ``map info`` for zone files: (start_utc, seconds)."""
    import datetime

    from dronesim.sim.scenario import DEFAULT_START_DATE

    if args.start is None:
        start = datetime.datetime.combine(DEFAULT_START_DATE, datetime.time(), datetime.UTC)
    else:
        text = args.start.strip()
        text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        try:
            start = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise CommandError(
                f"--start: expected a UTC date-time like 2026-06-01T10:00:00Z, got {args.start!r}"
            ) from None
        start = (
            start.replace(tzinfo=datetime.UTC)
            if start.tzinfo is None
            else start.astimezone(datetime.UTC)
        )
    if not (math.isfinite(args.hours) and 0 < args.hours <= 366 * 24):
        raise CommandError(f"--hours: must be in (0, 8784], got {args.hours}")
    if not (math.isfinite(args.ground_elevation_m) and -500 <= args.ground_elevation_m <= 9000):
        raise CommandError(
            f"--ground-elevation-m: must be in [-500, 9000], got {args.ground_elevation_m}"
        )
    return start, args.hours * 3600.0


def _zone_file_info(args: argparse.Namespace) -> int:
    from dronesim.maps.uas_zones import read_uas_zone_file

    start, duration_s = _info_window(args)
    found = read_uas_zone_file(args.file, None, start, duration_s, args.ground_elevation_m)
    _print_zone_files([found], args.json)
    return 0


def _scenario_zones_info(args: argparse.Namespace) -> int:
    """The standards zones of a scenario (``map.uas_zones``), in its frame, from its start."""
    from dronesim.maps.projection import LocalProjection
    from dronesim.maps.uas_zones import read_uas_zone_file
    from dronesim.sim.scenario import ScenarioError

    scenario = _load(str(args.file))
    spec = scenario.map
    if not spec.uas_zones:
        raise CommandError(f"{args.file}: map.uas_zones: the scenario names no zone file")
    origin = spec.origin_lonlat
    if spec.generator == "geojson":
        from dronesim.maps.geojson import read_geojson

        origin = read_geojson(spec.geojson).origin_lonlat
    if origin is None:
        raise ScenarioError(
            scenario.source, "map.origin_lonlat", "map.uas_zones needs the city's [lon, lat]"
        )
    ground = (
        spec.ground_elevation_grid
        if spec.ground_elevation_grid is not None
        else spec.ground_elevation_m
    )
    files = []
    for path in spec.uas_zones:
        try:
            files.append(
                read_uas_zone_file(
                    path,
                    LocalProjection(*origin),
                    scenario.start_utc,
                    scenario.duration_s,
                    ground,
                    spec.authorised_zones,
                )
            )
        except InputError as error:
            raise ScenarioError(scenario.source, "map.uas_zones", str(error)) from None
    _print_zone_files(files, args.json)
    return 0


def _print_zone_files(files, as_json: bool) -> None:
    """Every volume of every zone file with its band, status and windows in force."""
    if as_json:
        document = [
            {
                "file": found.path,
                "format": found.format,
                "zones": [
                    {
                        "identifier": v.identifier,
                        "name": v.name,
                        "restriction": v.restriction,
                        "status": v.status,
                        "shape": v.shape,
                        "area_m2": float(v.geometry.area),
                        "floor_m": v.floor_m,
                        "ceiling_m": v.ceiling_m,
                        "windows_s": [list(w) for w in v.windows_s],
                        "windows_utc": [[a.isoformat(), b.isoformat()] for a, b in v.windows_utc],
                        "notes": list(v.notes),
                    }
                    for v in found.volumes
                ],
            }
            for found in files
        ]
        print(json.dumps(_json_safe(document[0] if len(document) == 1 else document), indent=2))
        return
    lines = []
    for found in files:
        volumes = found.volumes
        start = volumes[0].start_utc if volumes else None
        hours = volumes[0].duration_s / 3600 if volumes else 0
        lines.append(
            f"{found.format} zones {found.path}: {len(found.identifiers)} zones, "
            f"{len(volumes)} volumes; t = 0 at {start:%Y-%m-%d %H:%M:%S} UTC, {hours:g} h"
        )
        lines.append(
            f"  {'name':36s} {'restriction':17s} {'status':13s} {'shape':7s} "
            f"{'area km2':>9s} {'band m AGL':>14s}  in force"
        )
        for v in volumes:
            ceiling = "inf" if math.isinf(v.ceiling_m) else f"{v.ceiling_m:.1f}"
            band = f"{v.floor_m:.1f}-{ceiling}"
            lines.append(
                f"  {v.name[:36]:36s} {v.restriction:17s} {v.status:13s} {v.shape:7s} "
                f"{v.geometry.area / 1e6:9.3f} {band:>14s}  {_windows_text(v)}"
                + (f"  ({'; '.join(v.notes)})" if v.notes else "")
            )
    print("\n".join(lines))


def _windows_text(volume, shown: int = 4) -> str:
    windows = volume.windows_s
    if not windows:
        return "not in the run"
    if windows == ((0.0, volume.duration_s),):
        return "whole run"
    parts = []
    for (a, b), (ta, tb) in zip(windows[:shown], volume.windows_utc):
        utc = (
            f"{ta:%m-%d %H:%M:%S}-{tb:%H:%M:%S}"
            if ta.date() == tb.date()
            else f"{ta:%m-%d %H:%M:%S}-{tb:%m-%d %H:%M:%S}"
        )
        parts.append(f"[{a:g}, {b:g}) s {utc}")
    more = f"; ... {len(windows)} windows" if len(windows) > shown else ""
    return "; ".join(parts) + more


def _map_import_osm(args: argparse.Namespace) -> int:
    import os
    import tempfile

    from dronesim.maps.geojson import city_from_geojson
    from dronesim.maps.osm import download_place, import_osm

    if (args.source is None) == (args.place is None):
        raise CommandError("map import-osm: give an OSM file or --place NAME (one of them)")
    _check_output(args.out, "--out")
    with tempfile.TemporaryDirectory() as scratch:
        source = args.source
        if args.place is not None:
            source = download_place(args.place, Path(scratch) / "place.osm")
        result = import_osm(
            source,
            storey_height_m=args.storey_height_m,
            default_height_m=args.default_height_m,
            name=args.name or args.place,
        )
    document = result.document
    for number, (lon, lat) in enumerate(args.depot or [], start=1):
        document["features"].append(
            {
                "type": "Feature",
                "properties": {"kind": "depot", "name": f"depot-{number}", "pads": 4},
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
    # Read back before writing: what is written loads as a map (a depot inside a
    # building is refused here, naming the depot).
    city = city_from_geojson(document, args.out)
    handle, temporary = tempfile.mkstemp(dir=args.out.parent, prefix=f".{args.out.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, separators=(",", ":"), ensure_ascii=False)
        os.replace(temporary, args.out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    bad = ", ".join(f"{count} {tag}" for tag, count in sorted(result.bad_values.items()))
    print(f"read        {source if args.place is None else args.place}")
    print(
        f"buildings   {result.buildings}: {result.from_height} from height, "
        f"{result.from_levels} from building:levels x {args.storey_height_m:g} m, "
        f"{result.defaulted} at the default {args.default_height_m:g} m"
    )
    print(f"ignored     {bad or 'no'} unreadable values (the next source of height was used)")
    print(f"parks       {result.parks}")
    print(f"depots      {len(city.depots)}")
    xmin, ymin, xmax, ymax = city.bounds_m
    print(f"extent      {xmax - xmin:.0f} x {ymax - ymin:.0f} m (with a 100 m margin)")
    print(f"written     {args.out}  (© OpenStreetMap contributors, ODbL)")
    return 0


def _bench_raster(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import rasterize

    if args.repeats < 1:
        raise CommandError(f"--repeats: must be >= 1, got {args.repeats}")
    return _report_benchmark(rasterize, rasterize.run(args.repeats, args.seed), args.json)


def _bench_planners(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import planners as bench

    if args.limit is not None and args.limit < 1:
        raise CommandError(f"--limit: must be >= 1, got {args.limit}")
    peers = [peer.strip() for peer in args.peers.split(",") if peer.strip()]
    for peer in peers:
        if peer not in bench.PEERS:
            raise CommandError(f"--peers: unknown peer {peer!r} (known: {', '.join(bench.PEERS)})")
    for path in args.scen:
        if not path.name.endswith((".scen", ".3dscen")):
            raise CommandError(f"--scen: {path}: expected a .scen or .3dscen file")
    notices: list[str] = []
    document = bench.run(args.scen, args.planner or ["astar"], peers, args.limit, notices)
    for notice in notices:
        print(f"notice: {notice}", file=sys.stderr)
    print(bench.format_table(document))
    if args.json:
        bench.write_json(document, args.json)
    if args.plot:
        try:
            bench.plot(document, args.plot)
        except ImportError:
            print(
                "notice: matplotlib not installed (pip install 'dronesim[bench]'): no plot",
                file=sys.stderr,
            )
    return 0


def _report_benchmark(module, result, out: Path | None) -> int:
    """Print a benchmark's table and write its figures as JSON when asked."""
    print(module.format_table(result))
    if out:
        out.write_text(json.dumps(result, indent=2))
    return 0


def _bench_kernels(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import kernels

    if args.map is not None and not args.map.is_file():
        raise CommandError(f"--map: {args.map}: no such file")
    if args.queries < 2:
        raise CommandError(f"--queries: must be >= 2, got {args.queries}")
    return _report_benchmark(
        kernels, kernels.run(args.map or kernels.DEFAULT_MAP, args.queries), args.json
    )


def _bench_fleet(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import fleet

    if args.repeats < 1:
        raise CommandError(f"--repeats: must be >= 1, got {args.repeats}")
    return _report_benchmark(fleet, fleet.run(args.repeats), args.json)


def _bench_sim(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import sim as bench

    return _report_benchmark(bench, bench.run(quick=args.quick), args.json)


def _bench_deconfliction(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import deconfliction as bench
    from dronesim.sim.deconfliction import deconfliction_names

    cases = [c for c in args.cases.split(",") if c]
    unknown = [c for c in cases if c not in bench.CASES]
    if not cases or unknown:
        raise CommandError(
            f"--cases: unknown case {unknown[0] if unknown else args.cases!r}; "
            f"known: {', '.join(bench.CASES)}"
        )
    policies = [p for p in args.policies.split(",") if p]
    known = deconfliction_names()
    unknown = [p for p in policies if p not in known]
    if not policies or unknown:
        raise CommandError(
            f"--policies: unknown policy {unknown[0] if unknown else args.policies!r}; "
            f"known: {', '.join(known)}"
        )
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CommandError(f"--duration: must be > 0 (seconds), got {args.duration}")
    buffer_s = args.time_buffer_s
    if buffer_s is not None and not (math.isfinite(buffer_s) and 0 <= buffer_s <= 3600):
        raise CommandError(f"--time-buffer-s: must be within [0, 3600] seconds, got {buffer_s}")
    if args.json is not None:
        _check_output(args.json, "--json")
    results = bench.run(cases, policies, duration_s=args.duration, time_buffer_s=buffer_s)
    return _report_benchmark(bench, results, args.json)


def _bench_validation(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import validation as bench

    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CommandError(f"--duration: must be > 0 (seconds), got {args.duration}")
    if args.json is not None:
        _check_output(args.json, "--json")
    return _report_benchmark(bench, bench.run(args.duration), args.json)


def _bench_mapf(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import mapf as bench

    if not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise CommandError(f"--time-limit: must be > 0, got {args.time_limit}")
    try:
        counts = [int(text) for text in args.agents.split(",") if text.strip()]
    except ValueError:
        raise CommandError(
            f"--agents: expected comma-separated integers, got {args.agents!r}"
        ) from None
    if not counts or min(counts) < 1:
        raise CommandError(f"--agents: counts must be >= 1, got {args.agents!r}")
    peers = [peer.strip() for peer in args.peers.split(",") if peer.strip()]
    for peer in peers:
        if peer not in bench.PEERS:
            raise CommandError(f"--peers: unknown peer {peer!r} (known: {', '.join(bench.PEERS)})")
    for path in args.scen:
        if not path.name.endswith(".scen"):
            raise CommandError(f"--scen: {path}: expected a .scen file")
    notices: list[str] = []
    solutions: list = []
    document = bench.run(args.scen, counts, peers, args.time_limit, notices, solutions)
    for notice in notices:
        print(f"notice: {notice}", file=sys.stderr)
    print(bench.format_table(document))
    if args.json:
        bench.write_json(document, args.json)
    if args.paths:
        bench.write_paths(solutions, args.paths)
    return 0


def _bench_export(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import export

    if args.repeats < 1:
        raise CommandError(f"--repeats: must be >= 1, got {args.repeats}")
    if args.recording is not None:
        from dronesim.sim.recording import Recording

        Recording.load(args.recording, read_map=False)  # a bad file: one line, now
    if args.json is not None:
        _check_output(args.json, "--json")
    return _report_benchmark(
        export, export.run(args.recording, args.repeats, not args.no_check), args.json
    )


def _bench_viz(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import viz

    if args.frames < 1:
        raise CommandError(f"--frames: must be >= 1, got {args.frames}")
    return _report_benchmark(viz, viz.run(args.frames), args.json)


def _bench_sweep(args: argparse.Namespace) -> int:
    from dronesim.benchmarks import sweep as bench

    if args.runs < 1:
        raise CommandError(f"--runs: must be >= 1, got {args.runs}")
    if args.workers < 1:
        raise CommandError(f"--workers: must be >= 1, got {args.workers}")
    if args.repeats < 1:
        raise CommandError(f"--repeats: must be >= 1, got {args.repeats}")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CommandError(f"--duration: must be > 0 (seconds), got {args.duration}")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in backends if b not in bench.BACKENDS]
    if not backends or unknown:
        raise CommandError(
            f"--backends: unknown backend {unknown[0] if unknown else args.backends!r}; "
            f"known: {', '.join(bench.BACKENDS)}"
        )
    _check_output(args.json, "--json")
    result = bench.run(
        args.runs, args.workers, args.scenario, args.duration, backends, args.repeats
    )
    return _report_benchmark(bench, result, args.json)


def _print_summary(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_json_safe(summary), indent=2))
        return
    lines: list[str] = []
    if "file" in summary:
        lines.append(f"{summary['format']} map {summary['file']}")
    city = summary.get("city")
    if city:
        lines.append(
            f"city        {city['name']}, {city['size_m'][0]:.0f} x {city['size_m'][1]:.0f} m"
        )
        heights = city["building_height_m"]
        if heights:
            lines.append(
                f"buildings   {city['buildings']} (height median {heights['p50']:.0f} m, "
                f"p90 {heights['p90']:.0f} m, max {heights['max']:.0f} m)"
            )
        else:
            lines.append("buildings   0")
        lines.append(
            f"features    {city['depots']} depots ({city['pads']} pads), {city['base_stations']} base stations, "
            f"{city['hotspots']} demand hotspots, {city['parks']} parks"
        )
    air = summary["airspace"]
    nz, ny, nx = air["shape"]
    lines.append(
        f"grid        {nx} x {ny} cells of {air['cell_size_m']:g} m x {nz} layers = {air['cells']:,} cells"
    )
    shares = air["blocked_share"]
    if len(shares) > 12:
        lines.append(
            f"layers      {len(shares)} layers of {air['cell_size_m']:g} m, blocked {100 * min(shares):.1f} % "
            f"to {100 * max(shares):.1f} % per layer (mean {100 * sum(shares) / len(shares):.1f} %)"
        )
    else:
        lines.append("layers      altitude  blocked")
        for altitude, share in zip(air["layers_m"], shares):
            lines.append(f"            {altitude:7.1f} m  {100 * share:5.1f} %")
    if air["zones"]:
        lines.append(
            "zones       name                 kind        band (m)        buffer  active (s)"
        )
        for zone in air["zones"]:
            ceiling = "inf" if zone["ceiling_m"] == math.inf else f"{zone['ceiling_m']:g}"
            band = f"{zone['floor_m']:g}-{ceiling}"
            if zone["active_from_s"] is None and zone["active_until_s"] is None:
                window = "permanent"
            else:
                start = "-inf" if zone["active_from_s"] is None else f"{zone['active_from_s']:g}"
                end = "inf" if zone["active_until_s"] is None else f"{zone['active_until_s']:g}"
                window = f"[{start}, {end})"
            lines.append(
                f"            {zone['name'][:20]:20s} {zone['kind']:11s} {band:15s} {zone['buffer_m']:5g}  {window}"
            )
    else:
        lines.append("zones       none")
    for depot in air["depots"]:
        lines.append(
            f"depot       {depot['name']} at ({depot['x_m']:.0f}, {depot['y_m']:.0f}) m, {depot['pads']} pads"
        )
    if "written" in summary:
        lines.append(f"written     {summary['written']}")
    print("\n".join(lines))


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
