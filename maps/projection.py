"""Local metric map projection about an origin on the WGS84 ellipsoid.

Maps and flight plans are exchanged as WGS84 longitude/latitude in degrees (RFC 7946
order: longitude first), but the simulator and the planners work in a flat metric
frame: ``x`` east and ``y`` north, in metres, about an origin near the area of
interest. :class:`LocalProjection` converts between the two and
:func:`project_geometry` applies it to shapely geometries.

The projection is the local tangent plane (East-North-Up, ENU) of the WGS84
ellipsoid at the origin, restricted to points on the ellipsoid surface (height 0):
a point's ``(x, y)`` are the east and north components of its ECEF offset from the
origin, i.e. its orthographic projection onto the tangent plane. See
:class:`LocalProjection` for the resulting distance error.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "WGS84_A",
    "WGS84_F",
    "LocalProjection",
    "project_geometry",
]

#: WGS84 semi-major axis, metres.
WGS84_A: float = 6378137.0
#: WGS84 flattening.
WGS84_F: float = 1.0 / 298.257223563

# First eccentricity squared, and (a / b)^2, which turns the ellipsoid equation
# (X^2 + Y^2) / a^2 + Z^2 / b^2 = 1 into X^2 + Y^2 + K * Z^2 = a^2.
_E2: float = WGS84_F * (2.0 - WGS84_F)
_K: float = 1.0 / (1.0 - WGS84_F) ** 2

# Above this latitude the east and north axes of the tangent plane turn quickly
# with longitude and an origin there is almost certainly a data error.
_MAX_ORIGIN_LAT_DEG: float = 89.9

FloatArray = NDArray[np.float64]


def _check_coordinate(name: str, value: Any, limit: float) -> float:
    # bool is an int subclass; True as a coordinate is a bug, not 1 degree.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if not -limit <= number <= limit:
        raise ValueError(f"{name} must be in [{-limit:g}, {limit:g}] degrees, got {value!r}")
    return number


def origin_in_range(lon_deg: float, lat_deg: float) -> bool:
    """Whether ``(lon_deg, lat_deg)`` (degrees) may be a projection origin: finite,
    longitude in [-180, 180], latitude in [-89.9, 89.9] (as `LocalProjection` checks)."""
    return (
        math.isfinite(lon_deg)
        and math.isfinite(lat_deg)
        and -180.0 <= lon_deg <= 180.0
        and -_MAX_ORIGIN_LAT_DEG <= lat_deg <= _MAX_ORIGIN_LAT_DEG
    )


@dataclass(frozen=True)
class LocalProjection:
    """Local tangent-plane projection about ``(lon0_deg, lat0_deg)`` on WGS84.

    ``x`` is east and ``y`` is north of the origin, in metres. A point's ``(x, y)``
    are the east and north components of the straight (ECEF) vector from the origin
    to the point, which lies on the WGS84 ellipsoid (height 0); the inverse finds
    the point on the ellipsoid directly below or above ``(x, y)`` on the tangent
    plane. Both directions are exact up to floating-point rounding: within 50 km of
    the origin a round trip lon/lat -> x/y -> lon/lat reproduces the input to within
    1e-12 degrees, and x/y -> lon/lat -> x/y to about 1e-8 m.

    Parameters
    ----------
    lon0_deg : float
        Longitude of the origin, degrees, in [-180, 180].
    lat0_deg : float
        Latitude of the origin, degrees, in [-89.9, 89.9].

    Raises
    ------
    ValueError
        If a coordinate of the origin is not finite or out of range; the message
        names the field and the value.
    TypeError
        If a coordinate of the origin is not a real number.

    Notes
    -----
    **Projection error.** The tangent plane is not the curved surface, so planar
    distances are not geodesic distances. A point at geodesic distance ``s`` from
    the origin is shrunk by a factor of about ``cos(s / R)`` along the radius and
    ``sin(s / R) / (s / R)`` across it (``R`` about 6370 km), so planar distances
    are always a little shorter, by a relative error that grows with the square of
    the distance from the origin, however close the two points are. Measured in the
    tests against Vincenty's inverse formula on the ellipsoid, over point pairs at
    origins on the equator, at 40.7 N, 52.5 N, 70 N, 33.9 S and across the
    antimeridian (planar distance minus geodesic distance):

    ==================================  ============  ==========================
    both points within ... of origin    worst error   worst relative error
    ==================================  ============  ==========================
    1 km                                0.0083 mm     1.24e-8
    5 km                                1.04 mm       3.11e-7
    10 km                               8.3 mm        1.24e-6
    50 km                               1.04 m        3.11e-5
    ==================================  ============  ==========================

    The worst absolute error is for two points on opposite sides of the origin (the
    longest pairs), the worst relative error for short segments pointing at the
    origin at the edge of the area; both are largest on the equator, where the
    meridional radius of curvature is smallest, and vary by under 2 % with latitude.
    Keep the origin near the centre of the area (see :meth:`about_centre`): within
    10 km of it, distances are good to a centimetre.

    Grid north (the ``y`` axis) is true north only on the origin's meridian;
    elsewhere the two differ by the meridian convergence, about
    ``dlon * sin(lat)``: 2.0e-3 rad (0.12 degrees) 10 km east or west of an origin
    at 52.5 N.

    Heights are ignored: points are taken on the ellipsoid surface. Between points
    150 m above the ellipsoid, horizontal distances are longer by ``h / R``, about
    2.4e-5 relative, more than the projection error within 10 km of the origin;
    this class does not model that.
    """

    lon0_deg: float
    lat0_deg: float

    # Trigonometry of the origin and its position in the ECEF frame rotated about
    # the polar axis so that the origin's meridian is the X-Z plane: every point is
    # then handled through its longitude difference from the origin, which keeps
    # full precision across the antimeridian.
    _sin_lat0: float = field(init=False, repr=False, compare=False)
    _cos_lat0: float = field(init=False, repr=False, compare=False)
    _p0: float = field(init=False, repr=False, compare=False)
    _z0: float = field(init=False, repr=False, compare=False)
    _n0: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lon0 = _check_coordinate("lon0_deg", self.lon0_deg, 180.0)
        lat0 = _check_coordinate("lat0_deg", self.lat0_deg, _MAX_ORIGIN_LAT_DEG)
        # Frozen dataclass: assigning through object.__setattr__ is the supported way
        # to normalise and cache fields in __post_init__.
        object.__setattr__(self, "lon0_deg", lon0)
        object.__setattr__(self, "lat0_deg", lat0)
        sin_lat0 = math.sin(math.radians(lat0))
        cos_lat0 = math.cos(math.radians(lat0))
        n0 = WGS84_A / math.sqrt(1.0 - _E2 * sin_lat0 * sin_lat0)
        object.__setattr__(self, "_sin_lat0", sin_lat0)
        object.__setattr__(self, "_cos_lat0", cos_lat0)
        object.__setattr__(self, "_n0", n0)
        object.__setattr__(self, "_p0", n0 * cos_lat0)
        object.__setattr__(self, "_z0", n0 * (1.0 - _E2) * sin_lat0)

    def to_local(self, lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Project WGS84 longitude/latitude to local east/north metres.

        Parameters
        ----------
        lon_deg : array_like
            Longitude, degrees. Any value is accepted (it is used modulo 360), so
            points across the antimeridian from the origin need no unwrapping.
        lat_deg : array_like
            Latitude, degrees, in [-90, 90]. Broadcast against `lon_deg`.

        Returns
        -------
        x_m, y_m : numpy.ndarray
            East and north of the origin, metres, float64, with the broadcast shape of
            the inputs (0-d arrays for scalar inputs). NaN inputs give NaN.
        """
        lon, lat = np.broadcast_arrays(
            np.asarray(lon_deg, dtype=np.float64), np.asarray(lat_deg, dtype=np.float64)
        )
        # Subtract in degrees first: close longitudes then cancel exactly.
        dlon = np.radians(lon - self.lon0_deg)
        phi = np.radians(lat)
        sin_phi = np.sin(phi)
        cos_phi = np.cos(phi)
        n = WGS84_A / np.sqrt(1.0 - _E2 * sin_phi * sin_phi)
        # Point in the ECEF frame rotated so that the origin's meridian is X-Z.
        x_rot = n * cos_phi * np.cos(dlon)
        east = n * cos_phi * np.sin(dlon)
        z = n * (1.0 - _E2) * sin_phi
        north = self._cos_lat0 * (z - self._z0) - self._sin_lat0 * (x_rot - self._p0)
        return np.asarray(east), np.asarray(north)

    def to_lonlat(self, x_m: ArrayLike, y_m: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Unproject local east/north metres to WGS84 longitude/latitude.

        Parameters
        ----------
        x_m : array_like
            East of the origin, metres.
        y_m : array_like
            North of the origin, metres. Broadcast against `x_m`.

        Returns
        -------
        lon_deg, lat_deg : numpy.ndarray
            Longitude in [-180, 180] and latitude in [-90, 90], degrees, float64, with
            the broadcast shape of the inputs (0-d arrays for scalar inputs). NaN where
            the input is NaN or where the vertical through ``(x, y)`` misses the
            ellipsoid, which needs a distance of thousands of kilometres.
        """
        east, north = np.broadcast_arrays(
            np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)
        )
        s0 = self._sin_lat0
        c0 = self._cos_lat0
        # The point on the ellipsoid is q + u * up, where q = origin + east * e_hat +
        # north * n_hat lies on the tangent plane and up = (c0, 0, s0) in the rotated
        # frame. Substituting into X^2 + Y^2 + K Z^2 = a^2 gives
        # a_coef u^2 + b_coef u + c_coef = 0; the terms linear in (east, north) cancel
        # exactly because the plane is tangent at the origin, so the constant term is
        # a sum of squares with no cancellation against a^2.
        a_coef = c0 * c0 + _K * s0 * s0
        b_coef = 2.0 * (self._n0 + (_K - 1.0) * s0 * c0 * north)
        c_coef = east * east + north * north * (s0 * s0 + _K * c0 * c0)
        with np.errstate(invalid="ignore"):
            root = np.sqrt(b_coef * b_coef - 4.0 * a_coef * c_coef)
        # Root nearest zero, in the form that avoids cancellation; b_coef > 0 for any
        # north within ~1e9 m, so the denominator never vanishes.
        u = -2.0 * c_coef / (b_coef + root)
        x_rot = self._p0 - s0 * north + c0 * u
        z = self._z0 + c0 * north + s0 * u
        # The point is on the ellipsoid by construction, where tan(lat) equals
        # Z / ((1 - e^2) p) exactly, so no iteration (Bowring etc.) is needed; a
        # residual height of rounding size (~1e-9 m) moves the latitude by ~1e-18 rad.
        lat = np.degrees(np.arctan2(z, (1.0 - _E2) * np.hypot(x_rot, east)))
        lon = self.lon0_deg + np.degrees(np.arctan2(east, x_rot))
        # lon0 and the offset are both within [-180, 180], so one turn suffices; values
        # already in range are left untouched rather than rounded through a modulo.
        lon = np.where(lon > 180.0, lon - 360.0, np.where(lon < -180.0, lon + 360.0, lon))
        return np.asarray(lon), np.asarray(lat)

    @classmethod
    def about_centre(cls, lon_deg: ArrayLike, lat_deg: ArrayLike) -> LocalProjection:
        """Projection with its origin at the centre of the coordinates' bounding box.

        The longitude extent is the shortest arc of longitude containing every point,
        so a set of points straddling the antimeridian gets its origin near 180, not
        near 0 (the RFC 7946 bounding box with west > east).

        Parameters
        ----------
        lon_deg : array_like
            Longitudes, degrees, any shape; values outside [-180, 180] are wrapped.
        lat_deg : array_like
            Latitudes, degrees, any shape, in [-90, 90].

        Returns
        -------
        LocalProjection
            Origin at the centre of the bounding box.

        Raises
        ------
        ValueError
            If there are no coordinates, any is not finite, or the centre latitude is
            outside [-89.9, 89.9].
        """
        lon = np.asarray(lon_deg, dtype=np.float64).ravel()
        lat = np.asarray(lat_deg, dtype=np.float64).ravel()
        if lon.size == 0 or lat.size == 0:
            raise ValueError("about_centre needs at least one coordinate, got none")
        if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
            raise ValueError("about_centre needs finite coordinates, got NaN or infinity")
        lon = np.where(np.abs(lon) > 180.0, np.mod(lon + 180.0, 360.0) - 180.0, lon)
        lon = np.unique(lon)  # sorted
        # The bounding arc is the complement of the widest gap between neighbouring
        # longitudes around the circle. On a tie prefer the arc that does not cross the
        # antimeridian, whose centre is the plain (min + max) / 2.
        wrap_gap = lon[0] + 360.0 - lon[-1]
        gaps = np.diff(lon)
        if gaps.size == 0 or wrap_gap >= gaps.max():
            centre_lon = 0.5 * (lon[0] + lon[-1])
        else:
            i = int(np.argmax(gaps))
            centre_lon = 0.5 * (lon[i + 1] + lon[i] + 360.0)
            if centre_lon > 180.0:
                centre_lon -= 360.0
        centre_lat = 0.5 * (float(lat.min()) + float(lat.max()))
        return cls(float(centre_lon), centre_lat)


def project_geometry(geom: Any, projection: LocalProjection, inverse: bool = False) -> Any:
    """Apply a :class:`LocalProjection` to shapely geometries.

    Parameters
    ----------
    geom : shapely.Geometry or array_like of shapely.Geometry
        Geometry, or array of geometries (None entries are kept), in lon/lat degrees,
        or in local metres if `inverse` is true.
    projection : LocalProjection
        The projection to apply.
    inverse : bool, default False
        False: lon/lat degrees -> local metres (:meth:`LocalProjection.to_local`).
        True: local metres -> lon/lat degrees (:meth:`LocalProjection.to_lonlat`).

    Returns
    -------
    shapely.Geometry or numpy.ndarray of shapely.Geometry
        Same type, geometry types and shape as `geom`, with transformed coordinates.
        Z coordinates, where present, are returned unchanged: heights are not part of
        the projection.
    """
    func: Callable[[ArrayLike, ArrayLike], tuple[FloatArray, FloatArray]] = (
        projection.to_lonlat if inverse else projection.to_local
    )

    def transformation(
        x: FloatArray, y: FloatArray, z: FloatArray | None = None
    ) -> tuple[FloatArray, ...]:
        u, v = func(x, y)
        return (u, v) if z is None else (u, v, z)

    # include_z=None keeps 3D geometries 3D (shapely then calls us once with z and
    # once without); the default False would silently drop altitudes.
    return shapely.transform(geom, transformation, include_z=None, interleaved=False)
