"""Wind that varies with height, time of day and place: a table the kernels read.

A `WindField` holds the wind at a *reference height* (``reference_height_m``, 10 m by
default, the height of standard anemometers) as vectors towards (east, north) in m/s,
on a table of ``n_t`` times by ``ny x nx`` horizontal cells, plus a vertical profile
that scales it with height ``z`` (metres above ground):

- ``uniform``: the same wind at every height (factor 1);
- ``power`` (the Hellmann power law): ``u(z) = u_ref (z / z_ref)^alpha``. ``alpha`` is
  about 1/7 (0.143) over open, flat terrain (Hellmann 1916; the 1/7 rule of wind
  engineering, e.g. Peterson & Hennessey, J. Appl. Meteor. 17:390, 1978) and 0.3-0.4
  over cities (Davenport's terrain classes; EN 1991-1-4 gives the same orders);
- ``log`` (the logarithmic wind law of the neutral surface layer):
  ``u(z) = u_ref ln(z / z0) / ln(z_ref / z0)`` with roughness length ``z0``: about 0.03 m
  over open grassland, 0.5-1 m over suburbs, 1-2 m and more over city centres (Wieringa,
  J. Wind Eng. Ind. Aerodyn. 41:357, 1992). No displacement height: above a dense
  canopy the profile would start at ``d + z0`` rather than ``z0``; take a larger ``z0``.

Both laws give 0 at and below the ground (``z <= 0``; the log law below ``z0``).

**Time.** With one time the wind is steady. With 24, entry ``k`` is the wind at hour
``k:00`` of the day; simulation time ``t_s`` is hour ``start_hour + t_s / 3600`` (the
scenario's demand clock, as orders use), and the wind between two hours is interpolated
linearly, from 23:00 round to 0:00. Components are interpolated (as gridded wind
products are), not speed and direction: while the direction turns, the speed between
two hours dips below both.

**Place.** With more than one cell, cell ``(j, i)`` has its centre at ``(x0 + i dx,
y0 + j dy)`` (metres, the scenario's local frame); between centres the wind is
interpolated bilinearly, and outside the outermost centres it is the nearest edge's
(clamped).

**How the simulator uses it.** A flown segment uses the wind at its start time and at
its midpoint and mean altitude (`sim._kernels.time_path`): a leg of a few minutes does
not see the wind change during it. The dispatcher's estimates use the forecast
`WindField.forecast`: the mean over the cells at the cruise altitude at the current
time, so estimates and flights differ where the wind varies over the city.

Kernels read ``table`` (shape ``(n_t, ny, nx, 2)``) and ``meta`` (``W_*`` indices).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from dronesim.planners._jit import kernel

PROFILES = {"uniform": 0, "power": 1, "log": 2}
PROFILE_UNIFORM, PROFILE_POWER, PROFILE_LOG = 0, 1, 2
DEFAULT_EXPONENT = 1.0 / 7.0  # open terrain (Hellmann, the 1/7 rule)
DEFAULT_ROUGHNESS_M = 1.0  # suburbs to city (Wieringa 1992)
DEFAULT_REFERENCE_HEIGHT_M = 10.0
HOURS = 24

# Positions in WindField.meta, for the kernels.
W_PROFILE = 0
W_EXPONENT = 1
W_ROUGHNESS = 2
W_REF_HEIGHT = 3
W_START_HOUR = 4
W_X0 = 5
W_Y0 = 6
W_DX = 7
W_DY = 8
N_META = 9


def vector_from(speed_mps: float, from_deg: float) -> tuple[float, float]:
    """Wind blowing *from* ``from_deg`` (degrees clockwise from north, meteorological
    convention) at ``speed_mps``, as a velocity (towards east, towards north), m/s."""
    towards = math.radians(from_deg + 180.0)
    return (speed_mps * math.sin(towards), speed_mps * math.cos(towards))


@kernel
def profile_factor(meta, z_m):
    """Wind speed at height ``z_m`` (metres above ground) over that at the reference
    height, for the profile in ``meta`` (module docstring)."""
    kind = meta[W_PROFILE]
    if kind == PROFILE_UNIFORM:
        return 1.0
    if z_m <= 0.0:
        return 0.0
    if kind == PROFILE_POWER:
        return (z_m / meta[W_REF_HEIGHT]) ** meta[W_EXPONENT]
    z0 = meta[W_ROUGHNESS]
    if z_m <= z0:
        return 0.0
    return math.log(z_m / z0) / math.log(meta[W_REF_HEIGHT] / z0)


@kernel
def _knots(value, n):
    """Lower knot, upper knot and weight of the upper one for a position ``value`` in
    knot units on ``n`` knots, clamped to the ends."""
    if n == 1 or value <= 0.0:
        return 0, 0, 0.0
    if value >= n - 1:
        return n - 1, n - 1, 0.0
    k = int(math.floor(value))
    return k, k + 1, value - k


@kernel
def wind_at(table, meta, t_s, x_m, y_m, z_m):
    """Wind velocity ``(towards east, towards north)`` in m/s at time ``t_s`` (seconds
    of simulation) and place ``(x_m, y_m, z_m)`` (metres; z above ground)."""
    n_t = table.shape[0]
    k0 = 0
    k1 = 0
    ft = 0.0
    if n_t > 1:
        hour = (meta[W_START_HOUR] + t_s / 3600.0) % n_t
        k0 = int(math.floor(hour))
        ft = hour - k0
        k0 = k0 % n_t  # guards the rounding of % at the top
        k1 = (k0 + 1) % n_t
    j0, j1, fy = _knots((y_m - meta[W_Y0]) / meta[W_DY], table.shape[1])
    i0, i1, fx = _knots((x_m - meta[W_X0]) / meta[W_DX], table.shape[2])
    scale = profile_factor(meta, z_m)
    out_x = 0.0
    out_y = 0.0
    for c in range(2):
        v0 = (1.0 - fx) * table[k0, j0, i0, c] + fx * table[k0, j0, i1, c]
        v1 = (1.0 - fx) * table[k0, j1, i0, c] + fx * table[k0, j1, i1, c]
        a = (1.0 - fy) * v0 + fy * v1
        if n_t > 1:
            v0 = (1.0 - fx) * table[k1, j0, i0, c] + fx * table[k1, j0, i1, c]
            v1 = (1.0 - fx) * table[k1, j1, i0, c] + fx * table[k1, j1, i1, c]
            a = (1.0 - ft) * a + ft * ((1.0 - fy) * v0 + fy * v1)
        if c == 0:
            out_x = a * scale
        else:
            out_y = a * scale
    return out_x, out_y


@dataclass(frozen=True, eq=False)
class WindField:
    """Wind over the day, the city and the heights flown (see the module docstring).

    Parameters
    ----------
    table : numpy.ndarray, shape (n_t, ny, nx, 2)
        Wind at the reference height, (towards east, towards north), m/s; ``n_t`` is 1
        (steady) or 24 (hours of the day, from 0:00).
    meta : numpy.ndarray, shape (N_META,)
        Profile, reference height, clock and grid, at the ``W_*`` indices.
    gust_fraction : float
        Bound of the gusts' extra energy on a flown segment (0 = no gusts): the
        simulator multiplies each segment's energy by a seeded factor in
        ``[1, 1 + gust_fraction)``.

    Build one with `WindField.steady` or `WindField.build`.
    """

    table: np.ndarray
    meta: np.ndarray
    gust_fraction: float = 0.0

    @classmethod
    def steady(cls, wind_mps: tuple[float, float]) -> WindField:
        """The same wind everywhere, always, at every height: ``(east, north)`` m/s."""
        return cls.build(np.array(wind_mps, np.float64).reshape(1, 1, 1, 2))

    @classmethod
    def build(
        cls,
        vectors_mps: np.ndarray,
        *,
        profile: str = "uniform",
        exponent: float = DEFAULT_EXPONENT,
        roughness_m: float = DEFAULT_ROUGHNESS_M,
        reference_height_m: float = DEFAULT_REFERENCE_HEIGHT_M,
        start_hour: float = 0.0,
        origin_m: tuple[float, float] = (0.0, 0.0),
        spacing_m: tuple[float, float] = (1.0, 1.0),
        gust_fraction: float = 0.0,
    ) -> WindField:
        """A field from its table and settings.

        Parameters
        ----------
        vectors_mps : array_like, shape (n_t, ny, nx, 2)
            Wind at the reference height, (towards east, towards north), m/s; ``n_t`` 1
            or 24.
        profile : {'uniform', 'power', 'log'}
            Vertical profile.
        exponent : float
            Power-law exponent (``power``), > 0.
        roughness_m : float
            Roughness length (``log``), metres, > 0 and below ``reference_height_m``.
        reference_height_m : float
            Height of the table's wind, metres above ground, > 0.
        start_hour : float
            Hour of the day at simulation time 0.
        origin_m, spacing_m : (float, float)
            Centre of cell (0, 0) and the spacing of centres in x and y, metres.
        gust_fraction : float
            Gust bound, 0 <= g < 1.

        Raises
        ------
        ValueError
            A shape, kind or value out of range.
        """
        table = np.ascontiguousarray(vectors_mps, dtype=np.float64)
        if table.ndim != 4 or table.shape[3] != 2 or table.shape[0] not in (1, HOURS):
            raise ValueError(f"wind table must have shape (1 or 24, ny, nx, 2), got {table.shape}")
        if min(table.shape[1:3]) < 1 or not np.isfinite(table).all():
            raise ValueError("wind table must have at least one cell and finite values")
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
        if not (math.isfinite(reference_height_m) and reference_height_m > 0):
            raise ValueError(f"reference_height_m must be > 0, got {reference_height_m!r}")
        if not (math.isfinite(exponent) and exponent > 0):
            raise ValueError(f"exponent must be > 0, got {exponent!r}")
        if not (math.isfinite(roughness_m) and 0 < roughness_m < reference_height_m):
            raise ValueError(f"roughness_m must be in (0, reference_height_m), got {roughness_m!r}")
        if not all(math.isfinite(s) and s > 0 for s in spacing_m):
            raise ValueError(f"spacing_m must be two numbers > 0, got {spacing_m!r}")
        if not (math.isfinite(gust_fraction) and 0 <= gust_fraction < 1):
            raise ValueError(f"gust_fraction must be in [0, 1), got {gust_fraction!r}")
        meta = np.zeros(N_META)
        meta[W_PROFILE] = PROFILES[profile]
        meta[W_EXPONENT] = exponent
        meta[W_ROUGHNESS] = roughness_m
        meta[W_REF_HEIGHT] = reference_height_m
        meta[W_START_HOUR] = start_hour
        meta[W_X0], meta[W_Y0] = origin_m
        meta[W_DX], meta[W_DY] = spacing_m
        return cls(table, meta, float(gust_fraction))

    @property
    def steady_uniform(self) -> bool:
        """Whether the wind is one vector for every time, place and height."""
        return self.table.shape[:3] == (1, 1, 1) and self.meta[W_PROFILE] == PROFILE_UNIFORM

    def at(self, t_s: float, x_m: float, y_m: float, z_m: float) -> tuple[float, float]:
        """Wind velocity (towards east, towards north), m/s, at a time and place."""
        wx, wy = wind_at(self.table, self.meta, float(t_s), float(x_m), float(y_m), float(z_m))
        return float(wx), float(wy)

    def forecast(self, t_s: float, z_m: float) -> tuple[float, float]:
        """The dispatcher's forecast: the wind at height ``z_m`` and time ``t_s`` (s),
        averaged over the cells (their centres), m/s."""
        ny, nx = self.table.shape[1:3]
        sum_x = 0.0
        sum_y = 0.0
        for j in range(ny):
            for i in range(nx):
                wx, wy = self.at(
                    t_s,
                    self.meta[W_X0] + i * self.meta[W_DX],
                    self.meta[W_Y0] + j * self.meta[W_DY],
                    z_m,
                )
                sum_x += wx
                sum_y += wy
        return (sum_x / (nx * ny), sum_y / (nx * ny))


def as_wind_field(wind) -> WindField:
    """A `WindField` as it is, or a steady one from an ``(east, north)`` pair (m/s)."""
    if isinstance(wind, WindField):
        return wind
    return WindField.steady((float(wind[0]), float(wind[1])))
