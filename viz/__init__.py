"""dronesim.viz: pygame drawing of simulation snapshots."""
