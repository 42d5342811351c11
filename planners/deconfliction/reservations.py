"""A space-time reservation table over grid cells.

Every reservation is a half-open time interval ``[start_s, end_s)`` during which one owner
(a drone, a MAPF agent, a temporary zone) occupies a cell. Inserting a timed plan reserves,
for each cell the plan occupies, that cell and every cell of the separation footprint around
it (``horizontal_cells`` in row and column, ``vertical_cells`` in layers: a box, so the
footprint is conservative for any position inside the cells), widened by ``time_buffer_s``
on both sides. The free time of a cell is the complement of the union of its reservations:
its *safe intervals*, the states of safe interval path planning (`sipp`).

Beside the cell (vertex) reservations the table keeps *move* reservations for the classic
MAPF rules: a move from cell ``a`` to cell ``b`` departing at ``t`` forbids the opposite
move ``b -> a`` departing at ``t`` (a swap). They live in a second set of lists, keyed by
the move's destination ``b``, with the origin ``a`` stored beside the interval.

Layout (numba-friendly: arrays and scalars only)
------------------------------------------------
- ``head[c]`` / ``move_head[c]`` (int64, one per cell): first pool slot of cell ``c``'s
  vertex / move list, -1 when empty. A new interval of an owner that overlaps or touches
  one of the same owner already in the list (starting no later) extends it instead of
  taking a slot: a plan's consecutive cells have overlapping footprints, so a cell near a
  path holds one reservation per plan rather than one per nearby plan cell.
- A pool of slots shared by all lists: ``start_s``, ``end_s`` (float64), ``owner``
  (int64), ``other`` (int64: the origin cell of a move reservation, -1 otherwise) and
  ``next_slot`` (int64, the next slot of the same list, -1 at its end). Each list is kept
  sorted by ``start_s``. Freed slots are chained through ``next_slot`` into a free list
  whose head is ``meta[0]``; ``meta[1]`` counts slots in use. The Python class grows the
  pool (doubling) before an insertion that could overflow it, so kernels never allocate.
- The owner's touched cells are remembered (in Python) so that releasing a plan walks only
  those lists.
- ``seg`` (float64, ``(slots, 4)``): where the occupancy lies, when the owner said
  (`reserve`'s ``segments``): every horizontal position of the owner while it holds the
  cell is on the segment ``(x0, y0) - (x1, y1)``; NaN when unknown. A query that knows its
  own segment (`safe_intervals`'s ``segment``) leaves out the reservations whose segment is
  at least ``separation_m`` from it: two such occupants are apart horizontally at every
  instant, whatever their altitudes, so the box footprint is only needed where a position
  is not known this way. (A drone's own stop, a pad or a drop-off point, is such a case:
  see `sim.strategic`.)

Cost, with ``k`` the number of reservations in one cell's list and ``F`` the footprint size
(``(2 * horizontal_cells + 1) ** 2 * (2 * vertical_cells + 1)`` cells): inserting a plan of
``n`` cells is ``O(n * F * k)`` (a sorted insertion per footprint cell); releasing it the
same; the safe intervals of one cell are ``O(k)`` (one walk, merging overlapping
reservations). Planning touches lists only by walking them, so a search costs no allocation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from dronesim.maps.errors import InputError
from dronesim.planners._jit import inlined, kernel

INF = math.inf


class DeconflictionError(InputError):
    """Bad input to the reservation table or the deconfliction planners (one line)."""


# --------------------------------------------------------------------------- kernels


@inlined
def _same_segment(seg, slot, segment):
    """Whether ``slot`` holds ``segment`` (both none, NaN, or equal)."""
    if np.isnan(segment[0]) or np.isnan(seg[slot, 0]):
        return np.isnan(segment[0]) and np.isnan(seg[slot, 0])
    return (
        seg[slot, 0] == segment[0]
        and seg[slot, 1] == segment[1]
        and seg[slot, 2] == segment[2]
        and seg[slot, 3] == segment[3]
    )


@inlined
def _insert_one(head, start_s, end_s, owner, other, next_slot, meta, seg, cell, t0, t1, who,
                origin, segment):  # fmt: skip
    """Insert ``[t0, t1)`` into the sorted list of ``cell`` (a slot must be free), or extend
    a reservation of the same owner (and origin, and segment) that already reaches ``t0``,
    so that the overlapping footprints of a plan's consecutive cells make one reservation
    per cell rather than one per plan cell."""
    previous = -1
    current = head[cell]
    while current >= 0 and start_s[current] <= t0:
        if (
            owner[current] == who
            and other[current] == origin
            and end_s[current] >= t0
            and _same_segment(seg, current, segment)
        ):
            if t1 > end_s[current]:
                end_s[current] = t1
            return
        previous = current
        current = next_slot[current]
    slot = meta[0]
    meta[0] = next_slot[slot]
    meta[1] += 1
    start_s[slot] = t0
    end_s[slot] = t1
    owner[slot] = who
    other[slot] = origin
    for k in range(4):
        seg[slot, k] = segment[k]
    next_slot[slot] = current
    if previous < 0:
        head[cell] = slot
    else:
        next_slot[previous] = slot


@kernel
def _insert_footprint(
    head,
    start_s,
    end_s,
    owner,
    other,
    next_slot,
    meta,
    seg,
    nz,
    ny,
    nx,
    cells,
    t_from,
    t_to,
    segments,
    who,
    horizontal_cells,
    vertical_cells,
    buffer_s,
    mark,
    stamp,
    touched,
):
    """Reserve every footprint cell around ``cells[i]`` for ``[t_from[i], t_to[i])`` widened
    by ``buffer_s``, with the occupancy's segment ``segments[i]`` (NaN: none). Each
    footprint cell is written once into ``touched`` (``mark[c] == stamp`` once seen);
    returns how many."""
    count = 0
    for i in range(cells.shape[0]):
        c = cells[i]
        z = c // (ny * nx)
        y = (c // nx) % ny
        x = c % nx
        t0 = t_from[i] - buffer_s
        t1 = t_to[i] + buffer_s
        for zz in range(max(0, z - vertical_cells), min(nz, z + vertical_cells + 1)):
            for yy in range(max(0, y - horizontal_cells), min(ny, y + horizontal_cells + 1)):
                for xx in range(max(0, x - horizontal_cells), min(nx, x + horizontal_cells + 1)):
                    cell = (zz * ny + yy) * nx + xx
                    _insert_one(
                        head, start_s, end_s, owner, other, next_slot, meta, seg, cell, t0, t1,
                        who, -1, segments[i],
                    )  # fmt: skip
                    if mark[cell] != stamp:
                        mark[cell] = stamp
                        touched[count] = cell
                        count += 1
    return count


@kernel
def _insert_moves(
    head, start_s, end_s, owner, other, next_slot, meta, seg, origins, targets, t0, t1, who
):
    """Insert move reservations ``origins[i] -> targets[i]`` over ``[t0[i], t1[i])``, each
    into the list of its target cell."""
    none = np.full(4, np.nan)
    for i in range(origins.shape[0]):
        _insert_one(
            head, start_s, end_s, owner, other, next_slot, meta, seg, targets[i], t0[i], t1[i],
            who, origins[i], none,
        )  # fmt: skip


@kernel
def _release(head, owner, next_slot, meta, cells, who):
    """Remove every slot of owner ``who`` from the lists of ``cells``; returns slots freed."""
    freed = 0
    for i in range(cells.shape[0]):
        cell = cells[i]
        previous = -1
        current = head[cell]
        while current >= 0:
            following = next_slot[current]
            if owner[current] == who:
                if previous < 0:
                    head[cell] = following
                else:
                    next_slot[previous] = following
                next_slot[current] = meta[0]
                meta[0] = current
                meta[1] -= 1
                freed += 1
            else:
                previous = current
            current = following
    return freed


@inlined
def _point_segment_m(px, py, ax, ay, bx, by):
    """Distance from point ``p`` to segment ``ab`` (metres)."""
    ux = bx - ax
    uy = by - ay
    length2 = ux * ux + uy * uy
    t = 0.0
    if length2 > 0.0:
        t = min(1.0, max(0.0, ((px - ax) * ux + (py - ay) * uy) / length2))
    return math.hypot(px - (ax + t * ux), py - (ay + t * uy))


@inlined
def _segments_apart_m(s, q):
    """Least distance between the segments ``s`` and ``q`` (``x0, y0, x1, y1``, metres)."""
    # Proper crossing: the ends of each lie on both sides of the other.
    d1 = (q[2] - q[0]) * (s[1] - q[1]) - (q[3] - q[1]) * (s[0] - q[0])
    d2 = (q[2] - q[0]) * (s[3] - q[1]) - (q[3] - q[1]) * (s[2] - q[0])
    d3 = (s[2] - s[0]) * (q[1] - s[1]) - (s[3] - s[1]) * (q[0] - s[0])
    d4 = (s[2] - s[0]) * (q[3] - s[1]) - (s[3] - s[1]) * (q[2] - s[0])
    if d1 * d2 < 0.0 and d3 * d4 < 0.0:
        return 0.0
    return min(
        _point_segment_m(s[0], s[1], q[0], q[1], q[2], q[3]),
        _point_segment_m(s[2], s[3], q[0], q[1], q[2], q[3]),
        _point_segment_m(q[0], q[1], s[0], s[1], s[2], s[3]),
        _point_segment_m(q[2], q[3], s[0], s[1], s[2], s[3]),
    )


@inlined
def _safe_intervals(head, start_s, end_s, next_slot, cell, out_lo, out_hi, seg, query, apart_m):
    """Write the gaps between the merged reservations of ``cell`` (``[-inf, inf)`` when it
    has none) into ``out_lo``/``out_hi``; returns their number (empty gaps are skipped).
    With a ``query`` segment (not NaN), reservations holding a segment at least
    ``apart_m`` from it are left out (the two occupancies cannot come closer)."""
    count = 0
    lo = -np.inf
    current = head[cell]
    filtering = not np.isnan(query[0])
    while current >= 0:
        a = start_s[current]
        b = end_s[current]
        if (
            filtering
            and not np.isnan(seg[current, 0])
            and _segments_apart_m(seg[current], query) >= apart_m
        ):
            current = next_slot[current]
            continue
        if a > lo:
            out_lo[count] = lo
            out_hi[count] = a
            count += 1
            lo = b
        elif b > lo:
            lo = b
        current = next_slot[current]
    if lo < np.inf:
        out_lo[count] = lo
        out_hi[count] = np.inf
        count += 1
    return count


@kernel
def _safe_intervals_many(head, start_s, end_s, next_slot, cells, queries, seg, apart_m):
    """`_safe_intervals` of several cells, each with its query segment (a row of
    ``queries``, NaN: none): all gaps in ``(lo, hi)`` one cell after another, and
    ``counts`` per cell."""
    n = cells.shape[0]
    room = 0
    for k in range(n):  # a cell holds at most its list's length plus one gaps
        room += 1
        current = head[cells[k]]
        while current >= 0:
            room += 1
            current = next_slot[current]
    lo = np.empty(room, np.float64)
    hi = np.empty(room, np.float64)
    counts = np.empty(n, np.int64)
    at = 0
    for k in range(n):
        got = _safe_intervals(head, start_s, end_s, next_slot, cells[k], lo[at:], hi[at:], seg,
                              queries[k], apart_m)  # fmt: skip
        counts[k] = got
        at += got
    return lo[:at], hi[:at], counts


# --------------------------------------------------------------------------- table


class ReservationTable:
    """Occupied time intervals of every cell of a 2D ``(rows, columns)`` or 3D ``(layers,
    rows, columns)`` grid, inflated by a separation footprint and a time buffer.

    Parameters
    ----------
    shape : tuple of int
        Grid shape in cells, 2D or 3D.
    horizontal_cells : int
        Footprint half-width in cells along rows and columns (0: the cell itself).
    vertical_cells : int
        Footprint half-height in layers (ignored for 2D grids).
    time_buffer_s : float
        Seconds added before and after every cell reservation (>= 0).
    capacity : int
        Initial number of pool slots (the pool grows by doubling).
    separation_m : float
        Horizontal separation in metres between occupancies known to lie on segments
        (``segments`` of `reserve`, ``segment`` of `safe_intervals`); inf (default): the
        footprint alone decides.
    """

    def __init__(
        self,
        shape: Sequence[int],
        *,
        horizontal_cells: int = 0,
        vertical_cells: int = 0,
        time_buffer_s: float = 0.0,
        capacity: int = 1024,
        separation_m: float = math.inf,
    ) -> None:
        shape = tuple(int(n) for n in shape)
        if len(shape) not in (2, 3) or min(shape) < 1:
            raise DeconflictionError(
                f"reservation table: shape must be 2D or 3D, >= 1, got {shape}"
            )
        for name, value in (
            ("horizontal_cells", horizontal_cells),
            ("vertical_cells", vertical_cells),
        ):
            if int(value) != value or value < 0:
                raise DeconflictionError(
                    f"reservation table: {name} must be an integer >= 0, got {value!r}"
                )
        if not (math.isfinite(time_buffer_s) and time_buffer_s >= 0):
            raise DeconflictionError(
                f"reservation table: time_buffer_s must be finite and >= 0, got {time_buffer_s!r}"
            )
        if capacity < 1:
            raise DeconflictionError(f"reservation table: capacity must be >= 1, got {capacity!r}")
        if math.isnan(separation_m) or separation_m <= 0:
            raise DeconflictionError(
                f"reservation table: separation_m must be > 0, got {separation_m!r}"
            )
        self.separation_m = float(separation_m)
        self.shape = shape
        self.dims = (1, *shape) if len(shape) == 2 else shape
        self.n_cells = int(np.prod(shape))
        self.horizontal_cells = int(horizontal_cells)
        self.vertical_cells = int(vertical_cells) if len(shape) == 3 else 0
        self.time_buffer_s = float(time_buffer_s)
        self.head = np.full(self.n_cells, -1, np.int64)
        self.move_head = np.full(self.n_cells, -1, np.int64)
        self.start_s = np.zeros(0, np.float64)
        self.end_s = np.zeros(0, np.float64)
        self.owner = np.zeros(0, np.int64)
        self.other = np.zeros(0, np.int64)
        self.next_slot = np.zeros(0, np.int64)
        self.seg = np.zeros((0, 4), np.float64)  # per slot: its segment, NaN for none
        self.meta = np.array([-1, 0], np.int64)
        self._no_segment = np.full(4, np.nan)
        self._touched: dict[int, list[np.ndarray]] = {}
        self._moved: dict[int, list[np.ndarray]] = {}
        self._grow(capacity)
        self._lo = np.empty(16, np.float64)
        self._hi = np.empty(16, np.float64)
        self._mark = np.zeros(self.n_cells, np.int64)
        self._mark_stamp = 0
        self._touched_buffer = np.empty(1024, np.int64)

    # -- pool ------------------------------------------------------------------------
    @property
    def capacity(self) -> int:
        """Pool slots allocated."""
        return int(self.start_s.shape[0])

    @property
    def used(self) -> int:
        """Pool slots holding a reservation."""
        return int(self.meta[1])

    def _grow(self, needed: int) -> None:
        free = self.capacity - self.used
        if free >= needed:
            return
        old = self.capacity
        new = max(2 * old, old + needed - free, 16)
        extra = new - old
        self.start_s = np.concatenate([self.start_s, np.zeros(extra)])
        self.end_s = np.concatenate([self.end_s, np.zeros(extra)])
        self.owner = np.concatenate([self.owner, np.full(extra, -1, np.int64)])
        self.other = np.concatenate([self.other, np.full(extra, -1, np.int64)])
        self.seg = np.concatenate([self.seg, np.full((extra, 4), np.nan)])
        # The new slots go in front of the free list, chained in order.
        chain = np.arange(old + 1, new + 1, dtype=np.int64)
        chain[-1] = self.meta[0]
        self.next_slot = np.concatenate([self.next_slot, chain])
        self.meta[0] = old

    def _flat(self, cells) -> np.ndarray:
        cells = np.asarray(cells)
        if cells.ndim == 1 and cells.dtype.kind in "iu":
            flat = cells.astype(np.int64)
        elif cells.ndim == 2 and cells.shape[1] == len(self.shape):
            if np.any(cells < 0) or np.any(cells >= np.array(self.shape)):
                raise DeconflictionError(
                    f"reservation table: a cell lies outside the grid {self.shape}"
                )
            flat = np.ravel_multi_index(tuple(cells.T.astype(np.int64)), self.shape).astype(
                np.int64
            )
        else:
            raise DeconflictionError(
                f"reservation table: cells must be flat indices or rows of {len(self.shape)} "
                f"coordinates, got an array of shape {cells.shape}"
            )
        if flat.size and (flat.min() < 0 or flat.max() >= self.n_cells):
            raise DeconflictionError(
                f"reservation table: a cell index lies outside 0..{self.n_cells - 1}"
            )
        return flat

    # -- public API ------------------------------------------------------------------
    def reserve_plan(self, owner: int, cells, arrive_s, enter_s=None, hold_s: float = 0.0) -> None:
        """Reserve a whole timed plan (e.g. a `SippResult`'s ``cells``, ``arrive_s`` and
        ``enter_s``), with the footprint and buffer: see `plan_occupancy`. ``hold_s`` is how
        long the last cell stays occupied after the arrival (inf: for ever)."""
        arrive_s = np.asarray(arrive_s, np.float64)
        enter_s = arrive_s if enter_s is None else enter_s
        if (
            len(arrive_s) == 0
            or np.shape(enter_s) != arrive_s.shape
            or np.shape(cells)[0] != len(arrive_s)
        ):
            raise DeconflictionError(
                "reservation table: a plan needs one arrival and entry time per cell"
            )
        if math.isnan(hold_s) or hold_s < 0:
            raise DeconflictionError(f"reservation table: hold_s must be >= 0, got {hold_s!r}")
        self.reserve(owner, *plan_occupancy(self._flat(cells), arrive_s, enter_s, hold_s))

    def reserve(
        self, owner: int, cells, t_from_s, t_to_s, *, inflate: bool = True, segments=None
    ) -> None:
        """Reserve ``cells[i]`` (with its footprint) for ``[t_from_s[i], t_to_s[i])``.

        Parameters
        ----------
        owner : int
            Owner id (>= 0), used by `release`.
        cells : array_like
            Flat cell indices ``(n,)`` or coordinates ``(n, ndim)``.
        t_from_s, t_to_s : array_like
            Interval bounds in seconds, ``t_from_s <= t_to_s``; ``t_to_s`` may be ``inf``
            (a goal held for ever, a permanent zone).
        inflate : bool
            Add the footprint and the time buffer (False: the cells and times as given,
            e.g. a temporary zone already rasterized with its own buffer).
        segments : array_like, shape (n, 4), optional
            Where each occupancy lies, when known: every horizontal position of the owner
            while it occupies ``cells[i]`` is on the segment ``(x0, y0) - (x1, y1)``,
            metres (rows of NaN: unknown). Used only against queries with a segment (see
            `safe_intervals`).
        """
        if int(owner) != owner or owner < 0:
            raise DeconflictionError(
                f"reservation table: owner must be an integer >= 0, got {owner!r}"
            )
        flat = self._flat(cells)
        t0 = np.broadcast_to(np.asarray(t_from_s, np.float64), flat.shape).copy()
        t1 = np.broadcast_to(np.asarray(t_to_s, np.float64), flat.shape).copy()
        if np.any(np.isnan(t0)) or np.any(np.isnan(t1)) or np.any(np.isinf(t0)):
            raise DeconflictionError(
                "reservation table: interval starts must be finite, ends not NaN"
            )
        if np.any(t1 < t0):
            i = int(np.argmax(t1 < t0))
            raise DeconflictionError(
                f"reservation table: interval {i} ends before it starts ({t0[i]} > {t1[i]})"
            )
        if segments is None:
            seg = np.full((flat.size, 4), np.nan)
        else:
            seg = np.ascontiguousarray(segments, np.float64)
            if seg.shape != (flat.size, 4):
                raise DeconflictionError(
                    f"reservation table: segments must have shape ({flat.size}, 4), got {seg.shape}"
                )
        h, v, buffer_s = (
            (self.horizontal_cells, self.vertical_cells, self.time_buffer_s)
            if inflate
            else (0, 0, 0.0)
        )
        most = flat.size * (2 * h + 1) ** 2 * (2 * v + 1)
        self._grow(most)
        if self._touched_buffer.shape[0] < most:
            self._touched_buffer = np.empty(2 * most, np.int64)
        self._mark_stamp += 1
        nz, ny, nx = self.dims
        count = _insert_footprint(
            self.head, self.start_s, self.end_s, self.owner, self.other, self.next_slot, self.meta,
            self.seg, nz, ny, nx, flat, t0, t1, seg, int(owner), h, v, buffer_s, self._mark,
            self._mark_stamp, self._touched_buffer,
        )  # fmt: skip
        self._touched.setdefault(int(owner), []).append(self._touched_buffer[:count].copy())

    def reserve_moves(self, owner: int, from_cells, to_cells, depart_s, duration_s=1.0) -> None:
        """Reserve moves ``from_cells[i] -> to_cells[i]`` departing at ``depart_s[i]`` for
        ``duration_s`` (MAPF swap rule: the opposite move departing in that interval is
        forbidden). No footprint and no buffer: this is the exact MAPF edge rule."""
        if int(owner) != owner or owner < 0:
            raise DeconflictionError(
                f"reservation table: owner must be an integer >= 0, got {owner!r}"
            )
        a = self._flat(from_cells)
        b = self._flat(to_cells)
        if a.shape != b.shape:
            raise DeconflictionError("reservation table: from_cells and to_cells differ in length")
        t0 = np.broadcast_to(np.asarray(depart_s, np.float64), a.shape)
        t1 = t0 + np.broadcast_to(np.asarray(duration_s, np.float64), a.shape)
        if not np.all(np.isfinite(t0)) or np.any(t1 < t0):
            raise DeconflictionError("reservation table: move times must be finite, durations >= 0")
        self._grow(a.size)
        _insert_moves(
            self.move_head, self.start_s, self.end_s, self.owner, self.other, self.next_slot,
            self.meta, self.seg, a, b, np.ascontiguousarray(t0), np.ascontiguousarray(t1),
            int(owner),
        )  # fmt: skip
        self._moved.setdefault(int(owner), []).append(np.unique(b))

    def release(self, owner: int) -> int:
        """Remove every reservation of ``owner``; returns the number of slots freed."""
        freed = 0
        for cells in self._touched.pop(int(owner), []):
            freed += _release(self.head, self.owner, self.next_slot, self.meta, cells, int(owner))
        for cells in self._moved.pop(int(owner), []):
            freed += _release(
                self.move_head, self.owner, self.next_slot, self.meta, cells, int(owner)
            )
        return int(freed)

    def owners(self) -> list[int]:
        """Owners holding at least one reservation."""
        return sorted(set(self._touched) | set(self._moved))

    def safe_intervals(self, cell, segment=None) -> list[tuple[float, float]]:
        """The maximal free intervals ``[lo, hi)`` of ``cell`` in seconds (``-inf``/``inf``
        at the open ends), in time order, for an occupant anywhere in the footprint, or,
        given its ``segment`` ``(x0, y0, x1, y1)`` in metres, one that stays on it:
        reservations with a segment at least ``separation_m`` from it do not count."""
        if isinstance(cell, (int, np.integer)) and 0 <= cell < self.head.shape[0]:
            flat = int(cell)  # the searches' hot path: a flat index
        else:
            flat = int(
                self._flat(np.asarray([cell]).reshape(1, -1) if np.ndim(cell) else [cell])[0]
            )
        # A cell's list holds at most every reservation in use: one interval more.
        need = self.used + 2
        if self._lo.shape[0] < need:
            self._lo = np.empty(2 * need, np.float64)
            self._hi = np.empty(2 * need, np.float64)
        query = self._no_segment if segment is None else np.asarray(segment, np.float64)
        n = _safe_intervals(
            self.head, self.start_s, self.end_s, self.next_slot, flat, self._lo, self._hi,
            self.seg, query, self.separation_m,
        )  # fmt: skip
        return list(zip(self._lo[:n].tolist(), self._hi[:n].tolist(), strict=True))

    def safe_intervals_many(self, cells, segments) -> list[list[tuple[float, float]]]:
        """`safe_intervals` of several flat cell indices at once, each with its segment
        (an entry of ``segments``, None: anywhere in the footprint); one list per cell."""
        cells = [int(c) for c in cells]  # a few cells per call: plain lists are cheapest
        segments = list(segments)
        if len(segments) != len(cells):
            raise DeconflictionError(
                f"reservation table: {len(segments)} segments for {len(cells)} cells"
            )
        if cells and not (min(cells) >= 0 and max(cells) < self.head.shape[0]):
            raise DeconflictionError(f"reservation table: a cell index lies outside {self.shape}")
        rows = [self._no_segment if q is None else q for q in segments]
        queries = np.array(rows, np.float64).reshape(len(cells), 4)
        lo, hi, counts = _safe_intervals_many(
            self.head, self.start_s, self.end_s, self.next_slot, np.array(cells, np.int64),
            queries, self.seg, self.separation_m,
        )  # fmt: skip
        pairs = list(zip(lo.tolist(), hi.tolist(), strict=True))
        out, at = [], 0
        for count in counts.tolist():
            out.append(pairs[at : at + count])
            at += count
        return out

    def reservations(self, cell) -> list[tuple[float, float, int]]:
        """The reservations ``(start_s, end_s, owner)`` of ``cell``, sorted by start."""
        flat = int(self._flat(np.asarray([cell]).reshape(1, -1) if np.ndim(cell) else [cell])[0])
        out = []
        current = self.head[flat]
        while current >= 0:
            out.append(
                (float(self.start_s[current]), float(self.end_s[current]), int(self.owner[current]))
            )
            current = self.next_slot[current]
        return out

    def move_reserved(self, from_cell, to_cell, depart_s: float) -> bool:
        """True if the move ``from_cell -> to_cell`` departing at ``depart_s`` swaps with a
        reserved move ``to_cell -> from_cell``."""
        a = int(
            self._flat(
                np.asarray([from_cell]).reshape(1, -1) if np.ndim(from_cell) else [from_cell]
            )[0]
        )
        b = int(
            self._flat(np.asarray([to_cell]).reshape(1, -1) if np.ndim(to_cell) else [to_cell])[0]
        )
        current = self.move_head[a]
        while current >= 0:
            if self.other[current] == b and self.start_s[current] <= depart_s < self.end_s[current]:
                return True
            current = self.next_slot[current]
        return False


def plan_occupancy(
    cells: np.ndarray, arrive_s: np.ndarray, enter_s: np.ndarray, hold_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cell intervals a timed plan occupies (the input of `ReservationTable.reserve`).

    Cell ``cells[k]`` is occupied from ``enter_s[k]`` (when the move into it starts; equal
    to ``arrive_s[k]`` under the MAPF rules) until ``arrive_s[k + 1]`` (the move out of it
    ends), and the last cell from ``enter_s[-1]`` until ``arrive_s[-1] + hold_s``.

    Returns
    -------
    cells, t_from_s, t_to_s : numpy.ndarray
    """
    cells = np.asarray(cells, np.int64)
    arrive_s = np.asarray(arrive_s, np.float64)
    t_to = np.empty_like(arrive_s)
    t_to[:-1] = arrive_s[1:]
    t_to[-1] = arrive_s[-1] + hold_s
    return cells, np.asarray(enter_s, np.float64).copy(), t_to
