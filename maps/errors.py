"""The project's input-error class, and the map readers' errors.

`InputError` is what the command line catches and prints on one line with exit status 2:
bad input from a user (a file, a field, a value). Every reader and validator of user input
raises it or a subclass (`MapFormatError` here, ``ScenarioError``, ``RecordingError``,
``CommandError``). Anything else that escapes is a bug and keeps its traceback, even a
`ValueError` from deep inside numpy. It subclasses `ValueError` so that callers of the
Python API who catch ``ValueError`` keep working.
"""

from __future__ import annotations

import os


class InputError(ValueError):
    """Bad user input; the message names file, field and value on one line."""


class CommandError(InputError):
    """Bad input found by a command-line command (an option, its value, or what they
    name); printed on one line, exit status 2. Here, beside the other kinds, so that every
    command module raises the same class."""


class FieldError(InputError):
    """Bad input in a field of a file: ``SOURCE: FIELD: MESSAGE`` (the message naming the
    value), or ``SOURCE: MESSAGE`` without a field. Scenario and study files raise kinds
    of it.

    Parameters
    ----------
    source : str
        The file (or a name standing for it).
    field_path : str
        The field, dotted (e.g. ``fleet.drones_per_depot``); empty for the whole file.
    message : str
        What is wrong, with the offending value.
    """

    def __init__(self, source: str, field_path: str, message: str) -> None:
        self.source = source
        self.field = field_path
        super().__init__(
            f"{source}: {field_path}: {message}" if field_path else f"{source}: {message}"
        )


class MapFormatError(InputError):
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
