"""Shared test helpers: where the reference data lives, and how to skip without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SKIP_REASON = "../shared/data not found: the reference data lives beside the project (CI has it)"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data, or skip the test with a clear reason where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(SKIP_REASON)
    return SHARED_DATA
