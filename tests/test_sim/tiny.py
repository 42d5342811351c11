"""A small scenario for the engine, CLI and viz tests."""

TINY = """
name = "tiny"
description = "a small city for tests"
seed = 3
duration_s = 2400
time_step_s = 1.0

[map]
seed = 5
width_m = 1500
height_m = 1500
depots = 2
pads_per_depot = 2
temporary_window_s = [900, 1500]
cell_size_m = 20

[fleet]
drones_per_depot = 4

[demand]
orders_per_hour = 120
start_hour = 12
deadline_s = 1500

[drone]
charge_power_w = 0
swap_time_s = 60

[dispatch]
interval_s = 30

[wind]
speed_mps = 3
from_deg = 200
"""
