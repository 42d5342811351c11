"""dronesim.sim: scenarios, the simulation engine, reports and the command line. Knows `maps` and `planners`."""
