"""Plug-ins from installed packages: entry points looked up by name, lazily.

A scenario file is data: it names planners and dispatch policies, and a name must be
registered, either by code (`dronesim.planners.register`,
`dronesim.planners.fleet.register_policy`) or by an installed distribution's entry point
in one of these groups::

    [project.entry-points."dronesim.planners"]
    my-planner = "mypkg.planning:MyPlanner"

    [project.entry-points."dronesim.policies"]
    my-policy = "mypkg.dispatch:MyPolicy"

    [project.entry-points."dronesim.deconfliction"]
    my-lanes = "mypkg.lanes:LanePolicy"

The entry point's object is a planner (or policy) instance, or a class or factory called
with no arguments; its ``name`` must equal the entry point's name. Entry points are
loaded only when a name is looked up and is not among the registered ones, so an
installed plug-in costs nothing until a scenario names it. Deconfliction policies
(`dronesim.sim.deconfliction`) use the group ``dronesim.deconfliction``.

Nothing here imports a module a scenario names: only distributions the user installed
declare entry points, and ``module:attribute`` is accepted only where the user typed it
(``dronesim bench planners --planner mod:attr``, `dronesim.planners.registry.load_planner`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any

from dronesim.maps.errors import InputError

PLANNER_GROUP = "dronesim.planners"
POLICY_GROUP = "dronesim.policies"
DECONFLICTION_GROUP = "dronesim.deconfliction"  # `dronesim.sim.deconfliction`


class PluginError(InputError):
    """An unknown planner or policy name, or a plug-in that does not load (one line)."""


def find_entry_point(group: str, name: str) -> Any | None:
    """The object an installed distribution registers as ``name`` in ``group``, or None.

    A class or factory is called with no arguments; an instance is returned as is.

    Raises
    ------
    PluginError
        Two distributions declare the same name, or the entry point does not import.
    """
    found = list(metadata.entry_points(group=group, name=name))
    if not found:
        return None
    if len(found) > 1:
        values = ", ".join(sorted(point.value for point in found))
        raise PluginError(f"{group}: several installed packages register {name!r} ({values})")
    point = found[0]
    try:
        target = point.load()
    except (ImportError, AttributeError) as error:
        raise PluginError(
            f"{group}: entry point {name} = {point.value!r} does not load ({error})"
        ) from None
    # A class, or a factory function (callable, no ``plan``), is called; an instance is kept.
    is_factory = isinstance(target, type) or (callable(target) and not hasattr(target, "plan"))
    return target() if is_factory else target


def entry_point_names(group: str) -> list[str]:
    """Names installed distributions register in ``group`` (without loading them)."""
    return sorted({point.name for point in metadata.entry_points(group=group)})


def find_plugin(
    registered: Mapping[str, Any],
    group: str,
    name: str,
    accepts: Callable[[Any], bool],
    kind: str,
    shape: str,
    register: Callable[[Any], Any],
) -> Any | None:
    """The plug-in registered as ``name``, or the one an installed package declares in
    ``group`` (loaded and passed to ``register`` on first use); None if neither.

    ``accepts`` says whether an object is such a plug-in; ``kind`` and ``shape`` name it
    in the error (e.g. ``"a planner"``, ``"'name' and 'plan(grid, start, goal)'"``).
    The planner, dispatch-policy and deconfliction registries all look names up this way.

    Raises
    ------
    PluginError
        The entry point does not load, or its object is not ``kind`` with that name.
    """
    if name in registered:
        return registered[name]
    target = find_entry_point(group, name)
    if target is None:
        return None
    if not accepts(target) or getattr(target, "name", None) != name:
        raise PluginError(
            f"{group}: entry point {name!r} gives {target!r}, not {kind} named {name!r} "
            f"(with {shape})"
        )
    return register(target)


def plugin_names(registered: Mapping[str, Any], group: str) -> list[str]:
    """Registered names in registration order, then those installed packages declare in
    ``group`` (without loading them)."""
    names = list(registered)
    return names + [n for n in entry_point_names(group) if n not in names]
