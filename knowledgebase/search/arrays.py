"""Numpy arrays read from a Whoosh index: postings, field lengths, facet values, columns.

Whoosh walks its posting lists one document at a time in Python, which is what made a
results page slow on a big index (every query word expands to six field terms, each read
twice: once for the matched set and the facets, once for scoring). Here a posting list is
read a block at a time into arrays and scored with numpy, and facets are counted with one
bincount per field. What does not change between commits — a segment's field lengths,
facet postings and sort columns — is read once per process and kept per segment, so a save
that adds a small segment does not make the next search re-read the big one.

Reads Whoosh's on-disk blocks through the block attributes of its W3 codec (the version
is pinned in pyproject.toml); anything else falls back to Whoosh's one-posting-at-a-time
interface, slower but the same numbers."""

from __future__ import annotations

import threading

import numpy as np
from whoosh.util.numeric import byte_to_length

# byte_to_length for every byte: Whoosh stores each field length quantised to one byte.
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def _posting_arrays(matcher) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, term frequencies) of a leaf matcher, read block by block."""
    ids: list = []
    weights: list = []
    if hasattr(matcher, "_read_data") and hasattr(matcher, "_next_block"):
        while matcher.is_active():
            matcher._read_data()  # (ids, weights, values) of the block, unpickled
            block_ids, block_weights = matcher._data[0], matcher._data[1]
            block = np.asarray(block_ids, dtype=np.int64)
            ids.append(block if matcher._byteids else np.cumsum(block))  # delta-coded
            if block_weights is None:
                weights.append(np.ones(len(block), dtype=np.float32))
            elif isinstance(block_weights, float):
                weights.append(np.full(len(block), block_weights, dtype=np.float32))
            else:
                weights.append(np.asarray(block_weights, dtype=np.float32))
            matcher._next_block()
    else:  # inlined short lists and other matchers
        one_ids, one_weights = [], []
        while matcher.is_active():
            one_ids.append(matcher.id())
            one_weights.append(matcher.weight())
            matcher.next()
        ids.append(np.array(one_ids, dtype=np.int64))
        weights.append(np.array(one_weights, dtype=np.float32))
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(ids), np.concatenate(weights)


def _raw_postings(reader, fieldname: str, btext: bytes):
    """The segment's matcher for a term, without Whoosh's deleted-documents filter (the
    caller masks deleted documents itself)."""
    matcher = reader.postings(fieldname, btext)
    return getattr(matcher, "child", matcher) if reader.has_deletions() else matcher


class _Segment:
    """What one segment holds that never changes: built lazily, shared by searchers."""

    def __init__(self, size: int):
        self.size = size
        self._lengths: dict[str, np.ndarray] = {}
        self._values: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._columns: dict[str, np.ndarray] = {}

    def lengths(self, reader, fieldname: str) -> np.ndarray:
        if fieldname not in self._lengths:
            out = np.zeros(self.size, dtype=np.float32)
            column = None
            perdoc = getattr(reader, "_perdoc", None)
            if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

                column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if column is not None and hasattr(column, "_dbfile"):
                count = min(column._count, self.size)
                raw = column._dbfile.get(column._basepos, count)
                out[:count] = _LENGTHS[np.frombuffer(raw, dtype=np.uint8)]
            else:
                for docnum in range(self.size):
                    out[docnum] = reader.doc_field_length(docnum, fieldname) or 0
            self._lengths[fieldname] = out
        return self._lengths[fieldname]

    def values(self, reader, fieldname: str, decode) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(values, document numbers, index into values) for every posting of the field."""
        if fieldname not in self._values:
            values, docs, which = [], [], []
            for btext in reader.lexicon(fieldname):
                ids, _ = _posting_arrays(_raw_postings(reader, fieldname, btext))
                which.append(np.full(len(ids), len(values), dtype=np.int32))
                docs.append(ids)
                values.append(decode(btext))
            self._values[fieldname] = (
                values,
                np.concatenate(docs) if docs else np.zeros(0, np.int64),
                np.concatenate(which) if which else np.zeros(0, np.int32),
            )
        return self._values[fieldname]

    def column(self, reader, fieldname: str) -> np.ndarray:
        if fieldname not in self._columns:
            column = reader.column_reader(fieldname)
            self._columns[fieldname] = np.fromiter(column, dtype=np.int64, count=self.size)
        return self._columns[fieldname]


_SEGMENTS: dict[tuple[str, str], _Segment] = {}
_SEGMENTS_LOCK = threading.Lock()


def _key(path: str, reader) -> tuple[str, str]:
    segment = reader.segment()  # None for the reader of an empty index
    return (path, segment.segment_id() if segment is not None else f"empty-{id(reader)}")


def _segment(path: str, reader) -> _Segment:
    key = _key(path, reader)
    with _SEGMENTS_LOCK:
        found = _SEGMENTS.get(key)
        if found is None:
            found = _SEGMENTS[key] = _Segment(reader.doc_count_all())
        return found


def _forget_other_segments(keep: set[tuple[str, str]]) -> None:
    """Drop segments merged away or of a swapped-out index (a thread still searching them
    keeps its own references)."""
    with _SEGMENTS_LOCK:
        for key in [k for k in _SEGMENTS if k not in keep]:
            del _SEGMENTS[key]


class IndexArrays:
    """Whole-index arrays for one searcher: document numbers are the searcher's."""

    def __init__(self, path: str, searcher):
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        self.leaves = []  # (cached segment arrays, its reader, its first document number)
        keys = set()
        for leaf, offset in reader.leaf_readers():
            self.leaves.append((_segment(path, leaf), leaf, offset))
            keys.add(_key(path, leaf))
        _forget_other_segments(keys)
        self.alive = np.ones(self.size, dtype=bool)
        for leaf, offset in reader.leaf_readers():
            deleted = list(leaf.deleted_docs_set) if leaf.has_deletions() else []
            if deleted:
                self.alive[np.asarray(deleted, dtype=np.int64) + offset] = False
        self._lengths: dict[str, np.ndarray] = {}
        self._values: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._columns: dict[str, np.ndarray] = {}

    def _joined(self, parts: list[np.ndarray], dtype) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    def lengths(self, fieldname: str) -> np.ndarray:
        if fieldname not in self._lengths:
            parts = [segment.lengths(leaf, fieldname) for segment, leaf, _ in self.leaves]
            self._lengths[fieldname] = self._joined(parts, np.float32)
        return self._lengths[fieldname]

    def column(self, fieldname: str) -> np.ndarray:
        if fieldname not in self._columns:
            parts = [segment.column(leaf, fieldname) for segment, leaf, _ in self.leaves]
            self._columns[fieldname] = self._joined(parts, np.int64)
        return self._columns[fieldname]

    def values(self, fieldname: str, decode) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(values, document numbers, index into values) over all segments, live or not."""
        if fieldname not in self._values:
            index: dict[str, int] = {}
            docs, which = [], []
            for segment, leaf, offset in self.leaves:
                values, seg_docs, seg_which = segment.values(leaf, fieldname, decode)
                mapping = np.array([index.setdefault(v, len(index)) for v in values], np.int32)
                docs.append(seg_docs + offset)
                which.append(mapping[seg_which] if len(values) else seg_which)
            self._values[fieldname] = (
                list(index),
                self._joined(docs, np.int64),
                self._joined(which, np.int32),
            )
        return self._values[fieldname]

    def docs_with(self, fieldname: str, value: str, decode) -> np.ndarray:
        values, docs, which = self.values(fieldname, decode)
        mask = np.zeros(self.size, dtype=bool)
        try:
            position = values.index(value)
        except ValueError:
            return mask
        mask[docs[which == position]] = True
        return mask & self.alive

    def counts(self, fieldname: str, matched: np.ndarray, decode) -> dict[str, int]:
        """How many of the matched (live) documents have each value of the field."""
        values, docs, which = self.values(fieldname, decode)
        if not len(docs):
            return {}
        counted = np.bincount(which[matched[docs]], minlength=len(values))
        return {values[i]: int(counted[i]) for i in np.flatnonzero(counted)}

    def postings(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, term frequencies) of a term in every segment."""
        docs, weights = [], []
        for _, leaf, offset in self.leaves:
            if (fieldname, btext) in leaf:
                ids, tf = _posting_arrays(_raw_postings(leaf, fieldname, btext))
                docs.append(ids + offset)
                weights.append(tf)
        return self._joined(docs, np.int64), self._joined(weights, np.float32)
