"""Errors raised by the map readers."""

from __future__ import annotations

import os


class MapFormatError(ValueError):
    """A map file could not be read.

    The message always names the file and, where known, the line (1-based) or the
    GeoJSON feature (0-based index), so that a command line can print it on one line.

    Parameters
    ----------
    path : str or os.PathLike
        The file being read.
    message : str
        What is wrong, naming the field and the offending value.
    line : int, optional
        1-based line number in the file.
    feature : int, optional
        0-based index of the GeoJSON feature.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        message: str,
        *,
        line: int | None = None,
        feature: int | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.line = line
        self.feature = feature
        where = self.path
        if line is not None:
            where += f":{line}"
        if feature is not None:
            where += f": feature {feature}"
        super().__init__(f"{where}: {message}")
