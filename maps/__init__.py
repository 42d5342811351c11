"""dronesim.maps: the airspace model (grid, zones, buildings) and its builders and readers.

Knows nothing of the other dronesim packages.
"""

from dronesim.maps.airspace import DEFAULT_CEILING_M, DEFAULT_LAYERS_M, Airspace, TemporaryMask
from dronesim.maps.city import City, generate_city
from dronesim.maps.errors import MapFormatError
from dronesim.maps.features import BaseStation, Buildings, Depot, Hotspot, NoFlyZone

__all__ = [
    "Airspace",
    "BaseStation",
    "Buildings",
    "City",
    "DEFAULT_CEILING_M",
    "DEFAULT_LAYERS_M",
    "Depot",
    "Hotspot",
    "MapFormatError",
    "NoFlyZone",
    "TemporaryMask",
    "generate_city",
]
