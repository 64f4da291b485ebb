"""CPython 3.11's ``set`` iteration order for ``str`` keys, with ``PYTHONHASHSEED=0``.

Why this exists: Werkzeug builds a 405 response's ``Allow`` header (and the automatic
OPTIONS response's) from ``list(have_match_for)``, a ``set`` of method names, so the real
header's order is the order of a CPython hash table. The fidelity harness runs the real
stack with ``PYTHONHASHSEED=0`` (hash randomization off: the SipHash key is all zeros), and
this module reproduces that order without depending on the seed of the process it runs in.

It follows ``Python/pyhash.c`` (siphash13, the 3.11 default) and ``Objects/setobject.c``
(``set_add_entry``, ``set_insert_clean``, ``set_table_resize``, ``set_merge``) for sets
without deletions, which is all the routing code needs.
"""

from __future__ import annotations

_MASK64 = (1 << 64) - 1
LINEAR_PROBES = 9
PERTURB_SHIFT = 5
PYSET_MINSIZE = 8


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK64


def _single_round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    # HALF_ROUND(v0, v1, v2, v3, 13, 16)
    v0 = (v0 + v1) & _MASK64
    v2 = (v2 + v3) & _MASK64
    v1 = _rotl(v1, 13) ^ v0
    v3 = _rotl(v3, 16) ^ v2
    v0 = _rotl(v0, 32)
    # HALF_ROUND(v2, v1, v0, v3, 17, 21)
    v2 = (v2 + v1) & _MASK64
    v0 = (v0 + v3) & _MASK64
    v1 = _rotl(v1, 17) ^ v2
    v3 = _rotl(v3, 21) ^ v0
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash13(data: bytes, k0: int = 0, k1: int = 0) -> int:
    """``siphash13`` of pyhash.c, as an unsigned 64-bit value."""
    size = len(data)
    b = (size << 56) & _MASK64
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    whole = size - size % 8
    for offset in range(0, whole, 8):
        mi = int.from_bytes(data[offset : offset + 8], "little")
        v3 ^= mi
        v0, v1, v2, v3 = _single_round(v0, v1, v2, v3)
        v0 ^= mi
    b |= int.from_bytes(data[whole:], "little")
    v3 ^= b
    v0, v1, v2, v3 = _single_round(v0, v1, v2, v3)
    v0 ^= b
    v2 ^= 0xFF
    for _ in range(3):
        v0, v1, v2, v3 = _single_round(v0, v1, v2, v3)
    return (v0 ^ v1) ^ (v2 ^ v3)


def str_hash(text: str) -> int:
    """``hash(text)`` under ``PYTHONHASHSEED=0`` for a Latin-1 string (one byte per char)."""
    if not text:
        return 0
    value = siphash13(text.encode("latin-1"))
    if value >= 1 << 63:
        value -= 1 << 64
    return -2 if value == -1 else value


class HashSet:
    """An insertion-only model of a CPython ``set`` of ``str``: the same table, the same order."""

    __slots__ = ("fill", "mask", "members", "table")

    def __init__(self, items: tuple[str, ...] | list[str] = ()) -> None:
        self.mask = PYSET_MINSIZE - 1
        self.table: list[tuple[int, str] | None] = [None] * PYSET_MINSIZE
        self.fill = 0
        #: the same keys in a plain set, for membership tests (the order is the table's)
        self.members: set[str] = set()
        for item in items:
            self.add(item)

    def __iter__(self):
        return (entry[1] for entry in self.table if entry is not None)

    def __len__(self) -> int:
        return self.fill

    def __contains__(self, key: str) -> bool:
        return key in self.members

    def add(self, key: str) -> None:
        """``set_add_entry``."""
        self._add_entry(key, str_hash(key))

    def _add_entry(self, key: str, hash_: int) -> None:
        mask = self.mask
        i = hash_ & mask
        perturb = hash_ & _MASK64
        while True:
            probes = LINEAR_PROBES if i + LINEAR_PROBES <= mask else 0
            j = i
            while True:
                entry = self.table[j]
                if entry is None:
                    self.table[j] = (hash_, key)
                    self.members.add(key)
                    self.fill += 1
                    if self.fill * 5 >= mask * 3:
                        self._resize(self.fill * 4 if self.fill <= 50000 else self.fill * 2)
                    return
                if entry[0] == hash_ and entry[1] == key:
                    return
                if probes == 0:
                    break
                probes -= 1
                j += 1
            perturb >>= PERTURB_SHIFT
            i = (i * 5 + 1 + perturb) & mask

    def _insert_clean(self, key: str, hash_: int) -> None:
        mask = self.mask
        i = hash_ & mask
        perturb = hash_ & _MASK64
        while True:
            if self.table[i] is None:
                self.table[i] = (hash_, key)
                return
            if i + LINEAR_PROBES <= mask:
                for j in range(i + 1, i + 1 + LINEAR_PROBES):
                    if self.table[j] is None:
                        self.table[j] = (hash_, key)
                        return
            perturb >>= PERTURB_SHIFT
            i = (i * 5 + 1 + perturb) & mask

    def _resize(self, minused: int) -> None:
        newsize = PYSET_MINSIZE
        while newsize <= minused:
            newsize <<= 1
        old = self.table
        self.table = [None] * newsize
        self.mask = newsize - 1
        for entry in old:
            if entry is not None:
                self._insert_clean(entry[1], entry[0])

    def update(self, other: HashSet) -> None:
        """``set_merge``: ``self |= other`` and ``self.update(other)`` with a set argument."""
        if other is self or other.fill == 0:
            return
        if (self.fill + other.fill) * 5 >= self.mask * 3:
            self._resize((self.fill + other.fill) * 2)
        if self.fill == 0 and self.mask == other.mask:
            self.table = list(other.table)
            self.fill = other.fill
            self.members = set(other.members)
            return
        if self.fill == 0:
            self.fill = other.fill
            self.members = set(other.members)
            for entry in other.table:
                if entry is not None:
                    self._insert_clean(entry[1], entry[0])
            return
        for entry in other.table:
            if entry is not None:
                self._add_entry(entry[1], entry[0])

    def copy_comprehension(self, transform=str.upper) -> HashSet:
        """``{transform(x) for x in self}``: a new set built by adding in this set's order."""
        return HashSet([transform(item) for item in self])
