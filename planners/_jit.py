"""Numba options, in one place.

``cache=True`` keeps compiled kernels on disk (beside the modules, in ``__pycache__``), so
a test session or a simulation compiles each kernel once per machine, not once per run.
``fastmath`` stays off: reassociated floating point would break bit-for-bit
reproducibility and the exact comparisons with reference path lengths.
"""

from __future__ import annotations

import numba

_OPTIONS = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}


def kernel(function):
    """Compile ``function`` as a serial numba kernel (arrays and scalars in and out)."""
    return numba.njit(**_OPTIONS)(function)


def inlined(function):
    """Compile ``function`` as a helper that numba copies into each kernel calling it.

    numba compiles every kernel on its own and LLVM does not inline across them, so a
    small helper called in a hot loop costs a full call each time (jump point search ran
    35 % slower on Berlin 512 with its jump helpers called). Each caller compiles its own
    copy, so this is for the few helpers of the hottest loops.
    """
    return numba.njit(inline="always", **_OPTIONS)(function)


def parallel_kernel(function):
    """Compile ``function`` as a numba kernel whose ``prange`` loops run on all cores."""
    return numba.njit(parallel=True, **_OPTIONS)(function)
