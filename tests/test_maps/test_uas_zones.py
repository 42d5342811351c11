"""ED-269 / ED-318 zone files read into the zone model (`dronesim.maps.uas_zones`).

Every zone of the three InterUSS samples in ``../shared/data/uas`` is checked against
values worked out here from the JSON by hand: floors and ceilings (feet, AMSL), areas
(a circle's against pi r^2 and the circumscribed 64-gon; a polygon's with the ellipsoid's
radii of curvature at its latitude, independent of the code's tangent-plane projection)
and the windows in force. Rasterization is checked against shapely box intersection, as
for the map's own zones (`test_raster._brute_mask`).
"""

from __future__ import annotations

import copy
import datetime
import json
import math

import numpy as np
import pytest
import shapely
from dronesim.maps import Airspace
from dronesim.maps.projection import LocalProjection
from dronesim.maps.uas_zones import (
    ElevationGrid,
    UASZoneError,
    detect_format,
    read_uas_zone_file,
    read_uas_zones,
)
from test_raster import _brute_mask

UTC = datetime.UTC
# A Saturday noon: the Montreux concert schedule (SAT, SUN 17:00-23:59:59) falls in a
# two-day run, inside the samples' 2022-06-15 .. 2023-06-15 date range.
SATURDAY_NOON = datetime.datetime(2022, 10, 15, 12, 0, tzinfo=UTC)
TWO_DAYS_S = 2 * 86400.0
GROUND_M = 372.0  # Lake Geneva's shore, metres AMSL

# WGS84, for the hand computation of areas.
A_M = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)


def _radii(lat_deg):
    """Meridional (M) and prime-vertical (N) radii of curvature, metres."""
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1 - E2 * s * s)
    return A_M * (1 - E2) / w**3, A_M / w


def _hand_area(ring):
    """Area in m^2 of a small lon/lat ring: x = N cos(lat) dlon per vertex (its own
    latitude), y = M dlat about the ring's middle latitude; shoelace."""
    lons = np.array([p[0] for p in ring])
    lats = np.array([p[1] for p in ring])
    lat0 = 0.5 * (lats.min() + lats.max())
    m, _ = _radii(lat0)
    x = np.array([_radii(lat)[1] * math.cos(math.radians(lat)) for lat in lats])
    x = x * np.radians(lons - lons.mean())
    y = m * np.radians(lats - lat0)
    return 0.5 * abs(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def _circle_bounds(radius_m):
    """Area of the disc, and of the 64-gon circumscribing it (the code's circle)."""
    return math.pi * radius_m**2, 64 * radius_m**2 * math.tan(math.pi / 64)


@pytest.fixture(scope="module")
def uas(shared_data):
    return shared_data / "uas"


def _by_name(found):
    return {volume.name: volume for volume in found.volumes}


# ------------------------------------------------------------------ the three samples

# Montreux: SAT and SUN 17:00:00-23:59:59 UTC; t = 0 is Saturday 12:00.
MONTREUX_WINDOWS = ((5 * 3600.0, 12 * 3600.0 - 1), (29 * 3600.0, 36 * 3600.0 - 1))
WHOLE_RUN = ((0.0, TWO_DAYS_S),)

# name: (restriction, status, floor m, ceiling m, shape, radius m or ring, windows)
CHE1 = {
    "Montreux Concert Area": ("PROHIBITED", "blocks", 0.0, 6259 - GROUND_M, "circle", 3000, MONTREUX_WINDOWS),
    "Flugplatz Reichenbach #1": ("PROHIBITED", "blocks", 0.0, 120.0, "circle", 1000, WHOLE_RUN),
    "Flugplatz Reichenbach #2": ("PROHIBITED", "blocks", 50.0, 120.0, "circle", 2500, WHOLE_RUN),
    "Flugplatz Reichenbach #3": ("PROHIBITED", "blocks", 100.0, 120.0, "circle", 3500, WHOLE_RUN),
    "Lausanne Airport #1": (
        "PROHIBITED", "blocks", 0.0, 120.0, "polygon",
        [(6.609821, 46.532886), (6.624755, 46.532886), (6.624755, 46.558624), (6.609821, 46.558624), (6.609821, 46.532886)],
        WHOLE_RUN,
    ),
    # The sample's steps 2 and 3 repeat their first vertex: triangles.
    "Lausanne Airport #2": (
        "PROHIBITED", "blocks", 30.0, 120.0, "polygon",
        [(6.596603, 46.531941), (6.637458, 46.55945), (6.596603, 46.55945), (6.596603, 46.531941)],
        WHOLE_RUN,
    ),
    "Lausanne Airport #3": (
        "PROHIBITED", "blocks", 60.0, 120.0, "polygon",
        [(6.585617, 46.526036), (6.649818, 46.565233), (6.585617, 46.565233), (6.585617, 46.526036)],
        WHOLE_RUN,
    ),
    "MONTREUX Wildlife Preserve": (
        "REQ_AUTHORISATION", "blocks", 0.0, 120.0, "polygon",
        [(6.852035, 46.453943), (6.806716, 46.3917), (6.827659, 46.383649), (6.893234, 46.393239),
         (6.932373, 46.403302), (6.920871, 46.42993), (6.852035, 46.453943)],
        WHOLE_RUN,
    ),
    # Two zones share the identifier: the first informational, 250 ft = 76.2 m.
    "Gantrisch Nature Park (feature 4)": (
        "NO_RESTRICTION", "informational", 0.0, 76.2, "polygon",
        [(7.315521, 46.818857), (7.282562, 46.703143), (7.506408, 46.717268), (7.516021, 46.797239),
         (7.404785, 46.844225), (7.315521, 46.818857)],
        WHOLE_RUN,
    ),
    "Gantrisch Nature Park (feature 5)": (
        "REQ_AUTHORISATION", "blocks", 0.0, 76.2, "polygon",
        [(7.315521, 46.818857), (7.282562, 46.703143), (7.506408, 46.717268), (7.516021, 46.797239),
         (7.404785, 46.844225), (7.315521, 46.818857)],
        WHOLE_RUN,
    ),
}  # fmt: skip

LSXX = {
    "LSXX": (
        "REQ_AUTHORISATION", "blocks", 0.0, math.inf, "polygon",
        [(6.166485701899006, 46.217024450605436), (6.167929158182119, 46.212280093834295),
         (6.170816070746923, 46.214777174806045), (6.170695782723101, 46.21802321032931),
         (6.166485701899006, 46.217024450605436)],
        WHOLE_RUN,
    ),
}  # fmt: skip

ED318 = {
    "LSZB003": (
        "REQ_AUTHORISATION", "blocks", 60.0, 99999.0, "polygon",
        [(7.4355068, 46.9402526), (7.4368695, 46.9418327), (7.4387706, 46.9437947), (7.4408192, 46.9456857),
         (7.4430096, 46.9475007), (7.4453359, 46.9492347), (7.4477917, 46.9508829), (7.4503702, 46.9524407),
         (7.4530644, 46.9539039), (7.4558669, 46.9552685), (7.45877, 46.9565308), (7.4617657, 46.9576872),
         (7.4648458, 46.9587345), (7.4680019, 46.95967), (7.4712253, 46.9604911), (7.4745071, 46.9611954),
         (7.4778383, 46.961781), (7.4812098, 46.9622464), (7.4846123, 46.9625903), (7.4880365, 46.9628117),
         (7.4914728, 46.9629099), (7.494912, 46.9628848), (7.4983446, 46.9627365), (7.5017611, 46.9624652),
         (7.5051521, 46.9620718), (7.5085083, 46.9615573), (7.5093889, 46.9613887), (7.4355068, 46.9402526)],
        WHOLE_RUN,
    ),
    "BLns058": (
        "REQ_AUTHORISATION", "blocks", 0.0, 99999.0, "polygon",
        [(7.5380771, 47.4931128), (7.5380571, 47.4931546), (7.538315, 47.4932532), (7.5385897, 47.493358),
         (7.5386419, 47.4933807), (7.5387059, 47.4933811), (7.538958, 47.493485), (7.5390456, 47.4935621),
         (7.5391291, 47.4935929), (7.5391899, 47.493658), (7.5392657, 47.4937026), (7.5394173, 47.493705),
         (7.5394293, 47.49368), (7.5394407, 47.4936561), (7.5396604, 47.4931961), (7.538932, 47.4930931),
         (7.5381406, 47.4929805), (7.5380771, 47.4931128)],
        WHOLE_RUN,
    ),
    "LSTB002": (
        "REQ_AUTHORISATION", "blocks", 0.0, 99999.0, "polygon",
        [(7.1289534, 46.9783049), (7.1285816, 46.9789731), (7.136025, 46.9802911), (7.136396, 46.9795329),
         (7.130964, 46.9786), (7.1311429, 46.9781174), (7.1295214, 46.9778234), (7.1292357, 46.9783542),
         (7.1289534, 46.9783049)],
        WHOLE_RUN,
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("file", "fmt", "expected"),
    [
        ("ed269_che1_geo_awareness.json", "ED-269", CHE1),
        ("ed269_lsxx_city_sample.json", "ED-269", LSXX),
        ("ed318_sample.json", "ED-318", ED318),
    ],
)
def test_every_sample_zone_has_its_limits_area_and_windows(uas, file, fmt, expected):
    found = read_uas_zone_file(uas / file, None, SATURDAY_NOON, TWO_DAYS_S, GROUND_M)
    assert found.format == fmt
    volumes = _by_name(found)
    assert sorted(volumes) == sorted(expected)
    for name, (restriction, status, floor, ceiling, shape, size, windows) in expected.items():
        volume = volumes[name]
        assert (volume.restriction, volume.status, volume.shape) == (restriction, status, shape), (
            name
        )
        assert volume.blocks == (status == "blocks")
        assert volume.floor_m == pytest.approx(floor, abs=1e-9), name
        assert volume.ceiling_m == pytest.approx(ceiling, abs=1e-9), name
        assert volume.windows_s == windows, name
        area = volume.geometry.area
        if shape == "circle":
            disc, polygon = _circle_bounds(size)
            assert disc < area <= polygon * (1 + 1e-9), name
            # It holds the whole circle (a 1024-gon inscribed in it, a hair smaller).
            x, y, radius = volume.circle_m
            assert radius == size
            assert volume.geometry.buffer(1e-6).contains(
                shapely.Point(x, y).buffer(size, quad_segs=256)
            )
        else:
            assert area == pytest.approx(_hand_area(size), rel=2e-3), name


def test_montreux_blocks_saturday_and_sunday_evenings_only(uas):
    found = read_uas_zone_file(
        uas / "ed269_che1_geo_awareness.json", None, SATURDAY_NOON, TWO_DAYS_S, GROUND_M
    )
    zones = {zone.name: zone for zone in found.zones()}
    evening = [zone for name, zone in zones.items() if name.startswith("Montreux Concert")]
    assert [(z.name, z.active_from_s, z.active_until_s) for z in evening] == [
        ("Montreux Concert Area @1", 18000.0, 43199.0),
        ("Montreux Concert Area @2", 104400.0, 129599.0),
    ]
    # Saturday 16:59:59 UTC not yet, 17:00:00 in force, 23:59:59 no longer.
    first = evening[0]
    assert not first.active_at(18000.0 - 1) and first.active_at(18000.0)
    assert first.active_at(43199.0 - 1e-6) and not first.active_at(43199.0)
    # Zones in force over the whole run are permanent; the informational one is no zone.
    assert not zones["Flugplatz Reichenbach #1"].is_temporary
    assert "Gantrisch Nature Park (feature 4)" not in zones


def test_outside_the_date_range_nothing_dated_is_in_force(uas):
    # 2026: after the samples' 2023-06-15 end; the permanent zones stay.
    start = datetime.datetime(2026, 6, 6, 12, tzinfo=UTC)  # a Saturday too
    found = read_uas_zone_file(uas / "ed269_che1_geo_awareness.json", None, start, TWO_DAYS_S)
    volumes = _by_name(found)
    assert volumes["Montreux Concert Area"].windows_s == ()
    assert volumes["Flugplatz Reichenbach #2"].windows_s == ()
    assert volumes["Lausanne Airport #1"].windows_s == ((0.0, TWO_DAYS_S),)
    names = {zone.name for zone in found.zones()}
    assert not any(name.startswith(("Montreux Concert", "Flugplatz")) for name in names)


def test_authorised_zones_do_not_block_and_prohibited_ones_always_do(uas):
    authorised = ("MONTREUX Wildlife Preserve", "Gantrisch Nature Park", "Lausanne Airport")
    found = read_uas_zone_file(
        uas / "ed269_che1_geo_awareness.json", None, SATURDAY_NOON, TWO_DAYS_S, 0.0, authorised
    )
    volumes = _by_name(found)
    assert volumes["MONTREUX Wildlife Preserve"].status == "authorised"
    assert volumes["Gantrisch Nature Park (feature 5)"].status == "authorised"
    assert volumes["Gantrisch Nature Park (feature 4)"].status == "informational"
    assert volumes["Lausanne Airport #1"].status == "blocks"  # PROHIBITED: no authorisation
    names = {zone.name for zone in found.zones()}
    assert not any(name.startswith(("MONTREUX", "Gantrisch")) for name in names)


def test_detect_format_tells_the_wrappers_apart(uas):
    for file, fmt in (
        ("ed269_che1_geo_awareness.json", "ED-269"),
        ("ed269_lsxx_city_sample.json", "ED-269"),
        ("ed318_sample.json", "ED-318"),
    ):
        assert detect_format(json.loads((uas / file).read_text())) == fmt
    city = {"type": "FeatureCollection", "features": [{"properties": {"kind": "building"}}]}
    assert detect_format(city) is None


# ------------------------------------------------------------------ conversions

ORIGIN = (8.5417, 47.3769)


def _zone(**changes):
    """One ED-269 zone: a 200 m square polygon north-east of ORIGIN, 0-120 m AGL, permanent."""
    dlat = 200.0 / 111_200.0
    dlon = 200.0 / (111_320.0 * math.cos(math.radians(ORIGIN[1])))
    lon, lat = ORIGIN[0] + 0.001, ORIGIN[1] + 0.001
    ring = [[lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]]
    zone = {
        "identifier": "Z1",
        "country": "CHE",
        "name": "test zone",
        "type": "COMMON",
        "restriction": "PROHIBITED",
        "reason": ["OTHER"],
        "applicability": [{"permanent": "YES"}],
        "zoneAuthority": [{"name": "x"}],
        "geometry": [
            {
                "uomDimensions": "M",
                "lowerLimit": 0,
                "lowerVerticalReference": "AGL",
                "upperLimit": 120,
                "upperVerticalReference": "AGL",
                "horizontalProjection": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    for path, value in changes.items():
        target = zone
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        last = keys[-1]
        if value is _DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return zone


_DELETE = object()
MONDAY_TEN = datetime.datetime(2026, 6, 1, 10, tzinfo=UTC)


def _write(tmp_path, *zones, wrapper="features"):
    path = tmp_path / "zones.json"
    path.write_text(json.dumps({wrapper: list(zones)}))
    return path


def _read(tmp_path, *zones, ground=0.0, duration_s=7200.0, start=MONDAY_TEN, **kwargs):
    projection = LocalProjection(*ORIGIN)
    return read_uas_zone_file(
        _write(tmp_path, *zones), projection, start, duration_s, ground, **kwargs
    )


def test_feet_and_amsl_convert_as_computed_by_hand(tmp_path):
    # 1500 ft AMSL over 408 m ground: 457.2 - 408 = 49.2 m; 200 ft AGL = 60.96 m.
    zone = _zone(
        **{
            "geometry.0.uomDimensions": "FT",
            "geometry.0.lowerLimit": 1500,
            "geometry.0.lowerVerticalReference": "AMSL",
            "geometry.0.upperLimit": 2000,
            "geometry.0.upperVerticalReference": "AMSL",
        }
    )
    volume = _read(tmp_path, zone, ground=408.0).volumes[0]
    assert volume.floor_m == pytest.approx(49.2, abs=1e-9)
    assert volume.ceiling_m == pytest.approx(609.6 - 408.0, abs=1e-9)
    zone = _zone(**{"geometry.0.uomDimensions": "FT", "geometry.0.upperLimit": 200})
    volume = _read(tmp_path, zone).volumes[0]
    assert volume.ceiling_m == pytest.approx(60.96, abs=1e-12)
    # A floor below ground is clamped to 0 and said so; null upper is unbounded.
    zone = _zone(
        **{
            "geometry.0.lowerLimit": 300,
            "geometry.0.lowerVerticalReference": "AMSL",
            "geometry.0.upperLimit": None,
        }
    )
    volume = _read(tmp_path, zone, ground=408.0).volumes[0]
    assert (volume.floor_m, volume.ceiling_m) == (0.0, math.inf)
    assert any("clamped" in note for note in volume.notes)


def test_amsl_over_an_elevation_grid_takes_the_conservative_ground(tmp_path):
    # The square lies about 75..275 m east and 111..311 m north of ORIGIN: over cells
    # (0..2, 1..3) of a 100 m grid whose heights run 400..460 m there.
    rows = tuple(tuple(400.0 + 10 * i + 5 * j for i in range(5)) for j in range(5))
    grid = ElevationGrid((0.0, 0.0), 100.0, rows)
    zone = _zone(
        **{
            "geometry.0.lowerLimit": 500,
            "geometry.0.lowerVerticalReference": "AMSL",
            "geometry.0.upperLimit": 600,
            "geometry.0.upperVerticalReference": "AMSL",
        }
    )
    volume = _read(tmp_path, zone, ground=grid).volumes[0]
    # Highest ground under it: column 2, row 3 = 400 + 20 + 15 = 435; lowest: column 0,
    # row 1 = 405.
    assert volume.floor_m == pytest.approx(500 - 435.0)
    assert volume.ceiling_m == pytest.approx(600 - 405.0)


def test_mixed_references_over_high_ground_make_an_empty_volume_not_an_error(tmp_path):
    # 30 m AGL to 420 m AMSL: over 408 m ground the ceiling is 12 m above it, under the
    # floor; over 450 m it is under the ground. Both blocks nothing, neither is an error.
    zone = _zone(**{"geometry.0.lowerLimit": 30, "geometry.0.upperLimit": 420})
    zone["geometry"][0]["upperVerticalReference"] = "AMSL"
    for ground in (408.0, 450.0):
        volume = _read(tmp_path, zone, ground=ground).volumes[0]
        assert not volume.blocks and volume.status == "informational", ground
    assert _read(tmp_path, zone, ground=300.0).volumes[0].blocks  # 120 m ceiling: a volume


def test_a_zone_off_the_elevation_grid_is_no_error(tmp_path):
    # A national file: a zone 50 km away from a 500 m grid, with AMSL limits.
    grid = ElevationGrid((0.0, 0.0), 100.0, ((400.0,) * 5,) * 5)
    far = _zone(
        **{
            "identifier": "FAR",
            "geometry.0.lowerLimit": 500,
            "geometry.0.lowerVerticalReference": "AMSL",
        }
    )
    ring = far["geometry"][0]["horizontalProjection"]["coordinates"][0]
    far["geometry"][0]["horizontalProjection"]["coordinates"][0] = [[x + 0.7, y] for x, y in ring]
    near = _zone(**{"geometry.0.upperLimit": 600, "geometry.0.upperVerticalReference": "AMSL"})
    volumes = {v.identifier: v for v in _read(tmp_path, near, far, ground=grid).volumes}
    assert volumes["Z1"].ceiling_m == pytest.approx(200.0)
    assert any("off map.ground_elevation_grid" in note for note in volumes["FAR"].notes)


@pytest.mark.parametrize(
    ("schedule", "windows"),
    [
        # Monday 10:00 start, two hours: 10:30-11:00 is [1800, 3600).
        ([{"day": ["MON"], "startTime": "10:30:00.00Z", "endTime": "11:00:00.00Z"}], ((1800.0, 3600.0),)),
        ([{"day": ["ANY"], "startTime": "11:30Z", "endTime": "11:45Z"}], ((5400.0, 6300.0),)),
        # Another day only: never in the run.
        ([{"day": ["TUE", "SUN"], "startTime": "10:30:00.00Z", "endTime": "11:00:00.00Z"}], ()),
        # An offset: 12:30+0100 is 11:30 UTC.
        ([{"day": ["MON"], "startTime": "12:30:00.00+0100", "endTime": "13:00+0100"}], ((5400.0, 7200.0),)),
        # Crossing midnight: Sunday 22:00 to 11:00 covers the start of the Monday run.
        ([{"day": ["SUN"], "startTime": "22:00:00.00Z", "endTime": "11:00:00.00Z"}], ((0.0, 3600.0),)),
        # Two entries overlapping merge.
        ([{"day": ["MON"], "startTime": "10:10Z", "endTime": "10:40Z"},
          {"day": ["MON"], "startTime": "10:30Z", "endTime": "10:50Z"}], ((600.0, 3000.0),)),
    ],
)  # fmt: skip
def test_weekly_schedules_map_onto_simulation_seconds(tmp_path, schedule, windows):
    zone = _zone(**{"applicability": [{"permanent": "NO", "schedule": schedule}]})
    assert _read(tmp_path, zone).volumes[0].windows_s == windows


def test_a_schedule_crossing_midnight_over_several_days(tmp_path):
    # Every evening 17:00 to midnight (written 00:00) over three days from Monday 10:00.
    zone = _zone(
        **{
            "applicability": [
                {
                    "permanent": "NO",
                    "schedule": [{"day": ["ANY"], "startTime": "17:00Z", "endTime": "00:00Z"}],
                }
            ]
        }
    )
    windows = _read(tmp_path, zone, duration_s=3 * 86400.0).volumes[0].windows_s
    assert windows == ((25200.0, 50400.0), (111600.0, 136800.0), (198000.0, 223200.0))


def test_a_date_range_alone_and_with_a_schedule(tmp_path):
    period = {
        "permanent": "NO",
        "startDateTime": "2026-06-01T10:20:00Z",
        "endDateTime": "2026-06-01T11:10:00Z",
    }
    zone = _zone(**{"applicability": [period]})
    assert _read(tmp_path, zone).volumes[0].windows_s == ((1200.0, 4200.0),)
    period = dict(period, schedule=[{"day": ["MON"], "startTime": "11:00Z", "endTime": "12:00Z"}])
    zone = _zone(**{"applicability": [period]})
    assert _read(tmp_path, zone).volumes[0].windows_s == ((3600.0, 4200.0),)


# ------------------------------------------------------------------ bad input

BAD = [
    ({"restriction": "FORBIDDEN"}, "restriction", "FORBIDDEN"),
    ({"geometry.0.horizontalProjection": {"type": "Circle", "center": [8.55, 47.38]}}, "radius", "missing"),
    (
        {"applicability": [{"permanent": "NO", "schedule": [{"day": ["FUNDAY"], "startTime": "10:00Z", "endTime": "11:00Z"}]}]},
        "schedule[0].day[0]",
        "FUNDAY",
    ),
    (
        {"applicability": [{"permanent": "NO", "schedule": [{"day": ["MON"], "startTime": "25:00Z", "endTime": "11:00Z"}]}]},
        "schedule[0].startTime",
        "25:00Z",
    ),
    (
        {"applicability": [{"permanent": "NO", "schedule": [{"day": ["MON"], "startTime": "10:00Z", "endTime": "ten"}]}]},
        "schedule[0].endTime",
        "ten",
    ),
    ({"geometry.0.lowerLimit": 100, "geometry.0.upperLimit": 50}, "geometry[0].upperLimit", "50"),
    ({"geometry.0.uomDimensions": "YARDS"}, "geometry[0].uomDimensions", "YARDS"),
    ({"geometry.0.upperVerticalReference": "MSL"}, "geometry[0].upperVerticalReference", "MSL"),
    ({"geometry.0.upperLimit": "high"}, "geometry[0].upperLimit", "high"),
    ({"country": _DELETE}, "country", "Required"),  # the typed reader's own check
    ({"applicability.0.permanent": "MAYBE"}, "permanent", "MAYBE"),
    ({"applicability.0.startDateTime": "yesterday"}, "startDateTime", "yesterday"),
]  # fmt: skip


def test_nan_and_infinity_are_refused_as_json(tmp_path):
    for constant in ("Infinity", "NaN", "1e400"):
        path = tmp_path / "zones.json"
        path.write_text(
            json.dumps({"features": [_zone()]}).replace(
                '"upperLimit": 120', f'"upperLimit": {constant}'
            )
        )
        with pytest.raises(UASZoneError, match="bad JSON") as caught:
            read_uas_zone_file(path, LocalProjection(*ORIGIN), MONDAY_TEN, 7200.0, 0.0)
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("changes", "field", "value"), BAD)
def test_malformed_zone_raises_naming_file_zone_field_and_value(tmp_path, changes, field, value):
    with pytest.raises(UASZoneError) as caught:
        _read(tmp_path, _zone(), _zone(identifier="Z2", **changes))
    message = str(caught.value)
    assert "\n" not in message
    for part in ("zones.json", "'Z2'", field, value):
        assert part in message, (part, message)


def test_ed318_bad_values_raise_too(tmp_path, shared_data):
    document = json.loads((shared_data / "uas" / "ed318_sample.json").read_text())
    cases = [
        ("type", "properties", "FORBIDDEN", "properties.type"),
        ("uom", "layer", "yd", "layer.uom"),
        ("upper", "layer", 10, "layer.upper"),
    ]
    for key, where, value, field in cases:
        broken = copy.deepcopy(document)
        feature = broken["features"][1]
        (feature["properties"] if where == "properties" else feature["geometry"]["layer"])[key] = (
            value
        )
        if key == "upper":
            feature["geometry"]["layer"]["lower"] = 50
        path = tmp_path / "bad318.json"
        path.write_text(json.dumps(broken))
        with pytest.raises(UASZoneError) as caught:
            read_uas_zone_file(path, None, MONDAY_TEN, 3600.0)
        message = str(caught.value)
        assert "bad318.json" in message and "'BLns058'" in message and field in message
        assert str(value) in message


def test_ed318_schedule_goes_through_the_typed_reader(tmp_path, shared_data):
    document = json.loads((shared_data / "uas" / "ed318_sample.json").read_text())
    feature = document["features"][2]
    feature["properties"]["limitedApplicability"] = [
        {"schedule": [{"day": ["MON"], "startTime": "10:30Z", "endTime": "11:00Z"}]}
    ]
    path = tmp_path / "z318.json"
    path.write_text(json.dumps(document))
    volumes = _by_name(read_uas_zone_file(path, None, MONDAY_TEN, 7200.0))
    assert volumes["LSTB002"].windows_s == ((1800.0, 3600.0),)
    assert volumes["LSZB003"].windows_s == ((0.0, 7200.0),)
    feature["properties"]["limitedApplicability"][0]["schedule"][0]["day"] = ["XYZ"]
    path.write_text(json.dumps(document))
    with pytest.raises(
        UASZoneError, match=r"'LSTB002'.*limitedApplicability\[0\]\.schedule\[0\]\.day\[0\].*XYZ"
    ):
        read_uas_zone_file(path, None, MONDAY_TEN, 7200.0)


# ------------------------------------------------------------------ rasterization


def _airspace(zones, half_m, cell_m):
    return Airspace(
        origin_m=(-half_m, -half_m),
        cell_size_m=cell_m,
        nx=int(2 * half_m / cell_m),
        ny=int(2 * half_m / cell_m),
        layers_m=(30.0, 50.0, 70.0, 90.0, 110.0),
        zones=tuple(zones),
    )


def test_sample_zones_rasterize_conservatively(uas):
    # Reichenbach's three steps about their centre, on 25 m cells: each step's layers hold
    # every cell the true circle touches (shapely box intersection), and no others than
    # its polygon touches.
    centre = LocalProjection(7.67807, 46.612893)
    found = read_uas_zone_file(
        uas / "ed269_che1_geo_awareness.json", centre, SATURDAY_NOON, TWO_DAYS_S
    )
    steps = [zone for zone in found.zones() if zone.name.startswith("Flugplatz")]
    airspace = _airspace(steps, 4000.0, 25.0)
    origin, cell, n = airspace.origin_m, airspace.cell_size_m, airspace.nx
    for zone, radius, low_layer in zip(steps, (1000, 2500, 3500), (0, 1, 4)):
        disc = shapely.Point(0, 0).buffer(radius, quad_segs=256)
        truth = _brute_mask(disc, origin, cell, n, n)
        drawn = _brute_mask(zone.geometry, origin, cell, n, n)
        assert not (truth & ~drawn).any(), zone.name
        for k in range(low_layer, 5):
            assert not (truth & ~airspace.blocked[k].astype(bool)).any(), (zone.name, k)
    # The top layer: every step blocks it, so it is exactly the widest polygon's cells.
    top = _brute_mask(steps[2].geometry, origin, cell, n, n)
    assert np.array_equal(airspace.blocked[4].astype(bool), top)
    # Layer 70 m (60-80 m) lies under the 100 m step's floor: only the two lower steps block.
    lower = _brute_mask(steps[1].geometry, origin, cell, n, n)
    assert np.array_equal(airspace.blocked[2].astype(bool), lower)


def test_polygon_zone_rasterizes_like_shapely_box_intersection(uas):
    centre = LocalProjection(6.1685, 46.2152)  # LSXX's middle
    zones = read_uas_zones(uas / "ed269_lsxx_city_sample.json", centre, MONDAY_TEN, 3600.0)
    airspace = _airspace(zones, 600.0, 10.0)
    truth = _brute_mask(zones[0].geometry, airspace.origin_m, 10.0, airspace.nx, airspace.ny)
    assert truth.sum() > 1000
    for k in range(5):  # unbounded ceiling: every layer
        assert np.array_equal(airspace.blocked[k].astype(bool), truth)


def test_zone_whose_schedule_starts_mid_run_blocks_from_exactly_then(tmp_path):
    zone = _zone(
        **{
            "applicability": [
                {
                    "permanent": "NO",
                    "schedule": [{"day": ["MON"], "startTime": "10:30Z", "endTime": "11:00Z"}],
                }
            ],
            "geometry.0.lowerLimit": 40,
        }
    )
    zones = read_uas_zones(_write(tmp_path, zone), LocalProjection(*ORIGIN), MONDAY_TEN, 7200.0)
    assert [(z.active_from_s, z.active_until_s) for z in zones] == [(1800.0, 3600.0)]
    airspace = _airspace(zones, 500.0, 10.0)
    cells = _brute_mask(zones[0].geometry, airspace.origin_m, 10.0, airspace.nx, airspace.ny)
    assert not airspace.blocked.any()
    assert not airspace.blocked_at(1800.0 - 1e-6).any()
    for t in (1800.0, 3600.0 - 1e-6):
        blocked = airspace.blocked_at(t).astype(bool)
        assert not blocked[0].any()  # the 30 m layer lies under the 40 m floor
        for k in range(1, 5):
            assert np.array_equal(blocked[k], cells), (t, k)
    assert not airspace.blocked_at(3600.0).any()


def test_benchmark_zone_file_loads_and_rasterizes_on_a_small_grid():
    from dronesim.benchmarks.rasterize import run_uas_zones

    result = run_uas_zones(1, cells=250, cell_size_m=40.0)
    assert result["uas_zones"] == 1000
    # A fifth of the zones has two steps; windows that miss the day drop volumes.
    assert 800 < result["uas_volumes"] <= 1200
    assert 0 < result["uas_temporary"] < result["uas_volumes"]
    assert 0 < result["uas_blocked_share"] < 1


def test_fractional_limits_are_kept_exactly(tmp_path):
    # The typed reader would truncate 12.5 to 12: values come from the checked document.
    zone = _zone(**{"geometry.0.lowerLimit": 12.5, "geometry.0.upperLimit": 99.75})
    volume = _read(tmp_path, zone).volumes[0]
    assert (volume.floor_m, volume.ceiling_m) == (12.5, 99.75)


def test_ed318_circle_and_stepped_collection(tmp_path):
    lon, lat = ORIGIN[0] + 0.01, ORIGIN[1] + 0.01
    ring = [
        [lon, lat],
        [lon + 0.002, lat],
        [lon + 0.002, lat + 0.002],
        [lon, lat + 0.002],
        [lon, lat],
    ]
    document = {
        "type": "FeatureCollection",
        "metadata": {"provider": [{"text": "test", "lang": "en-GB"}]},
        "features": [
            {
                "type": "Feature",
                "properties": {"identifier": "C1", "country": "CHE", "type": "PROHIBITED", "variant": "COMMON"},
                "geometry": {
                    "type": "GeometryCollection",
                    "geometries": [
                        {
                            "type": "Point",
                            "coordinates": [lon, lat],
                            "extent": {"subType": "Circle", "radius": 500},
                            "layer": {"upper": 200, "upperReference": "AGL", "lower": 0, "lowerReference": "AGL", "uom": "ft"},
                        },
                        {
                            "type": "Polygon",
                            "coordinates": [ring],
                            "layer": {"upper": 1000, "upperReference": "AMSL", "lower": 200, "lowerReference": "AGL", "uom": "m"},
                        },
                    ],
                },
            }
        ],
    }  # fmt: skip
    path = tmp_path / "z318.json"
    path.write_text(json.dumps(document))
    found = read_uas_zone_file(path, LocalProjection(*ORIGIN), MONDAY_TEN, 3600.0, 408.0)
    assert found.format == "ED-318"
    circle, polygon = found.volumes
    assert (circle.name, circle.shape, polygon.name, polygon.shape) == (
        "C1 #1",
        "circle",
        "C1 #2",
        "polygon",
    )
    disc, outer = _circle_bounds(500)
    assert disc < circle.geometry.area <= outer * (1 + 1e-9)
    assert (circle.floor_m, circle.ceiling_m) == (0.0, pytest.approx(60.96))
    assert (polygon.floor_m, polygon.ceiling_m) == (200.0, 592.0)
    assert polygon.geometry.area == pytest.approx(_hand_area(ring), rel=2e-3)
    # A Point without a circle extent is no zone.
    del document["features"][0]["geometry"]["geometries"][0]["extent"]
    path.write_text(json.dumps(document))
    with pytest.raises(UASZoneError, match=r"'C1'.*geometries\[0\]\.extent.*None"):
        read_uas_zone_file(path, LocalProjection(*ORIGIN), MONDAY_TEN, 3600.0)
