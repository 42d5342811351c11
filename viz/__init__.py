"""dronesim.viz: pygame drawing of simulation snapshots, live or replayed, and headless export.

pygame is imported lazily inside the functions that draw, so headless simulation never
needs it.
"""

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
