"""Import a city from OpenStreetMap data: buildings with heights, and parks.

`import_osm` reads an OSM extract (``.osm`` XML, ``.osm.pbf``, also compressed ``.osm.gz``
/ ``.osm.bz2``) through pyosmium (the optional extra ``osm``) and returns a GeoJSON
document in the project's map-file format (`dronesim.maps.geojson`): one ``building``
feature per area tagged ``building=*`` and one ``park`` feature per area tagged as green
space (``leisure=park|garden|playground``, ``landuse=grass|recreation_ground|
village_green``). Areas are closed ways and multipolygon relations, assembled by
pyosmium's area handler (``FileProcessor.with_areas``), so a building drawn as a
multipolygon with a courtyard keeps its hole.

A building's height, in order of preference:

1. ``height`` (or ``building:height``): metres by default; ``"12 m"``, ``"12m"``,
   ``"40'"``, ``"40 ft"`` and ``"40'6\\""`` (feet and inches) are understood;
2. ``building:levels`` x ``storey_height_m`` (3 m by default);
3. ``default_height_m`` (10 m by default).

A value that cannot be read (``"tall"``, ``"-3"``, ``"0"``, a comma for a decimal point,
above `MAX_HEIGHT_M`) is ignored and counted, and the next source is used: a building is
never dropped for a bad tag, since an obstacle must not vanish from the airspace.

OpenStreetMap data is © OpenStreetMap contributors, under the Open Database License
(ODbL 1.0); the document written carries that attribution.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dronesim.maps.errors import InputError, MapFormatError

FORMAT = "dronesim-city/1"
ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0, https://www.openstreetmap.org/copyright)"
DEFAULT_STOREY_HEIGHT_M = 3.0
DEFAULT_HEIGHT_M = 10.0
# The tallest building is 828 m; a taller value is a typo (or centimetres).
MAX_HEIGHT_M = 1000.0
MAX_LEVELS = 300
PARK_TAGS = {
    "leisure": ("park", "garden", "playground"),
    "landuse": ("grass", "recreation_ground", "village_green"),
}
SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.gz", ".osm.bz2", ".osm.xml")
_DECIMALS = 7  # about 1 cm
_FEET_M = 0.3048
_INCH_M = 0.0254
_METRES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:m|metres|meters)?\s*$", re.IGNORECASE)
_FEET = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(?:'|ft|feet)\s*(?:(\d+(?:\.\d+)?)\s*(?:\"|in))?\s*$", re.IGNORECASE
)
OVERPASS_URL = "https://overpass-api.de/api/interpreter"


@dataclass
class OsmImport:
    """What `import_osm` found: the GeoJSON document and how each height was set.

    Attributes
    ----------
    document : dict
        A GeoJSON FeatureCollection in the map-file format (lon/lat).
    from_height, from_levels, defaulted : int
        Buildings whose height came from ``height``, from ``building:levels`` x the storey
        height, or from the default.
    bad_values : dict
        Count of unreadable values per tag (``height``, ``building:levels``), ignored.
    parks : int
        Park features.
    """

    document: dict[str, Any]
    from_height: int = 0
    from_levels: int = 0
    defaulted: int = 0
    bad_values: dict[str, int] = field(default_factory=dict)
    parks: int = 0

    @property
    def buildings(self) -> int:
        """Building features written."""
        return self.from_height + self.from_levels + self.defaulted


def parse_height_m(text: str) -> float | None:
    """A ``height`` tag's value in metres, or None when it cannot be read.

    Metres by default (``"12"``, ``"12.5 m"``), feet with ``'`` or ``ft`` and optional
    inches (``"40'"``, ``"40'6\\""``); a value must be > 0 and at most `MAX_HEIGHT_M`.
    """
    match = _METRES.match(text)
    if match:
        value = float(match.group(1))
    else:
        match = _FEET.match(text)
        if not match:
            return None
        value = float(match.group(1)) * _FEET_M + float(match.group(2) or 0.0) * _INCH_M
    return value if 0.0 < value <= MAX_HEIGHT_M else None


def parse_levels(text: str) -> float | None:
    """A ``building:levels`` value (storeys above ground, > 0), or None when unreadable."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and 0.0 < value <= MAX_LEVELS else None


def import_osm(
    path: str | os.PathLike,
    *,
    storey_height_m: float = DEFAULT_STOREY_HEIGHT_M,
    default_height_m: float = DEFAULT_HEIGHT_M,
    name: str | None = None,
) -> OsmImport:
    """Buildings and parks of an OSM extract as a map-file GeoJSON document.

    Parameters
    ----------
    path : str or os.PathLike
        ``.osm`` (XML) or ``.osm.pbf`` file (see `SUFFIXES`).
    storey_height_m : float
        Metres per ``building:levels`` storey, > 0.
    default_height_m : float
        Height of a building with neither tag readable, metres, > 0.
    name : str, optional
        City name (default: the file's stem).

    Returns
    -------
    OsmImport

    Raises
    ------
    MapFormatError
        A missing or unreadable file, not an OSM file, or no buildings in it: one line
        naming the file and the problem.
    """
    try:
        import osmium
        import osmium.geom
    except ImportError:  # pragma: no cover - the optional extra is missing
        raise InputError(
            "map import-osm needs pyosmium: pip install 'dronesim[osm]' (or osmium)"
        ) from None
    for value, label in ((storey_height_m, "storey height"), (default_height_m, "default height")):
        if not (math.isfinite(value) and 0.0 < value <= MAX_HEIGHT_M):
            raise InputError(f"{label}: must be in (0, {MAX_HEIGHT_M:g}] m, got {value!r}")
    path = Path(path)
    if not path.is_file():
        raise MapFormatError(path, "no such file" if not path.exists() else "not a file")
    if not path.name.lower().endswith(SUFFIXES):
        raise MapFormatError(
            path, f"unknown extension (expected one of {', '.join(SUFFIXES)}: an OSM extract)"
        )

    result = OsmImport(document={})
    bad: dict[str, int] = {}
    buildings: list[dict[str, Any]] = []
    parks: list[dict[str, Any]] = []
    factory = osmium.geom.GeoJSONFactory()
    processor = (
        osmium.FileProcessor(os.fspath(path))
        .with_areas(osmium.filter.KeyFilter("building", *PARK_TAGS))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.AREA))
    )
    try:
        for area in processor:
            tags = area.tags
            kind = _kind(tags)
            if kind is None:
                continue
            try:
                geometry = json.loads(factory.create_multipolygon(area))
            except (RuntimeError, osmium.InvalidLocationError):
                # An area whose rings pyosmium could not close, or with missing nodes (a
                # cut extract): there is no footprint to keep.
                bad["geometry"] = bad.get("geometry", 0) + 1
                continue
            geometry = _rounded(geometry)
            if kind == "park":
                parks.append(_feature(geometry, kind="park"))
                continue
            found = _height(tags, storey_height_m, bad)
            if found is None:
                height = default_height_m
                result.defaulted += 1
            else:
                height, source = found
                if source == "height":
                    result.from_height += 1
                else:
                    result.from_levels += 1
            buildings.append(_feature(geometry, kind="building", height=round(height, 2)))
    except RuntimeError as error:
        # libosmium's parse errors (XML syntax, a PBF blob header) are RuntimeErrors.
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise MapFormatError(path, f"not a readable OSM file ({message})") from None
    if not buildings:
        raise MapFormatError(
            path, "no buildings (no closed way or multipolygon relation tagged building=*)"
        )
    result.bad_values = bad
    result.parks = len(parks)
    result.document = {
        "type": "FeatureCollection",
        "properties": {
            "format": FORMAT,
            "name": name or path.name.split(".")[0],
            "attribution": ATTRIBUTION,
            "source": path.name,
        },
        "features": buildings + parks,
    }
    return result


def download_place(place: str, out: str | os.PathLike, *, timeout_s: float = 60.0) -> Path:
    """Download a place's buildings and parks from the Overpass API into an ``.osm`` file.

    The endpoint is `OVERPASS_URL`, or the environment variable
    ``DRONESIM_OVERPASS_URL``. The place is an OSM area by its ``name`` tag.

    Raises
    ------
    InputError
        When the network or the service cannot be reached, on one line.
    """
    url = os.environ.get("DRONESIM_OVERPASS_URL", OVERPASS_URL)
    name = place.replace("\\", "\\\\").replace('"', '\\"')
    query = (
        f'[out:xml][timeout:{int(timeout_s)}];area["name"="{name}"]->.a;'
        '(way["building"](area.a);relation["building"](area.a);'
        'way["leisure"~"^(park|garden|playground)$"](area.a);'
        'relation["leisure"~"^(park|garden|playground)$"](area.a););(._;>;);out body;'
    )
    data = urllib.parse.urlencode({"data": query}).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=timeout_s) as response:
            body = response.read()
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise InputError(
            f"--place {place!r}: cannot reach {urllib.parse.urlsplit(url).netloc} ({reason}); "
            "no network? download an extract (.osm or .osm.pbf) and pass its path"
        ) from None
    out = Path(out)
    handle, temporary = tempfile.mkstemp(dir=out.parent, suffix=".osm")
    with os.fdopen(handle, "wb") as stream:
        stream.write(body)
    os.replace(temporary, out)
    return out


# --------------------------------------------------------------------------- helpers


def _kind(tags) -> str | None:
    building = tags.get("building")
    if building is not None and building != "no":
        return "building"
    for key, values in PARK_TAGS.items():
        if tags.get(key) in values:
            return "park"
    return None


def _height(tags, storey_height_m: float, bad: dict[str, int]):
    """(height in metres, the tag it came from), or None: the default applies."""
    for key in ("height", "building:height"):
        text = tags.get(key)
        if text is None:
            continue
        value = parse_height_m(text)
        if value is not None:
            return value, "height"
        bad[key] = bad.get(key, 0) + 1
    text = tags.get("building:levels")
    if text is not None:
        levels = parse_levels(text)
        if levels is not None:
            return levels * storey_height_m, "building:levels"
        bad["building:levels"] = bad.get("building:levels", 0) + 1
    return None


def _rounded(geometry: dict[str, Any]) -> dict[str, Any]:
    """A MultiPolygon of one polygon becomes a Polygon; coordinates to about 1 cm."""
    polygons = [
        [[[round(x, _DECIMALS), round(y, _DECIMALS)] for x, y in ring] for ring in polygon]
        for polygon in geometry["coordinates"]
    ]
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}
