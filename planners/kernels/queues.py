"""Priority queues of the grid searches: a radix heap, a binary heap and the entry arrays
of Dial's bucket queue."""

from __future__ import annotations

import numba
import numpy as np
from dronesim.planners._jit import kernel
from dronesim.planners.kernels.common import INITIAL_HEAP
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

# ----------------------------------------------------------------------------- queues
# Two priority queues of (key, node), both keyed by f alone:
#
# - a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) for searches whose popped keys
#   never decrease (A* with a consistent heuristic, Dijkstra). Keys are non-negative
#   float64, whose bit patterns order like the numbers, so the classic integer radix heap
#   applies to their uint64 bits: 65 buckets by the highest bit in which a key differs
#   from the last popped key; push is O(1), pop amortised O(log C). Entries live in a pool
#   of linked lists (``pn`` node, ``pk`` key bits, ``pnext`` link; ``head`` per bucket).
#   Equal keys pop last-in first-out, which breaks f-ties towards the newest (deepest)
#   node, the tie-breaking that saves expansions on open maps.
# - a binary heap (``hk`` keys, ``hn`` nodes) for the others (weighted A*, Lazy Theta*).


def _leading_zeros_intrinsic(typingctx, value):
    """Count of leading zero bits of a uint64 (LLVM ctlz), value > 0."""
    signature = types.int64(types.uint64)

    def codegen(context, builder, sig, args):
        return builder.ctlz(args[0], ir.Constant(ir.IntType(1), 0))

    return signature, codegen


def _float_bits_intrinsic(typingctx, value):
    """The IEEE-754 bits of a float64 as a uint64 (monotone for non-negative values)."""
    signature = types.uint64(types.float64)

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return signature, codegen


def _leading_zeros_python(value):
    """Pure-Python twin of the ``leading_zeros`` intrinsic (``NUMBA_DISABLE_JIT=1``)."""
    return 64 - int(value).bit_length()


def _float_bits_python(value):
    """Pure-Python twin of the ``float_bits`` intrinsic (``NUMBA_DISABLE_JIT=1``)."""
    return np.array(value, np.float64).view(np.uint64)[()]


# numba's intrinsics exist only in compiled code: without the JIT (pdb, coverage of the
# kernels) the Python twins stand in, with the same results.
if numba.config.DISABLE_JIT:
    leading_zeros = _leading_zeros_python
    float_bits = _float_bits_python
else:
    leading_zeros = intrinsic(_leading_zeros_intrinsic)
    float_bits = intrinsic(_float_bits_intrinsic)


@kernel
def radix_new():
    return (
        np.full(65, -1, np.int32),
        np.empty(INITIAL_HEAP, np.int32),
        np.empty(INITIAL_HEAP, np.uint64),
        np.empty(INITIAL_HEAP, np.int32),
    )


@kernel
def radix_reserve(pn, pk, pnext, used, extra):
    """The pool arrays, doubled as often as needed to hold ``used + extra`` entries."""
    capacity = pn.shape[0]
    if used + extra <= capacity:
        return pn, pk, pnext
    while capacity < used + extra:
        capacity *= 2
    new_n = np.empty(capacity, np.int32)
    new_k = np.empty(capacity, np.uint64)
    new_next = np.empty(capacity, np.int32)
    # Element loops rather than slice copies: a slice copy drags in numba's shape-checked
    # error path, which costs seconds of compilation.
    for index in range(used):
        new_n[index] = pn[index]
        new_k[index] = pk[index]
        new_next[index] = pnext[index]
    return new_n, new_k, new_next


@kernel
def radix_push(head, pn, pk, pnext, used, last, key, node):
    """Add ``node`` with key ``key`` (float64 >= the last popped key); returns ``used + 1``."""
    bits = float_bits(key)
    if bits < last:
        bits = last  # rounding may put a key an ulp below the last popped one
    difference = bits ^ last
    bucket = 0 if difference == 0 else 64 - leading_zeros(difference)
    pn[used] = node
    pk[used] = bits
    pnext[used] = head[bucket]
    head[bucket] = used
    return used + 1


@kernel
def radix_pop(head, pk, pnext, last):
    """Take an entry with the smallest key (the queue must not be empty).

    Returns ``(entry, last)``: the pool index and the new last key bits.
    """
    if head[0] < 0:
        bucket = 1
        while head[bucket] < 0:
            bucket += 1
        entry = head[bucket]
        smallest = pk[entry]
        entry = pnext[entry]
        while entry >= 0:
            if pk[entry] < smallest:
                smallest = pk[entry]
            entry = pnext[entry]
        last = smallest
        entry = head[bucket]
        head[bucket] = -1
        while entry >= 0:
            following = pnext[entry]
            difference = pk[entry] ^ last
            target = 0 if difference == 0 else 64 - leading_zeros(difference)
            pnext[entry] = head[target]
            head[target] = entry
            entry = following
    entry = head[0]
    head[0] = pnext[entry]
    return entry, last


@kernel
def radix_queue():
    """A new radix heap as a queue of `search` (the binary heap's slots None)."""
    head, pn, pk, pnext = radix_new()
    return head, pn, pk, pnext, None, None


@kernel
def heap_queue():
    """A new binary heap as a queue of `search` (the radix heap's slots None)."""
    hk, hn = heap_new()
    return None, None, None, None, hk, hn


@kernel
def heap_new():
    return np.empty(INITIAL_HEAP, np.float64), np.empty(INITIAL_HEAP, np.int32)


@kernel
def heap_push(hk, hn, size, key, node):
    pos = size
    while pos > 0:
        parent = (pos - 1) >> 1
        parent_key = hk[parent]
        if parent_key <= key:
            break
        hk[pos] = parent_key
        hn[pos] = hn[parent]
        pos = parent
    hk[pos] = key
    hn[pos] = node
    return size + 1


@kernel
def heap_pop(hk, hn, size):
    """Remove the root; returns the new size. The caller reads the root (hn[0]) first."""
    size -= 1
    if size == 0:
        return 0
    key = hk[size]
    node = hn[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        child_key = hk[child]
        right = child + 1
        if right < size and hk[right] < child_key:
            child = right
            child_key = hk[right]
        if key <= child_key:
            break
        hk[pos] = child_key
        hn[pos] = hn[child]
        pos = child
    hk[pos] = key
    hn[pos] = node
    return size


@kernel
def heap_reserve(hk, hn, size, extra):
    """The heap arrays, doubled as often as needed to hold ``size + extra`` entries."""
    capacity = hn.shape[0]
    if size + extra <= capacity:
        return hk, hn
    while capacity < size + extra:
        capacity *= 2
    new_k = np.empty(capacity, np.float64)
    new_n = np.empty(capacity, np.int32)
    for index in range(size):
        new_k[index] = hk[index]
        new_n[index] = hn[index]
    return new_k, new_n


@kernel
def grow_entries(entry_node, entry_next, used):
    """The bucket-queue entry arrays at twice their size."""
    grown_node = np.empty(2 * entry_node.shape[0], np.int32)
    grown_next = np.empty(2 * entry_node.shape[0], np.int32)
    for index in range(used):
        grown_node[index] = entry_node[index]
        grown_next[index] = entry_next[index]
    return grown_node, grown_next
