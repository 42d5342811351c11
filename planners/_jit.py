"""Numba options, and the on-disk kernel cache, in one place.

Every jitted function of dronesim is made by `kernel`, `inlined` or `parallel_kernel`
here (a test fails on any other ``numba.njit``/``numba.jit`` in the package).

Options
-------
``cache=True`` keeps compiled kernels on disk, so a test session or a simulation compiles
each kernel once per machine, not once per run. ``fastmath`` stays off: reassociated
floating point would break bit-for-bit reproducibility and the exact comparisons with
reference path lengths.

A cache that is never stale
---------------------------
numba checks a cached kernel against its *own* file only (a hash of that file's text, and
of the function's bytecode). A kernel compiled with its callees and the module constants
it reads frozen in, so after an edit of ``planners/energy.py`` the cached
``sim/_kernels.time_path`` went on returning the old energy. Here the freshness stamp of
every cached function defined in this package is numba's own stamp *and* a digest of all
the kernel sources (`kernel_sources`):

- the modules that import this one (the only way to make a kernel), this module (its
  options are not part of numba's cache key either), and, transitively, every module of
  the package they import, anywhere in the file (callees, constants, intrinsics);
- read as text once per process, when this module is imported, so a process stamps its
  kernels with the sources it loaded; an edit made while a process runs is seen
  by the next process.

Any change to any of those files makes every index stale; numba then recompiles and
overwrites the index and data files in place (no old caches pile up). The stamp is added by
a cache locator (`SourcesLocator`, put first in numba's list of locators) that wraps the
locator numba would have chosen, so the cache stays where numba puts it: ``__pycache__``
beside the module, or the user-wide cache (``~/.cache/numba``) when the install is read-only,
or ``NUMBA_CACHE_DIR``. numba's environment switches that change generated code but not its
cache key (``NUMBA_BOUNDSCHECK``, ``NUMBA_OPT``, ``NUMBA_DEBUGINFO``) go into the cache
file names, so a bounds-checked run and a normal run keep separate caches.

Concurrent processes (the warm-up process of ``sim/warmup.py``, tests running the command
line in subprocesses) with the same sources compute the same stamp and share the cache;
numba writes each file to a temporary name and renames it, so a reader sees a whole file.
A process whose sources differ sees the other's index as stale and never loads it; the one
window left is numba's own (a reader that has just read a fresh index while a process with
other sources rewrites a data file), only possible while files are being edited during a
run. Setting ``NUMBA_CACHE_LOCATOR_CLASSES`` replaces numba's locator list and with it
this protection.

Without JIT
-----------
With ``NUMBA_DISABLE_JIT=1`` the decorators return the Python functions unchanged, so pdb
and coverage see kernel lines (the planners and the simulation run, slowly).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numba
from numba.core import caching

_OPTIONS = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}

# The package's folders. They sit side by side both in the repository and installed
# (site-packages/dronesim/<name>), under the names of the subpackages.
_ROOT = Path(__file__).resolve().parent.parent
_SUBPACKAGES = ("maps", "planners", "sim", "viz", "benchmarks")
_THIS_MODULE = "dronesim.planners._jit"


def kernel(function):
    """Compile ``function`` as a serial numba kernel (arrays and scalars in and out)."""
    return numba.njit(**_OPTIONS)(function)


def inlined(function):
    """Compile ``function`` as a helper that numba copies into each kernel calling it.

    numba compiles every kernel on its own and LLVM does not inline across them, so a
    small helper called in a hot loop costs a full call each time. Each caller compiles
    its own copy, so this is for the few helpers of the hottest loops.
    """
    return numba.njit(inline="always", **_OPTIONS)(function)


def parallel_kernel(function):
    """Compile ``function`` as a numba kernel whose ``prange`` loops run on all cores."""
    return numba.njit(parallel=True, **_OPTIONS)(function)


def _module_file(name: str) -> Path | None:
    """The source file of package module ``name`` (``dronesim.sim._kernels``), if any."""
    parts = name.split(".")
    if len(parts) < 2 or parts[0] != "dronesim" or parts[1] not in _SUBPACKAGES:
        return None
    base = _ROOT.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["dronesim", *parts])


# Import statements, read as text (parsing the sources costs ten times more): ``import a.b``,
# ``from a import b, c``, ``from .a import (b, c)``, at any indentation (lazy imports too).
# A match inside a string only adds a file to the stamp, which is harmless.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)"
    r"|import[ \t]+([^\n#;]+))",
    re.MULTILINE,
)


def _imported_modules(path: Path, text: str) -> set[str]:
    """Every module name the source ``text`` of ``path`` imports."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    names: set[str] = set()
    for source, imported, plain in _IMPORT.findall(text):
        if plain:
            names.update(part.split()[0] for part in plain.split(",") if part.strip())
            continue
        level = len(source) - len(source.lstrip("."))
        module = source[level:]
        if level:
            anchor = package.rsplit(".", level - 1)[0] if level > 1 else package
            module = f"{anchor}.{module}" if module else anchor
        # ``from dronesim.planners import energy`` depends on energy.py, not on the
        # package's __init__.py (which imports much more); a name that is no module does.
        for part in imported.strip("()").split(","):
            if part.split():
                submodule = f"{module}.{part.split()[0]}"
                names.add(submodule if _module_file(submodule) else module)
    return names


def kernel_sources() -> list[Path]:
    """The files whose text stamps every cached kernel of the package, sorted.

    The modules that import this module, this module, and every package module they
    import, transitively.
    """
    parsed: dict[Path, set[str]] = {}
    roots = {Path(__file__).resolve()}
    for name in _SUBPACKAGES:
        for path in sorted((_ROOT / name).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if "_jit" not in text:  # cheap filter
                continue
            imports = _imported_modules(path, text)
            parsed[path] = imports
            if _THIS_MODULE in imports:
                roots.add(path)
    sources: set[Path] = set()
    pending = sorted(roots)
    while pending:
        path = pending.pop()
        if path in sources:
            continue
        sources.add(path)
        if path not in parsed:
            text = path.read_text(encoding="utf-8")
            parsed[path] = _imported_modules(path, text)
        for name in parsed[path]:
            found = _module_file(name)
            if found is not None and found not in sources:
                pending.append(found)
    return sorted(sources)


def sources_digest() -> str:
    """SHA-256 over the names and bytes of `kernel_sources` (hex)."""
    digest = hashlib.sha256()
    for path in kernel_sources():
        digest.update(path.relative_to(_ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _codegen_tag() -> str:
    """Suffix for cache file names when numba's switches change the code it generates."""
    config = numba.config
    tags = []
    if config.BOUNDSCHECK is not None:
        tags.append(f"bc{int(config.BOUNDSCHECK)}")
    level = getattr(config.OPT, "_raw_value", int(config.OPT))  # 0..3 or "max"
    if level != 3:
        tags.append(f"O{level}")
    if config.DEBUGINFO_DEFAULT:
        tags.append("g")
    return "-".join(tags)


_DIGEST = sources_digest()
_TAG = _codegen_tag()

# numba 0.68 names (older releases prefix them with an underscore).
_CacheLocator = caching._CacheLocator
_CacheImpl = getattr(caching, "CacheImpl", None) or caching._CacheImpl


class SourcesLocator(_CacheLocator):
    """numba's own locator for a package function, with the sources digest in its stamp."""

    # Marks the class across re-imports of this module (a test may import it afresh):
    # a locator never wraps another of its kind, or the two would recurse.
    wraps_numba_locators = True

    def __init__(self, inner: _CacheLocator) -> None:
        self._inner = inner

    @classmethod
    def from_function(cls, py_func, py_file):
        try:
            folder = Path(py_file).resolve().relative_to(_ROOT).parts[0]
        except (ValueError, IndexError):
            folder = None
        if folder not in _SUBPACKAGES:
            return None  # not ours (a test's or a user's function): numba decides as usual
        for other in _CacheImpl._locator_classes:
            if getattr(other, "wraps_numba_locators", False):
                continue
            inner = other.from_function(py_func, py_file)
            if inner is not None:
                return cls(inner)
        return None

    def ensure_cache_path(self):
        self._inner.ensure_cache_path()

    def get_cache_path(self):
        return self._inner.get_cache_path()

    def get_source_stamp(self):
        return (self._inner.get_source_stamp(), _DIGEST)

    def get_disambiguator(self):
        inner = self._inner.get_disambiguator()
        return f"{inner}-{_TAG}" if _TAG else inner


# One of our locators, first: a re-import replaces the class an earlier import put there.
_CacheImpl._locator_classes[:] = [
    other
    for other in _CacheImpl._locator_classes
    if not getattr(other, "wraps_numba_locators", False)
]
_CacheImpl._locator_classes.insert(0, SourcesLocator)
