"""Tests for maps.projection, against an independent geodesic reference.

The reference is Vincenty's inverse formula on the WGS84 ellipsoid, implemented here
(not in the package) so that the projection's distances are checked against a
different computation. It is itself checked against the published Flinders Peak -
Buninyong line and against closed forms along the equator and a meridian.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import shapely
from dronesim.maps.projection import LocalProjection, project_geometry
from hypothesis import given, settings
from hypothesis import strategies as st

A = 6378137.0
F = 1.0 / 298.257223563
B = A * (1.0 - F)
E2 = F * (2.0 - F)

# Named origins spanning latitudes, hemispheres and the antimeridian.
ORIGINS: dict[str, tuple[float, float]] = {
    "equator": (0.0, 0.0),
    "manhattan": (-74.01, 40.71),
    "berlin": (13.40, 52.52),
    "70N": (18.96, 70.0),
    "sydney": (151.21, -33.87),
    "fiji_antimeridian": (179.99, -16.5),
    "bering_antimeridian": (-179.995, 65.5),
}

# Worst planar-minus-geodesic distance errors measured by distance_errors() over
# ORIGINS, with a little headroom; the LocalProjection docstring states the measured
# values. Keys: radius of the disc about the origin holding both points, metres.
# Values: (max |error| in metres, max |relative error|).
ERROR_BOUNDS: dict[float, tuple[float, float]] = {
    1_000.0: (8.5e-6, 1.26e-8),
    5_000.0: (1.06e-3, 3.15e-7),
    10_000.0: (8.5e-3, 1.26e-6),
    50_000.0: (1.06, 3.15e-5),
}


# --------------------------------------------------------------------------------------
# Reference geodesics
# --------------------------------------------------------------------------------------


def vincenty_inverse(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance on WGS84, metres, by Vincenty's (1975) inverse formula.

    Vectorized over broadcastable inputs in degrees. Accurate to well below a
    micrometre on lines of tens of kilometres; does not handle nearly antipodal
    points, which the tests never use.
    """
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (lon1, lat1, lon2, lat2))
    )
    big_l = np.radians((lon2 - lon1 + 180.0) % 360.0 - 180.0)
    phi1 = np.radians(lat1)
    phi2 = np.radians(lat2)
    # Reduced latitudes via atan2 so that the poles need no special case.
    u1 = np.arctan2((1.0 - F) * np.sin(phi1), np.cos(phi1))
    u2 = np.arctan2((1.0 - F) * np.sin(phi2), np.cos(phi2))
    sin_u1, cos_u1 = np.sin(u1), np.cos(u1)
    sin_u2, cos_u2 = np.sin(u2), np.cos(u2)
    sin_du = np.sin(u2 - u1)

    def sigma_terms(lam):
        sin_lam = np.sin(lam)
        t1 = cos_u2 * sin_lam
        # cos_u1 sin_u2 - sin_u1 cos_u2 cos(lam), rewritten without the cancellation
        # the textbook form suffers on short lines.
        t2 = sin_du + 2.0 * sin_u1 * cos_u2 * np.sin(0.5 * lam) ** 2
        sin_sigma = np.hypot(t1, t2)
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * np.cos(lam)
        sigma = np.arctan2(sin_sigma, cos_sigma)
        sin_alpha = np.where(sin_sigma == 0.0, 0.0, cos_u1 * cos_u2 * sin_lam / sin_sigma)
        cos2_alpha = 1.0 - sin_alpha**2
        cos_2sm = np.where(cos2_alpha == 0.0, 0.0, cos_sigma - 2.0 * sin_u1 * sin_u2 / cos2_alpha)
        return sin_sigma, cos_sigma, sigma, sin_alpha, cos2_alpha, cos_2sm

    lam = big_l.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(100):
            sin_sigma, cos_sigma, sigma, sin_alpha, cos2_alpha, cos_2sm = sigma_terms(lam)
            c = F / 16.0 * cos2_alpha * (4.0 + F * (4.0 - 3.0 * cos2_alpha))
            lam_next = big_l + (1.0 - c) * F * sin_alpha * (
                sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1.0 + 2.0 * cos_2sm**2))
            )
            converged = np.all(np.abs(lam_next - lam) <= 1e-15 * np.maximum(1.0, np.abs(lam)))
            lam = lam_next
            if converged:
                break
        else:
            raise RuntimeError("Vincenty inverse did not converge")
        # Evaluate sigma at the converged lambda, not the one before the last update.
        sin_sigma, cos_sigma, sigma, sin_alpha, cos2_alpha, cos_2sm = sigma_terms(lam)

    u_sq = cos2_alpha * (A * A - B * B) / (B * B)
    big_a = 1.0 + u_sq / 16384.0 * (4096.0 + u_sq * (-768.0 + u_sq * (320.0 - 175.0 * u_sq)))
    big_b = u_sq / 1024.0 * (256.0 + u_sq * (-128.0 + u_sq * (74.0 - 47.0 * u_sq)))
    delta_sigma = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4.0
            * (
                cos_sigma * (-1.0 + 2.0 * cos_2sm**2)
                - big_b / 6.0 * cos_2sm * (-3.0 + 4.0 * sin_sigma**2) * (-3.0 + 4.0 * cos_2sm**2)
            )
        )
    )
    return B * big_a * (sigma - delta_sigma)


def meridian_arc(lat1_deg: float, lat2_deg: float) -> float:
    """Length of the meridian between two latitudes, metres (Gauss-Legendre quadrature)."""
    nodes, weights = np.polynomial.legendre.leggauss(24)
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    phi = 0.5 * (p2 - p1) * nodes + 0.5 * (p2 + p1)
    m = A * (1.0 - E2) / (1.0 - E2 * np.sin(phi) ** 2) ** 1.5
    return float(0.5 * (p2 - p1) * np.sum(weights * m))


def latitude_north_of(lat0_deg: float, distance_m: float) -> float:
    """Latitude ``distance_m`` north of ``lat0_deg`` along a meridian (Newton on the arc)."""
    lat = lat0_deg + math.degrees(distance_m / A)
    for _ in range(10):
        phi = math.radians(lat)
        m = A * (1.0 - E2) / (1.0 - E2 * math.sin(phi) ** 2) ** 1.5
        lat -= math.degrees((meridian_arc(lat0_deg, lat) - distance_m) / m)
    return lat


def wrap_deg(dlon: np.ndarray) -> np.ndarray:
    return (np.asarray(dlon) + 180.0) % 360.0 - 180.0


# --------------------------------------------------------------------------------------
# Test points, built without the projection under test
# --------------------------------------------------------------------------------------


def _approx_lonlat(lon0: float, lat0: float, x, y) -> tuple[np.ndarray, np.ndarray]:
    # Equirectangular offsets with the origin's radii of curvature: only a way to
    # place points roughly; their true distances come from the reference.
    s = math.sin(math.radians(lat0))
    m = A * (1.0 - E2) / (1.0 - E2 * s * s) ** 1.5
    n = A / math.sqrt(1.0 - E2 * s * s)
    lat = lat0 + np.degrees(np.asarray(y) / m)
    lon = wrap_deg(lon0 + np.degrees(np.asarray(x) / (n * math.cos(math.radians(lat0)))))
    return lon, lat


def disc_points(lon0: float, lat0: float, radius: float, count: int, rng) -> tuple:
    """``count`` random points within geodesic distance ``radius`` of the origin."""
    lons, lats = [], []
    have = 0
    while have < count:
        r = radius * np.sqrt(rng.random(2 * count))
        theta = rng.random(2 * count) * 2.0 * np.pi
        lon, lat = _approx_lonlat(lon0, lat0, r * np.sin(theta), r * np.cos(theta))
        keep = vincenty_inverse(lon0, lat0, lon, lat) <= radius
        lons.append(lon[keep])
        lats.append(lat[keep])
        have += int(keep.sum())
    return np.concatenate(lons)[:count], np.concatenate(lats)[:count]


def circle_points(lon0: float, lat0: float, radius: float, azimuths) -> tuple:
    """Points at geodesic distance ``radius`` (to ~1e-9 relative) at grid azimuths."""
    azimuths = np.asarray(azimuths, dtype=np.float64)
    scale = np.full_like(azimuths, radius)
    for _ in range(4):
        lon, lat = _approx_lonlat(lon0, lat0, scale * np.sin(azimuths), scale * np.cos(azimuths))
        scale *= radius / vincenty_inverse(lon0, lat0, lon, lat)
    return _approx_lonlat(lon0, lat0, scale * np.sin(azimuths), scale * np.cos(azimuths))


def distance_errors(lon0: float, lat0: float, radius: float, seed: int = 0) -> dict:
    """Planar minus geodesic distance over point pairs within ``radius`` of the origin.

    The pairs are all pairs of 60 random points in the disc, plus the cases where the
    error peaks: diameters (largest absolute error), 10 m radial segments at the rim
    (largest relative error), short chords along the rim and rays from the origin.
    """
    rng = np.random.default_rng(seed)
    proj = LocalProjection(lon0, lat0)
    rand_lon, rand_lat = disc_points(lon0, lat0, radius, 60, rng)
    i, j = np.triu_indices(rand_lon.size, k=1)
    lon1, lat1, lon2, lat2 = [rand_lon[i]], [rand_lat[i]], [rand_lon[j]], [rand_lat[j]]

    az = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
    rim_lon, rim_lat = circle_points(lon0, lat0, radius, az)
    opp_lon, opp_lat = circle_points(lon0, lat0, radius, az + np.pi)
    in_lon, in_lat = circle_points(lon0, lat0, radius - 10.0, az)
    next_lon, next_lat = np.roll(rim_lon, -1), np.roll(rim_lat, -1)
    zeros = np.zeros_like(az)
    for a_lon, a_lat, b_lon, b_lat in (
        (rim_lon, rim_lat, opp_lon, opp_lat),
        (rim_lon, rim_lat, in_lon, in_lat),
        (rim_lon, rim_lat, next_lon, next_lat),
        (zeros + lon0, zeros + lat0, rim_lon, rim_lat),
    ):
        lon1.append(a_lon)
        lat1.append(a_lat)
        lon2.append(b_lon)
        lat2.append(b_lat)
    lon1, lat1, lon2, lat2 = (np.concatenate(v) for v in (lon1, lat1, lon2, lat2))

    x1, y1 = proj.to_local(lon1, lat1)
    x2, y2 = proj.to_local(lon2, lat2)
    planar = np.hypot(x2 - x1, y2 - y1)
    geodesic = vincenty_inverse(lon1, lat1, lon2, lat2)
    error = planar - geodesic
    return {
        "max_abs": float(np.max(np.abs(error))),
        "max_rel": float(np.max(np.abs(error) / geodesic)),
        "max_signed": float(np.max(error)),
        "pairs": int(error.size),
    }


# --------------------------------------------------------------------------------------
# The reference itself
# --------------------------------------------------------------------------------------


def _dms(d: float, m: float, s: float) -> float:
    return math.copysign(abs(d) + m / 60.0 + s / 3600.0, d)


def test_vincenty_reference_flinders_peak_to_buninyong():
    # Published example (Geoscience Australia / Vincenty): 54 972.271 m.
    lat1, lon1 = _dms(-37, 57, 3.72030), _dms(144, 25, 29.52440)
    lat2, lon2 = _dms(-37, 39, 10.15610), _dms(143, 55, 35.38390)
    assert float(vincenty_inverse(lon1, lat1, lon2, lat2)) == pytest.approx(54972.271, abs=1e-3)


def test_vincenty_reference_equator_and_meridian():
    # Along the equator the geodesic is the equator itself: a * dlon.
    assert float(vincenty_inverse(0.0, 0.0, 0.3, 0.0)) == pytest.approx(
        A * math.radians(0.3), rel=1e-13
    )
    assert float(vincenty_inverse(179.9, 0.0, -179.9, 0.0)) == pytest.approx(
        A * math.radians(0.2), rel=1e-13
    )
    # Along a meridian it is the meridian arc, computed here by quadrature. Vincenty's
    # truncated series leave ~1.5e-12 relative there (1.6e-8 m on 11 km).
    for lat1, lat2 in ((0.0, 0.1), (40.71, 40.8), (-33.9, -34.0), (69.9, 70.2)):
        assert float(vincenty_inverse(5.0, lat1, 5.0, lat2)) == pytest.approx(
            abs(meridian_arc(lat1, lat2)), rel=1e-11
        )
    assert float(vincenty_inverse(1.0, 2.0, 1.0, 2.0)) == 0.0


# --------------------------------------------------------------------------------------
# Projection accuracy
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("radius", sorted(ERROR_BOUNDS))
@pytest.mark.parametrize("name", sorted(ORIGINS))
def test_planar_distances_match_geodesics(name: str, radius: float):
    lon0, lat0 = ORIGINS[name]
    stats = distance_errors(lon0, lat0, radius)
    max_abs, max_rel = ERROR_BOUNDS[radius]
    assert stats["max_abs"] <= max_abs, stats
    assert stats["max_rel"] <= max_rel, stats
    # The tangent plane foreshortens: planar distances never exceed geodesic ones
    # beyond rounding.
    assert stats["max_signed"] <= 1e-8, stats


def test_error_bounds_are_tight():
    # The documented figures are the worst case over all origins, not loose limits.
    for radius, (max_abs, max_rel) in ERROR_BOUNDS.items():
        worst = [distance_errors(*ORIGINS[name], radius) for name in ORIGINS]
        assert max(s["max_abs"] for s in worst) >= 0.9 * max_abs
        assert max(s["max_rel"] for s in worst) >= 0.9 * max_rel


@pytest.mark.parametrize("name", sorted(ORIGINS))
def test_origin_maps_to_zero(name: str):
    proj = LocalProjection(*ORIGINS[name])
    x, y = proj.to_local(proj.lon0_deg, proj.lat0_deg)
    assert abs(float(x)) <= 1e-9
    assert abs(float(y)) <= 1e-9
    lon, lat = proj.to_lonlat(0.0, 0.0)
    assert float(lon) == pytest.approx(proj.lon0_deg, abs=1e-12)
    assert float(lat) == pytest.approx(proj.lat0_deg, abs=1e-12)


@pytest.mark.parametrize("name", sorted(ORIGINS))
def test_point_1000_m_north_along_meridian(name: str):
    lon0, lat0 = ORIGINS[name]
    proj = LocalProjection(lon0, lat0)
    lat = latitude_north_of(lat0, 1000.0)
    assert meridian_arc(lat0, lat) == pytest.approx(1000.0, abs=1e-9)
    x, y = proj.to_local(lon0, lat)
    assert abs(float(x)) <= 1e-9
    assert float(y) == pytest.approx(1000.0, abs=1e-3)
    # Foreshortening along the radius: about s^3 / (6 M^2), a few micrometres.
    assert 0.0 < 1000.0 - float(y) < 1e-5


@pytest.mark.parametrize("name", sorted(ORIGINS))
@pytest.mark.parametrize("x_target", [100.0, 1000.0, -1000.0, 10_000.0])
def test_points_east_on_the_parallel(name: str, x_target: float):
    # A parallel of latitude is not a straight line: it bends towards the pole and
    # leaves the tangent plane's x axis by about x^2 tan(lat0) / (2 N0).
    lon0, lat0 = ORIGINS[name]
    proj = LocalProjection(lon0, lat0)
    s = math.sin(math.radians(lat0))
    n0 = A / math.sqrt(1.0 - E2 * s * s)
    dlon = math.degrees(x_target / (n0 * math.cos(math.radians(lat0))))
    x, y = proj.to_local(lon0 + dlon, lat0)
    dlon_rad = math.radians(dlon)
    # x = N0 cos(lat0) sin(dlon): shorter than the arc of the parallel by dlon^2 / 6.
    assert float(x) == pytest.approx(x_target, rel=dlon_rad**2 / 5.0 + 1e-12)
    expected_y = float(x) ** 2 * math.tan(math.radians(lat0)) / (2.0 * n0)
    # The next term is N0 sin(lat0) cos(lat0) dlon^4 / 8: 1e-8 m at 1 km at 70 N.
    next_term = abs(n0 * s * math.cos(math.radians(lat0))) * dlon_rad**4 / 8.0
    assert float(y) == pytest.approx(expected_y, abs=1e-9 + 2.0 * next_term)
    # Along the parallel, the distance error is the projection's, not a y offset bug.
    geodesic = float(vincenty_inverse(lon0, lat0, lon0 + dlon, lat0))
    assert math.hypot(float(x), float(y)) == pytest.approx(geodesic, rel=ERROR_BOUNDS[10_000.0][1])


def test_meridian_convergence():
    # Grid north (y axis) and true north differ away from the origin's meridian by
    # about dlon * sin(lat): 10 km east of Berlin, 2.0e-3 rad.
    proj = LocalProjection(13.40, 52.52)
    lon, lat = proj.to_lonlat(10_000.0, 0.0)
    x1, y1 = proj.to_local(lon, lat)
    x2, y2 = proj.to_local(lon, lat + 1e-4)
    angle = math.atan2(float(x2 - x1), float(y2 - y1))
    expected = -math.radians(float(lon) - 13.40) * math.sin(math.radians(52.52))
    assert angle == pytest.approx(expected, rel=1e-2)
    assert angle == pytest.approx(-2.04e-3, rel=1e-2)


# --------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ORIGINS))
def test_round_trip_within_50_km(name: str):
    lon0, lat0 = ORIGINS[name]
    proj = LocalProjection(lon0, lat0)
    lon, lat = disc_points(lon0, lat0, 50_000.0, 2000, np.random.default_rng(1))
    x, y = proj.to_local(lon, lat)
    lon2, lat2 = proj.to_lonlat(x, y)
    assert np.max(np.abs(lat2 - lat)) <= 1e-9
    assert np.max(np.abs(wrap_deg(lon2 - lon))) <= 1e-9
    # What the docstring promises: rounding level, measured 3e-14 degrees.
    assert np.max(np.abs(lat2 - lat)) <= 1e-12
    assert np.max(np.abs(wrap_deg(lon2 - lon))) <= 1e-12
    assert np.all((lon2 >= -180.0) & (lon2 <= 180.0))
    x2, y2 = proj.to_local(lon2, lat2)
    assert np.max(np.hypot(x2 - x, y2 - y)) <= 1e-7


@settings(max_examples=300, deadline=None)
@given(
    lon0=st.floats(-180.0, 180.0),
    lat0=st.floats(-89.9, 89.9),
    distance=st.floats(0.0, 50_000.0),
    azimuth=st.floats(0.0, 2.0 * math.pi),
)
def test_round_trip_property(lon0: float, lat0: float, distance: float, azimuth: float):
    proj = LocalProjection(lon0, lat0)
    lon, lat = proj.to_lonlat(distance * math.sin(azimuth), distance * math.cos(azimuth))
    assert -90.0 <= float(lat) <= 90.0
    assert -180.0 <= float(lon) <= 180.0
    x, y = proj.to_local(lon, lat)
    assert (
        math.hypot(float(x) - distance * math.sin(azimuth), float(y) - distance * math.cos(azimuth))
        <= 1e-6
    )
    lon2, lat2 = proj.to_lonlat(x, y)
    assert abs(float(lat2 - lat)) <= 1e-9
    # Longitude is meaningless at the pole, so its error is weighted by cos(lat):
    # within 50 km of an origin at 89.9 a point can pass arbitrarily close to it.
    assert abs(float(wrap_deg(lon2 - lon))) * math.cos(math.radians(float(lat))) <= 1e-9


def test_round_trip_across_the_antimeridian():
    proj = LocalProjection(179.99, -16.5)
    x = np.array([-5000.0, 0.0, 1000.0, 2000.0, 5000.0])
    lon, lat = proj.to_lonlat(x, np.zeros_like(x))
    # Longitudes stay in [-180, 180] (RFC 7946) and jump at the antimeridian.
    assert np.all(lon[:2] > 179.9)
    assert np.all(lon[3:] < -179.9)
    xb, yb = proj.to_local(lon, lat)
    np.testing.assert_allclose(xb, x, atol=1e-6)
    np.testing.assert_allclose(yb, 0.0, atol=1e-6)
    # The same point written as 180.01 or -179.99 projects identically.
    a = np.array(proj.to_local(180.01, -16.5))
    b = np.array(proj.to_local(-179.99, -16.5))
    np.testing.assert_allclose(a, b, atol=1e-6)


# --------------------------------------------------------------------------------------
# Array handling
# --------------------------------------------------------------------------------------


def test_shapes_are_preserved_and_broadcast():
    proj = LocalProjection(13.40, 52.52)
    lon = 13.40 + np.linspace(-0.05, 0.05, 12).reshape(3, 4)
    lat = 52.52 + np.linspace(-0.05, 0.05, 12).reshape(3, 4)
    x, y = proj.to_local(lon, lat)
    assert x.shape == y.shape == (3, 4)
    assert x.dtype == y.dtype == np.float64
    lon2, lat2 = proj.to_lonlat(x, y)
    assert lon2.shape == lat2.shape == (3, 4)
    np.testing.assert_allclose(lon2, lon, atol=1e-12)
    # Broadcasting: a column of longitudes against a row of latitudes.
    x, y = proj.to_local(lon[:, :1], lat[0])
    assert x.shape == y.shape == (3, 4)
    x, y = proj.to_lonlat(np.zeros((2, 0, 5)), 1.0)
    assert x.shape == y.shape == (2, 0, 5)


def test_scalar_and_list_inputs():
    proj = LocalProjection(-74.01, 40.71)
    x, y = proj.to_local(-74.0, 40.72)
    assert x.shape == ()
    assert y.shape == ()
    assert isinstance(float(x), float)
    xs, ys = proj.to_local([-74.0, -74.02], [40.72, 40.70])
    assert xs.shape == (2,)
    assert float(xs[0]) == float(x)
    assert float(ys[0]) == float(y)
    lon, lat = proj.to_lonlat(float(x), float(y))
    assert lon.shape == ()
    assert float(lon) == pytest.approx(-74.0, abs=1e-12)
    assert float(lat) == pytest.approx(40.72, abs=1e-12)


def test_nan_propagates():
    proj = LocalProjection(0.0, 0.0)
    x, y = proj.to_local([np.nan, 0.0], [0.0, 0.0])
    assert np.isnan(x[0])
    assert np.isnan(y[0])
    assert x[1] == 0.0
    lon, lat = proj.to_lonlat([np.nan, 0.0], [0.0, 0.0])
    assert np.isnan(lon[0])
    assert np.isnan(lat[0])
    assert lon[1] == 0.0


# --------------------------------------------------------------------------------------
# Construction
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon0", "lat0", "field"),
    [
        (0.0, 90.0, "lat0_deg"),
        (0.0, -89.95, "lat0_deg"),
        (0.0, 95.0, "lat0_deg"),
        (0.0, math.nan, "lat0_deg"),
        (180.5, 0.0, "lon0_deg"),
        (-181.0, 0.0, "lon0_deg"),
        (math.inf, 0.0, "lon0_deg"),
        (math.nan, 0.0, "lon0_deg"),
    ],
)
def test_bad_origin_raises_naming_the_field(lon0: float, lat0: float, field: str):
    bad = lat0 if field == "lat0_deg" else lon0
    with pytest.raises(ValueError, match=field) as info:
        LocalProjection(lon0, lat0)
    assert repr(bad) in str(info.value)


def test_non_number_origin_raises_type_error():
    with pytest.raises(TypeError, match="lon0_deg"):
        LocalProjection("13.4", 52.52)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lat0_deg"):
        LocalProjection(13.4, True)


def test_origin_limits_and_value_semantics():
    for lon0 in (-180.0, 180.0):
        for lat0 in (-89.9, 89.9):
            LocalProjection(lon0, lat0)
    proj = LocalProjection(np.float32(13.5), 52)
    assert type(proj.lon0_deg) is float
    assert type(proj.lat0_deg) is float
    assert proj == LocalProjection(13.5, 52.0)
    assert hash(proj) == hash(LocalProjection(13.5, 52.0))
    assert repr(proj) == "LocalProjection(lon0_deg=13.5, lat0_deg=52.0)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        proj.lat0_deg = 0.0  # type: ignore[misc]


def test_about_centre_bounding_box():
    proj = LocalProjection.about_centre([13.0, 13.8, 13.2], [52.3, 52.7, 52.6])
    assert proj.lon0_deg == pytest.approx(13.4)
    assert proj.lat0_deg == pytest.approx(52.5)
    single = LocalProjection.about_centre(-74.01, 40.71)
    assert single == LocalProjection(-74.01, 40.71)
    grid = LocalProjection.about_centre(np.array([[1.0, 3.0], [2.0, 2.0]]), np.zeros((2, 2)))
    assert grid.lon0_deg == 2.0


def test_about_centre_across_the_antimeridian():
    proj = LocalProjection.about_centre([179.9, -179.7, 179.95], [-17.0, -16.0, -16.5])
    assert proj.lon0_deg == pytest.approx(-179.9)
    assert proj.lat0_deg == pytest.approx(-16.5)
    symmetric = LocalProjection.about_centre([179.9, -179.9], [0.0, 0.0])
    assert abs(symmetric.lon0_deg) == pytest.approx(180.0)
    # Longitudes outside [-180, 180] are wrapped first.
    wrapped = LocalProjection.about_centre([179.9, 180.1], [0.0, 0.0])
    assert abs(wrapped.lon0_deg) == pytest.approx(180.0)
    # Every point ends up near the origin.
    x, _ = proj.to_local([179.9, -179.7], [-16.5, -16.5])
    assert np.all(np.abs(x) < 25_000.0)


def test_about_centre_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        LocalProjection.about_centre([], [])
    with pytest.raises(ValueError, match="finite"):
        LocalProjection.about_centre([0.0, np.nan], [0.0, 0.0])
    with pytest.raises(ValueError, match="lat0_deg"):
        LocalProjection.about_centre([0.0], [89.95])


# --------------------------------------------------------------------------------------
# Geometries
# --------------------------------------------------------------------------------------


def test_project_geometry_polygon_round_trip():
    proj = LocalProjection(13.40, 52.52)
    ring = [(13.39, 52.51), (13.41, 52.51), (13.41, 52.53), (13.39, 52.53), (13.39, 52.51)]
    hole = [(13.398, 52.518), (13.402, 52.518), (13.402, 52.522), (13.398, 52.518)]
    poly = shapely.Polygon(ring, [hole])
    local = project_geometry(poly, proj)
    assert isinstance(local, shapely.Polygon)
    coords = shapely.get_coordinates(poly)
    expected = np.column_stack(proj.to_local(coords[:, 0], coords[:, 1]))
    np.testing.assert_array_equal(shapely.get_coordinates(local), expected)
    assert len(local.interiors) == 1
    # A 0.02 x 0.02 degree box (1.36 km x 2.22 km) less a right triangle of 0.004
    # degrees, sides measured with the reference along the parallel and meridian.
    width = float(vincenty_inverse(13.39, 52.52, 13.41, 52.52))
    height = meridian_arc(52.51, 52.53)
    expected_area = width * height * (1.0 - 0.5 * 0.2 * 0.2)
    assert local.area == pytest.approx(expected_area, rel=1e-4)
    back = project_geometry(local, proj, inverse=True)
    assert shapely.equals_exact(back, poly, tolerance=1e-11)


def test_project_geometry_arrays_none_and_z():
    proj = LocalProjection(-74.01, 40.71)
    geoms = np.array(
        [
            shapely.Point(-74.0, 40.72, 120.0),
            None,
            shapely.LineString([(-74.01, 40.71), (-74.0, 40.71)]),
            shapely.Point(),
        ],
        dtype=object,
    )
    out = project_geometry(geoms, proj)
    assert isinstance(out, np.ndarray)
    assert out.shape == (4,)
    assert out[1] is None
    assert out[3].is_empty
    assert out[0].has_z
    assert out[0].z == 120.0  # altitude passed through unchanged
    x, y = proj.to_local(-74.0, 40.72)
    assert (out[0].x, out[0].y) == (float(x), float(y))
    assert not out[2].has_z
    assert out[2].length == pytest.approx(
        float(vincenty_inverse(-74.01, 40.71, -74.0, 40.71)), rel=1e-6
    )
    assert project_geometry(None, proj) is None
