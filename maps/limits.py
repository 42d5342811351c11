"""Size and sanity limits on user input, in one place.

Every limit is checked where the input is read (scenario, map file, command line), before
anything is allocated from it, and a value past it is an input error naming the file,
the field and the value. The limits are generous for any real use and stop a typo (an
extra zero, lat/lon written the wrong way round, a unit slip) from turning into a
many-gigabyte allocation or a run that never ends.
"""

from __future__ import annotations

#: Cells of one planning grid (layers x rows x columns), for scenarios, GeoJSON maps and
#: MovingAI/voxel maps. The static grid costs a few bytes per cell (blocked mask, cost,
#: planner work arrays): 2e8 cells is a few GB, and already a 140 km x 140 km city at
#: 10 m cells with one layer, or 63 km x 63 km with five.
MAX_GRID_CELLS = 200_000_000

#: Altitude layers of a scenario's grid (a 1 m layer spacing up to 1 km).
MAX_LAYERS = 1000

#: Drones in one run (all depots together); each has a row of state and a plan buffer.
MAX_DRONES = 100_000

#: Charging pads in one run (all depots together), and on one depot.
MAX_PADS = 100_000

#: Depots of a generated city.
MAX_DEPOTS = 10_000

#: Expected number of orders in one run (rate x scale integrated over the duration): all
#: orders are drawn up front, a few hundred bytes each.
MAX_EXPECTED_ORDERS = 10_000_000

#: Simulated duration of one run, seconds: a leap year.
MAX_DURATION_S = 366 * 86_400.0

#: Side of a generated city, metres: 25 times the area of the bundled city-day map (the
#: generator takes about 20 s at this size).
MAX_CITY_SIDE_M = 50_000.0

#: How far any coordinate of a GeoJSON map may lie from the map's centre (the median of
#: its features' centres), metres: a metropolitan area fits; a feature written lat, lon or
#: a stray building in another city does not. The local tangent-plane projection also
#: stays accurate to well under a metre within this radius.
MAX_DISTANCE_FROM_CENTRE_M = 60_000.0

#: Nesting depth of a GeoJSON document (a MultiPolygon's coordinates are 4 deep inside a
#: geometry inside a feature inside the collection: 8 levels; 64 is far beyond any valid
#: file and far below the JSON parser's recursion limit).
MAX_JSON_DEPTH = 64

#: Zone volumes in force over one run from standards zone files (ED-269/ED-318): every
#: geometry of every zone, once per activation window. Each is a `NoFlyZone` with its own
#: raster mask, and a zone switching on or off is an event of the run.
MAX_ZONE_VOLUMES = 100_000
