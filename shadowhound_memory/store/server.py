# Copyright 2026 The shadowhound_memory Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
The server store: a Qdrant server or cluster through qdrant-client.

One collection holds every mission, with a keyword index on mission_id, rather than a collection
per mission: cross-mission queries, quotas and retention are then single filtered calls, and
Qdrant's payload index makes a per-mission filter about as fast as a separate collection at robot
scale. The embedding model and schema version live in the collection's own ``metadata``
(create_collection(metadata=...) of qdrant-client 1.20), and the dimension is read from the
collection's vector parameters, so no sidecar file can drift from the collection it describes.

A robot loses its link to the server now and then. Writes made while the server is unreachable
(connection errors, timeouts, 502/503/504, rate limits) are appended to a durable local outbox
(JSON lines, fsync'd) and acknowledged; they are replayed in order before anything else once the
server answers, on the next call or through ``replay_outbox()``. Reads need the server and raise
BackendUnavailableError while it is away. After a failure the store waits ``retry_interval_s``
before contacting the server again, so a dead link costs one timeout, not one per write.

Points carry the MiniLM vector (the unnamed vector) and a BM25 sparse vector (``bm25``, IDF
modifier), computed from the payload when the write reaches the server, so outbox entries
written by older versions replay into the hybrid layout. A collection made before hybrid search
gets the sparse vector added (``create_vector_name``) and filled in for every point lacking it
when the store first reaches it; ids, payloads and dense vectors are untouched.
"""

from collections.abc import Callable, Iterator, Sequence
import dataclasses
import errno
import fcntl
import json
import logging
import math
import os
import threading
import time
from typing import Any, IO, TypeVar

import httpx
from qdrant_client import models, QdrantClient
from qdrant_client.common.client_exceptions import ResourceExhaustedResponse
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from shadowhound_memory.domain.errors import (BackendUnavailableError, EmbeddingMismatchError,
                                              InvalidRequestError, StoreError)
from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter, MemoryStore, ScoredRecord
from shadowhound_memory.store.payload import (check_info, check_vectors, Condition, conditions,
                                              first_in_circle, FLOAT_INDEXES, from_payload,
                                              fsync_dir, info_to_json, KEYWORD_INDEXES, Match,
                                              MatchAnyOf, to_payload, valid_ids)
from shadowhound_memory.store.sparse import (BM25_VECTOR, document_vector, Fusion, FUSIONS,
                                             normalized_fused_score, query_vector, RRF_K,
                                             SparseVector)

_LOG = logging.getLogger(__name__)
T = TypeVar('T')
UNAVAILABLE_STATUS = (502, 503, 504)
# Candidates each ranking hands to the fusion (as in the embedded store).
HYBRID_PREFETCH = 50
MIGRATE_PAGE = 1000


def _unreachable(exc: Exception) -> bool:
    """Tell whether an error means 'try again later' rather than 'this request is wrong'."""
    if isinstance(exc, ResponseHandlingException):
        return isinstance(exc.source, (httpx.TransportError, OSError))
    if isinstance(exc, UnexpectedResponse):
        return exc.status_code in UNAVAILABLE_STATUS
    return isinstance(exc, (ResourceExhaustedResponse, httpx.TransportError, OSError))


def _condition(condition: Condition) -> models.FieldCondition:
    if isinstance(condition, Match):
        return models.FieldCondition(key=condition.key,
                                     match=models.MatchValue(value=condition.value))
    if isinstance(condition, MatchAnyOf):
        return models.FieldCondition(key=condition.key,
                                     match=models.MatchAny(any=list(condition.values)))
    return models.FieldCondition(key=condition.key,
                                 range=models.Range(gte=condition.gte, lte=condition.lte))


def _filter(flt: MemoryFilter) -> models.Filter | None:
    must: list[Any] = [_condition(c) for c in conditions(flt)]
    return models.Filter(must=must) if must else None


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=vector[0], values=vector[1])


def _dense(vector: Any) -> list[float]:
    """Return the dense vector of a point read back (a dict once it has named vectors)."""
    if isinstance(vector, dict):
        vector = vector['']
    return [float(x) for x in vector]


def filter_to_json(flt: MemoryFilter) -> dict[str, Any]:
    """Return a filter as JSON-compatible data, for the outbox."""
    return {k: (list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(flt).items()}


def filter_from_json(data: dict[str, Any]) -> MemoryFilter:
    """Return the filter that filter_to_json wrote."""
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v)
                              for k, v in data.items()}
    return MemoryFilter(**values)


class Outbox:
    """
    Writes waiting for the server: one JSON object per line, fsync'd, in order.

    A lock file keeps a second process from appending to the same outbox, since two writers would
    interleave their entries. Replayed entries are dropped by an atomic rewrite; a crash during
    a replay re-applies some entries, which is harmless because each is an absolute upsert or
    delete replayed in the original order.
    """

    FILE = 'outbox.jsonl'

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = os.path.abspath(os.fspath(folder))
        os.makedirs(self.folder, exist_ok=True)
        self.path = os.path.join(self.folder, self.FILE)
        self._lock_file: IO[str] | None = open(os.path.join(self.folder, 'outbox.lock'), 'a')
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._lock_file.close()
            self._lock_file = None
            raise StoreError(f'the outbox in {self.folder} is held by another process (only one '
                             'node may use it; stop the other node or give another store path)'
                             ) from exc
        self.pending = self._repair()

    def _repair(self) -> int:
        """Cut a torn last line (a crash mid-append, never acknowledged); count the entries."""
        if not os.path.exists(self.path):
            return 0
        with open(self.path, 'rb+') as handle:
            data = handle.read()
            end = data.rfind(b'\n') + 1
            if end < len(data):
                _LOG.warning('outbox %s: dropping %d bytes of a write that was cut off by a '
                             'crash (it was never acknowledged)', self.path, len(data) - end)
                handle.truncate(end)
                handle.flush()
                os.fsync(handle.fileno())
        return data.count(b'\n', 0, end)

    def append(self, entry: dict[str, Any]) -> None:
        """Add one write at the end; durable when this returns."""
        line = (json.dumps(entry, separators=(',', ':')) + '\n').encode()
        created = not os.path.exists(self.path)
        # Unbuffered, so that a failed write leaves nothing behind to be flushed at close.
        with open(self.path, 'ab', buffering=0) as handle:
            size = handle.tell()
            try:
                if handle.write(line) != len(line):
                    raise OSError(errno.ENOSPC, 'short write')
                os.fsync(handle.fileno())
            except OSError as exc:
                # A part-written line would make the next entry unreadable: cut it off.
                os.ftruncate(handle.fileno(), size)
                raise StoreError(f'the outbox {self.path} could not keep the write '
                                 f'({exc.strerror}); free disk space, it was not stored') from exc
        if created:
            fsync_dir(self.folder)
        self.pending += 1

    def entries(self) -> Iterator[dict[str, Any] | None]:
        """Yield the pending writes in order; None for a line that no longer parses."""
        if not self.pending:
            return
        with open(self.path, 'rb') as handle:
            for line in handle:
                try:
                    yield json.loads(line)
                except ValueError:
                    yield None

    def drop_first(self, count: int) -> None:
        """Forget the first ``count`` writes (they reached the server), atomically."""
        if count <= 0:
            return
        if count >= self.pending:
            os.remove(self.path)
        else:
            tmp = self.path + '.tmp'
            with open(self.path, 'rb') as source, open(tmp, 'wb') as target:
                for number, line in enumerate(source):
                    if number >= count:
                        target.write(line)
                target.flush()
                os.fsync(target.fileno())
            os.replace(tmp, self.path)
        fsync_dir(self.folder)
        self.pending = max(0, self.pending - count)

    def close(self) -> None:
        """Release the outbox for another process."""
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


class QdrantServerStore(MemoryStore):
    """Memory records in one collection of a Qdrant server, with a local outbox."""

    def __init__(self, url: str | None = None, client: QdrantClient | None = None,
                 collection: str = 'shadowhound_memories', timeout_s: float = 5.0,
                 outbox_path: str | os.PathLike[str] | None = None,
                 api_key_env: str = 'QDRANT_API_KEY', retry_interval_s: float = 5.0,
                 fusion: Fusion = 'rrf') -> None:
        if fusion not in FUSIONS:
            raise InvalidRequestError(f'fusion must be one of {", ".join(FUSIONS)}, got '
                                      f'{fusion!r}')
        if client is None and not url:
            raise InvalidRequestError('the Qdrant server store needs a URL (store_url) or a '
                                      'client')
        if not timeout_s > 0 or not retry_interval_s >= 0:
            raise InvalidRequestError(f'timeout_s must be positive and retry_interval_s not '
                                      f'negative, got {timeout_s} and {retry_interval_s}')
        self.url = url or 'a client given by the caller'
        self.collection = collection
        self.retry_interval_s = retry_interval_s
        self.fusion = fusion
        # A client handed in belongs to the caller, who closes it.
        self._owns_client = client is None
        self._client = client if client is not None else QdrantClient(
            url=url, timeout=math.ceil(timeout_s), check_compatibility=False,
            api_key=os.environ.get(api_key_env) or None)
        self._outbox = Outbox(outbox_path) if outbox_path is not None else None
        self._info: CollectionInfo | None = None
        self._ready = False
        self._closed = False
        self._down_at: float | None = None
        self._last_error = ''
        self._lock = threading.RLock()

    # Talking to the server --------------------------------------------------------------------

    def _call(self, what: str, action: Callable[[], T]) -> T:
        try:
            result = action()
        except Exception as exc:  # noqa: B902 - the client raises many types; sort them here
            if not _unreachable(exc):
                raise StoreError(f'Qdrant server {self.url} failed to {what}: {exc}') from exc
            if self._down_at is None:
                _LOG.warning('Qdrant server %s is unreachable (%s); writes go to the outbox',
                             self.url, exc)
            self._down_at = time.monotonic()
            self._last_error = f'{type(exc).__name__}: {exc}'
            raise BackendUnavailableError(
                f'Qdrant server {self.url} is unreachable ({what}): {exc}') from exc
        if self._down_at is not None:
            _LOG.info('Qdrant server %s answers again', self.url)
        self._down_at = None
        return result

    def _sync(self) -> None:
        """Bring the server up to date (collection checked, outbox replayed) or raise."""
        if self._closed:
            raise StoreError('the store is closed')
        self._require_info()
        if self._down_at is not None:
            waited = time.monotonic() - self._down_at
            if waited < self.retry_interval_s:
                raise BackendUnavailableError(
                    f'Qdrant server {self.url} did not answer {waited:.1f} s ago '
                    f'({self._last_error}); the next try is in '
                    f'{self.retry_interval_s - waited:.1f} s')
        self._ensure_collection()
        self._replay()

    def _require_info(self) -> CollectionInfo:
        if self._info is None:
            raise StoreError('the store is not open; call open_collection() first')
        return self._info

    # Lifecycle --------------------------------------------------------------------------------

    def open_collection(self, info: CollectionInfo) -> None:
        """
        Create the collection or check that it holds this model's vectors.

        With an outbox, an unreachable server does not stop the node: writes queue up and the
        collection is checked when the server first answers.
        """
        with self._lock:
            self._info = info
            self._ready = False
            try:
                self._ensure_collection()
                self._replay()
            except BackendUnavailableError:
                if self._outbox is None:
                    raise
                _LOG.warning('Qdrant server %s is unreachable at start; writes are kept in the '
                             'outbox %s until it answers', self.url, self._outbox.path)

    def _ensure_collection(self) -> None:
        if self._ready:
            return
        info = self._require_info()
        name = self.collection
        where = f'collection {name} on {self.url}'
        if self._call('check the collection', lambda: self._client.collection_exists(name)):
            check_info(self._stored_info(), info, where)
        else:
            try:
                self._call('create the collection', lambda: self._client.create_collection(
                    name, vectors_config=models.VectorParams(size=info.dimension,
                                                             distance=models.Distance.COSINE),
                    sparse_vectors_config={BM25_VECTOR: models.SparseVectorParams(
                        modifier=models.Modifier.IDF)},
                    metadata=info_to_json(info)))
            except StoreError:
                # Another robot may have created it a moment ago; then it must match.
                if not self._call('check the collection',
                                  lambda: self._client.collection_exists(name)):
                    raise
                check_info(self._stored_info(), info, where)
            if self._stored_info().embedding_model != info.embedding_model:
                raise StoreError(f'Qdrant server {self.url} does not keep collection metadata, '
                                 'where this store records the embedding model; use a Qdrant '
                                 'server that does (a recent release)')
        self._ensure_indexes()
        self._migrate_to_hybrid()
        self._ready = True

    def _migrate_to_hybrid(self) -> None:
        """Give a dense-only collection (made before hybrid search) its BM25 vectors."""
        name = self.collection
        params = self._call('read the collection',
                            lambda: self._client.get_collection(name)).config.params
        if BM25_VECTOR not in (params.sparse_vectors or {}):
            _LOG.info('collection %s on %s has no BM25 vectors (made by an older version); '
                      'adding them for hybrid search', name, self.url)
            config = models.SparseVectorNameConfig(sparse=models.SparseVectorConfig(
                modifier=models.Modifier.IDF))
            self._call('add the BM25 vector', lambda: self._client.create_vector_name(
                name, BM25_VECTOR, config, wait=True))
        missing = models.Filter(must_not=[models.HasVectorCondition(has_vector=BM25_VECTOR)])
        filled = 0
        while True:
            points, _ = self._call('read', lambda: self._client.scroll(
                name, scroll_filter=missing, limit=MIGRATE_PAGE, with_payload=True,
                with_vectors=False))
            if not points:
                break
            vectors = [models.PointVectors(id=p.id, vector={BM25_VECTOR: _sparse(
                document_vector(from_payload(p.payload or {})))}) for p in points]
            self._call('add BM25 vectors', lambda: self._client.update_vectors(
                name, vectors, wait=True))
            filled += len(points)
        if filled:
            _LOG.info('added BM25 vectors to %d memories in collection %s', filled, name)

    def _ensure_indexes(self) -> None:
        """Create the payload indexes that are missing (also after an interrupted start)."""
        name = self.collection
        existing = self._call('read the collection',
                              lambda: self._client.get_collection(name)).payload_schema
        wanted = [(key, models.PayloadSchemaType.KEYWORD) for key in KEYWORD_INDEXES]
        wanted += [(key, models.PayloadSchemaType.FLOAT) for key in FLOAT_INDEXES]
        for key, schema in wanted:
            if key not in existing:
                self._call('create a payload index', lambda: self._client.create_payload_index(
                    name, key, schema, wait=True))

    def _stored_info(self) -> CollectionInfo:
        name = self.collection
        config = self._call('read the collection',
                            lambda: self._client.get_collection(name)).config
        vectors = config.params.vectors
        if not isinstance(vectors, models.VectorParams):
            raise EmbeddingMismatchError(
                f'collection {name} on {self.url} has named vectors, not the single vector this '
                'package stores; use another collection')
        metadata = config.metadata or {}
        return CollectionInfo(str(metadata.get('embedding_model', 'an unrecorded model')),
                              vectors.size,
                              int(metadata.get('schema_version', self._require_info()
                                               .schema_version)))

    def close(self) -> None:
        """Release the outbox and the client; safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._outbox is not None:
                self._outbox.close()
            if self._owns_client:
                self._client.close()

    # Outbox -----------------------------------------------------------------------------------

    def replay_outbox(self) -> int:
        """
        Send the queued writes now, in order, without waiting out the retry interval.

        Returns how many were applied; 0 while the server is still away (health() says so),
        so a timer may call it freely.
        """
        with self._lock:
            if self._outbox is None or self._closed:
                return 0
            self._require_info()
            self._down_at = None
            before = self._outbox.pending
            try:
                self._ensure_collection()
                self._replay()
            except BackendUnavailableError:
                pass
            return before - self._outbox.pending

    def _replay(self) -> None:
        """Apply the outbox in order; on failure keep the rest, so nothing overtakes it."""
        outbox = self._outbox
        if outbox is None or not outbox.pending:
            return
        done = 0
        try:
            for entry in outbox.entries():
                if entry is None:
                    _LOG.error('outbox %s: skipping entry %d, which no longer parses (disk '
                               'corruption?)', outbox.path, done + 1)
                else:
                    self._apply(entry)
                done += 1
        finally:
            outbox.drop_first(done)
            if done:
                _LOG.info('replayed %d queued writes to %s; %d still queued', done, self.url,
                          outbox.pending)

    def _write(self, entry: dict[str, Any]) -> int:
        """Apply a write now, or queue it when the server is away; return its count."""
        with self._lock:
            try:
                self._sync()
                return self._apply(entry)
            except BackendUnavailableError:
                if self._outbox is None:
                    raise
                self._outbox.append(entry)
                _LOG.debug('queued a %s; %d writes wait for %s', entry['op'],
                           self._outbox.pending, self.url)
                # What a queued delete will remove is decided when it reaches the server.
                return 0

    def _apply(self, entry: dict[str, Any]) -> int:
        name = self.collection
        op = entry['op']
        if op == 'upsert':
            points = [models.PointStruct(id=p['id'], payload=p['payload'], vector={
                '': p['vector'],
                BM25_VECTOR: _sparse(document_vector(from_payload(p['payload'])))})
                for p in entry['points']]
            self._call('upsert', lambda: self._client.upsert(name, points, wait=True))
            return len(points)
        if op == 'delete_ids':
            found = self._call('read', lambda: self._client.retrieve(
                name, entry['ids'], with_payload=False, with_vectors=False))
            existing: list[Any] = [p.id for p in found]
            if existing:
                by_id = models.PointIdsList(points=existing)
                self._call('delete', lambda: self._client.delete(name, by_id, wait=True))
            return len(existing)
        if op == 'delete_filter':
            flt = filter_from_json(entry['filter'])
            if flt.near is not None:
                return self._apply({'op': 'delete_ids',
                                    'ids': [r.id for r in self._scroll(flt, None, False)]})
            count = self._count(flt)
            if count:
                by_filter = models.FilterSelector(filter=_filter(flt) or models.Filter())
                self._call('delete', lambda: self._client.delete(name, by_filter, wait=True))
            return count
        raise StoreError(f'unknown outbox operation {op!r}')

    # Writes -----------------------------------------------------------------------------------

    def upsert(self, records: Sequence[MemoryRecord],
               vectors: Sequence[Sequence[float]]) -> None:
        """Insert or replace by id; acknowledged once on the server or in the outbox."""
        if not records:
            return
        checked = check_vectors(records, vectors, self._require_info().dimension)
        points = [{'id': r.id, 'vector': v, 'payload': to_payload(r)}
                  for r, v in zip(records, checked)]
        self._write({'op': 'upsert', 'points': points})

    def delete_ids(self, ids: Sequence[str]) -> int:
        """Delete by id; return how many existed (0 when queued in the outbox)."""
        valid = valid_ids(ids)
        return self._write({'op': 'delete_ids', 'ids': valid}) if valid else 0

    def delete(self, flt: MemoryFilter) -> int:
        """Delete every matching record; return how many (0 when queued in the outbox)."""
        return self._write({'op': 'delete_filter', 'filter': filter_to_json(flt)})

    # Reads ------------------------------------------------------------------------------------

    def _read(self, action: Callable[[], T]) -> T:
        with self._lock:
            self._sync()
            return action()

    def search(self, vector: Sequence[float], flt: MemoryFilter, limit: int,
               text: str | None = None) -> list[ScoredRecord]:
        """Return the best matching records (dense, or hybrid with ``text``), top ``limit``."""
        query = [float(v) for v in vector]
        server_filter = _filter(flt)
        sparse = query_vector(text) if text else None
        fusion: Any = (models.RrfQuery(rrf=models.Rrf(k=RRF_K)) if self.fusion == 'rrf'
                       else models.FusionQuery(fusion=models.Fusion.DBSF))

        def fetch(size: int | None) -> list[ScoredRecord]:
            if sparse is None or not sparse[0]:
                response = self._call('search', lambda: self._client.query_points(
                    self.collection, query=query, limit=size or 1, query_filter=server_filter,
                    with_payload=True))
                return [ScoredRecord(from_payload(p.payload or {}), float(p.score))
                        for p in response.points]
            depth = max(size or 1, HYBRID_PREFETCH)
            prefetch = [models.Prefetch(query=query, limit=depth, filter=server_filter),
                        models.Prefetch(query=_sparse(sparse), using=BM25_VECTOR, limit=depth,
                                        filter=server_filter)]
            response = self._call('search', lambda: self._client.query_points(
                self.collection, prefetch=prefetch, query=fusion, limit=size or 1,
                query_filter=server_filter, with_payload=True))
            return [ScoredRecord(from_payload(p.payload or {}),
                                 normalized_fused_score(float(p.score), self.fusion, 2))
                    for p in response.points]

        return self._read(lambda: first_in_circle(fetch, lambda hit: hit.record, flt.near,
                                                  limit))

    def get(self, ids: Sequence[str]) -> list[MemoryRecord]:
        """Return existing records in the order of ``ids``."""
        valid = valid_ids(ids)
        if not valid:
            return []
        points = self._read(lambda: self._call('read', lambda: self._client.retrieve(
            self.collection, valid, with_payload=True, with_vectors=False)))
        found = {str(p.id): from_payload(p.payload or {}) for p in points}
        return [found[i] for i in valid if i in found]

    def get_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Return stored vectors by id (unit length: the collection is cosine)."""
        valid = valid_ids(ids)
        if not valid:
            return {}
        points = self._read(lambda: self._call('read', lambda: self._client.retrieve(
            self.collection, valid, with_payload=False, with_vectors=True)))
        return {str(point.id): _dense(point.vector) for point in points}

    def scroll(self, flt: MemoryFilter, limit: int | None,
               newest_first: bool = False) -> list[MemoryRecord]:
        """Return matching records by timestamp (all of them when limit is None)."""
        return self._read(lambda: self._scroll(flt, limit, newest_first))

    def _scroll(self, flt: MemoryFilter, limit: int | None,
                newest_first: bool) -> list[MemoryRecord]:
        server_filter = _filter(flt)
        order = models.OrderBy(key='timestamp', direction=models.Direction.DESC if newest_first
                               else models.Direction.ASC)

        def fetch(size: int | None) -> list[MemoryRecord]:
            if size is None:
                size = self._count_filter(server_filter)
            if size == 0:
                return []
            points, _ = self._call('scroll', lambda: self._client.scroll(
                self.collection, scroll_filter=server_filter, limit=size, with_payload=True,
                with_vectors=False, order_by=order))
            return [from_payload(p.payload or {}) for p in points]

        return first_in_circle(fetch, lambda record: record, flt.near, limit)

    def count(self, flt: MemoryFilter | None = None) -> int:
        """Count matching records."""
        return self._read(lambda: self._count(flt or MemoryFilter()))

    def _count(self, flt: MemoryFilter) -> int:
        if flt.near is not None:
            return len(self._scroll(flt, None, False))
        return self._count_filter(_filter(flt))

    def _count_filter(self, server_filter: models.Filter | None) -> int:
        result = self._call('count', lambda: self._client.count(
            self.collection, count_filter=server_filter, exact=True))
        return int(result.count)

    def health(self) -> dict[str, str]:
        """Report backend facts without a network call (the last call's outcome); never raises."""
        if self._closed:
            state = 'closed'
        elif self._down_at is not None:
            state = 'unreachable'
        else:
            state = 'ok' if self._ready else 'not connected yet'
        facts = {'backend': 'qdrant-server', 'url': self.url, 'collection': self.collection,
                 'state': state,
                 'outbox_pending': str(self._outbox.pending if self._outbox is not None else 0)}
        if self._down_at is not None:
            facts['last_error'] = self._last_error
        return facts
