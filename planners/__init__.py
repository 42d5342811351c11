"""dronesim.planners: route planning and fleet scheduling (numba kernels and their Python API). Knows `maps`."""
