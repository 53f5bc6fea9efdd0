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
scale. The embedding model and dimension are kept in the collection's metadata.

A robot loses its link to the server now and then. Writes made while the server is unreachable
are appended to a durable local outbox (JSON lines, fsync'd) and acknowledged; they are replayed
in order as soon as the server answers again, before any other call. Reads need the server and
fail with BackendUnavailableError while it is away.
"""

from collections.abc import Callable, Sequence
import json
import logging
import os
import threading
from typing import Any, TypeVar
import uuid

import httpx
from qdrant_client import models, QdrantClient
from qdrant_client.http.exceptions import ResponseHandlingException

from shadowhound_memory.errors import BackendUnavailableError, StoreError
from shadowhound_memory.memory.schema import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter, MemoryStore, ScoredRecord
from shadowhound_memory.store.common import (check_info, check_vectors, Condition, conditions,
                                             FLOAT_INDEXES, from_payload, in_circle,
                                             KEYWORD_INDEXES, Match, MatchAnyOf, to_payload)

_LOG = logging.getLogger(__name__)
T = TypeVar('T')
UNREACHABLE = (ResponseHandlingException, httpx.TransportError, ConnectionError, TimeoutError)


def _condition(condition: Condition) -> Any:
    if isinstance(condition, Match):
        return models.FieldCondition(key=condition.key,
                                     match=models.MatchValue(value=condition.value))
    if isinstance(condition, MatchAnyOf):
        return models.FieldCondition(key=condition.key,
                                     match=models.MatchAny(any=list(condition.values)))
    return models.FieldCondition(key=condition.key,
                                 range=models.Range(gte=condition.gte, lte=condition.lte))


def _filter(flt: MemoryFilter) -> models.Filter | None:
    must = [_condition(c) for c in conditions(flt)]
    return models.Filter(must=must) if must else None


def _filter_to_json(flt: MemoryFilter) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(flt).items()}


def _filter_from_json(data: dict[str, Any]) -> MemoryFilter:
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v)
                              for k, v in data.items()}
    return MemoryFilter(**values)


class Outbox:
    """An append-only, fsync'd JSON-lines log of writes waiting for the server."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(os.fspath(folder), 'outbox.jsonl')
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        """Add one write; durable when this returns."""
        line = json.dumps(entry, separators=(',', ':')) + '\n'
        with self._lock, open(self.path, 'a') as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def entries(self) -> list[dict[str, Any]]:
        """Return the pending writes in order (a torn last line from a crash is skipped)."""
        with self._lock:
            if not os.path.exists(self.path):
                return []
            with open(self.path) as handle:
                lines = handle.read().splitlines()
        pending = []
        for line in lines:
            try:
                pending.append(json.loads(line))
            except ValueError:
                _LOG.warning('skipping a torn outbox line')
        return pending

    def replace(self, remaining: Sequence[dict[str, Any]]) -> None:
        """Atomically keep only ``remaining`` (after a partial or full replay)."""
        with self._lock:
            tmp = self.path + '.tmp'
            with open(tmp, 'w') as handle:
                for entry in remaining:
                    handle.write(json.dumps(entry, separators=(',', ':')) + '\n')
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)

    def __len__(self) -> int:
        return len(self.entries())


class QdrantServerStore(MemoryStore):
    """Memory records in one collection of a Qdrant server, with a local outbox."""

    def __init__(self, url: str | None = None, *, client: QdrantClient | None = None,
                 collection: str = 'shadowhound_memories', timeout_s: float = 5.0,
                 outbox_path: str | os.PathLike[str] | None = None,
                 api_key_env: str = 'QDRANT_API_KEY') -> None:
        if client is None and not url:
            raise StoreError('a Qdrant server store needs a URL or a client')
        self.url = url or '(client)'
        self.collection = collection
        # A client handed in belongs to the caller, who closes it.
        self._owns_client = client is None
        self._client = client or QdrantClient(url=url, timeout=int(max(1, timeout_s)),
                                              api_key=os.environ.get(api_key_env) or None)
        self.outbox = Outbox(outbox_path) if outbox_path is not None else None
        self._info: CollectionInfo | None = None
        self._lock = threading.RLock()

    def _call(self, what: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except UNREACHABLE as exc:
            raise BackendUnavailableError(
                f'Qdrant server {self.url} is unreachable ({what}): {exc}') from exc
        except Exception as exc:  # noqa: B902 - the client raises many types; name the failure
            raise StoreError(f'Qdrant server {self.url} failed ({what}): {exc}') from exc

    # Lifecycle --------------------------------------------------------------------------------

    def open_collection(self, info: CollectionInfo) -> None:
        """Create the collection or check that it holds this model's vectors."""
        self._info = info
        try:
            self._ensure_collection()
        except BackendUnavailableError:
            if self.outbox is None:
                raise
            _LOG.warning('Qdrant server %s unreachable at start; writes go to the outbox',
                         self.url)

    def _ensure_collection(self) -> None:
        info = self._info
        assert info is not None
        exists = self._call('check collection',
                            lambda: self._client.collection_exists(self.collection))
        if exists:
            config = self._call('read collection',
                                lambda: self._client.get_collection(self.collection)).config
            metadata = config.metadata or {}
            vectors = config.params.vectors
            size = vectors.size if isinstance(vectors, models.VectorParams) else -1
            stored = CollectionInfo(str(metadata.get('embedding_model', 'unknown')), size,
                                    int(metadata.get('schema_version', info.schema_version)))
            check_info(stored, info, f'collection {self.collection} on {self.url}')
            return
        self._call('create collection', lambda: self._client.create_collection(
            self.collection, vectors_config=models.VectorParams(
                size=info.dimension, distance=models.Distance.COSINE),
            metadata={'embedding_model': info.embedding_model, 'dimension': info.dimension,
                      'schema_version': info.schema_version}))
        indexes = [(n, models.PayloadSchemaType.KEYWORD) for n in KEYWORD_INDEXES]
        indexes += [(n, models.PayloadSchemaType.FLOAT) for n in FLOAT_INDEXES]
        for name, schema in indexes:
            self._create_index(name, schema)

    def _create_index(self, name: str, schema: models.PayloadSchemaType) -> None:
        self._call('create index',
                   lambda: self._client.create_payload_index(self.collection, name, schema))

    def close(self) -> None:
        """Release the client; safe to call twice."""
        with self._lock:
            if self._owns_client:
                self._client.close()

    # Outbox -----------------------------------------------------------------------------------

    def replay_outbox(self) -> int:
        """Apply pending outbox writes in order; return how many were applied."""
        if self.outbox is None:
            return 0
        with self._lock:
            pending = self.outbox.entries()
            if not pending:
                return 0
            self._ensure_collection()
            done = 0
            try:
                for entry in pending:
                    self._apply(entry)
                    done += 1
            finally:
                self.outbox.replace(pending[done:])
            return done

    def _apply(self, entry: dict[str, Any]) -> None:
        if entry['op'] == 'upsert':
            points = [models.PointStruct(id=p['id'], vector=p['vector'], payload=p['payload'])
                      for p in entry['points']]
            self._call('upsert', lambda: self._client.upsert(self.collection, points, wait=True))
        elif entry['op'] == 'delete_ids':
            selector = models.PointIdsList(points=entry['ids'])
            self._call('delete', lambda: self._client.delete(self.collection, selector,
                                                             wait=True))
        elif entry['op'] == 'delete_filter':
            flt = _filter(_filter_from_json(entry['filter'])) or models.Filter()
            self._call('delete', lambda: self._client.delete(
                self.collection, models.FilterSelector(filter=flt), wait=True))

    def _write(self, entry: dict[str, Any]) -> None:
        with self._lock:
            try:
                self.replay_outbox()
                self._apply(entry)
            except BackendUnavailableError:
                if self.outbox is None:
                    raise
                self.outbox.append(entry)

    def _ready_for_read(self) -> None:
        self.replay_outbox()

    # Writes -----------------------------------------------------------------------------------

    def upsert(self, records: Sequence[MemoryRecord],
               vectors: Sequence[Sequence[float]]) -> None:
        """Insert or replace by id; acknowledged once on the server or in the outbox."""
        if not records:
            return
        if self._info is None:
            raise StoreError('the store is not open')
        check_vectors(records, vectors, self._info.dimension)
        self._write({'op': 'upsert', 'points': [
            {'id': r.id, 'vector': [float(x) for x in v], 'payload': to_payload(r)}
            for r, v in zip(records, vectors)]})

    def delete_ids(self, ids: Sequence[str]) -> int:
        """Delete by id; return how many existed (0 when queued in the outbox)."""
        valid = []
        for value in ids:
            try:
                valid.append(str(uuid.UUID(str(value))))
            except ValueError:
                continue
        if not valid:
            return 0
        try:
            existing = [r.id for r in self.get(valid)]
        except BackendUnavailableError:
            if self.outbox is None:
                raise
            self.outbox.append({'op': 'delete_ids', 'ids': valid})
            return 0
        if existing:
            self._write({'op': 'delete_ids', 'ids': existing})
        return len(existing)

    def delete(self, flt: MemoryFilter) -> int:
        """Delete every matching record; return how many (0 when queued in the outbox)."""
        if flt.near is not None:
            return self.delete_ids([r.id for r in self.scroll(flt, None)])
        try:
            count = self.count(flt)
        except BackendUnavailableError:
            if self.outbox is None:
                raise
            self.outbox.append({'op': 'delete_filter', 'filter': _filter_to_json(flt)})
            return 0
        if count:
            self._write({'op': 'delete_filter', 'filter': _filter_to_json(flt)})
        return count

    # Reads ------------------------------------------------------------------------------------

    def search(self, vector: Sequence[float], flt: MemoryFilter,
               limit: int) -> list[ScoredRecord]:
        """Return the most similar matching records, exactly the top ``limit`` in a circle."""
        self._ready_for_read()
        fetch = limit if flt.near is None else limit * 4
        while True:
            response = self._call('search', lambda: self._client.query_points(
                self.collection, query=[float(v) for v in vector], limit=fetch,
                query_filter=_filter(flt), with_payload=True))
            points = response.points
            hits = [ScoredRecord(from_payload(p.payload or {}), float(p.score)) for p in points]
            kept = [h for h in hits if in_circle(h.record, flt.near)]
            if len(kept) >= limit or len(points) < fetch:
                return kept[:limit]
            fetch *= 4

    def get(self, ids: Sequence[str]) -> list[MemoryRecord]:
        """Return existing records in the order of ``ids``."""
        self._ready_for_read()
        points = self._call('retrieve', lambda: self._client.retrieve(
            self.collection, list(ids), with_payload=True))
        found = {str(p.id): from_payload(p.payload or {}) for p in points}
        return [found[i] for i in ids if i in found]

    def get_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Return stored vectors by id."""
        self._ready_for_read()
        points = self._call('retrieve', lambda: self._client.retrieve(
            self.collection, list(ids), with_payload=False, with_vectors=True))
        vectors: dict[str, list[float]] = {}
        for point in points:
            if isinstance(point.vector, list):
                vectors[str(point.id)] = [float(x) for x in point.vector]  # type: ignore[arg-type]
        return vectors

    def scroll(self, flt: MemoryFilter, limit: int | None,
               newest_first: bool = False) -> list[MemoryRecord]:
        """Return matching records by timestamp (all of them when limit is None)."""
        self._ready_for_read()
        # A circle is filtered after the fetch, so the fetch must not stop at ``limit``.
        fetch = limit if limit is not None and flt.near is None else max(
            1, self.count(MemoryFilter()))
        order = models.OrderBy(key='timestamp', direction=models.Direction.DESC if newest_first
                               else models.Direction.ASC)
        points, _ = self._call('scroll', lambda: self._client.scroll(
            self.collection, scroll_filter=_filter(flt), limit=fetch, with_payload=True,
            order_by=order))
        records = [from_payload(p.payload or {}) for p in points]
        records = [r for r in records if in_circle(r, flt.near)]
        return records if limit is None else records[:limit]

    def count(self, flt: MemoryFilter | None = None) -> int:
        """Count matching records."""
        flt = flt or MemoryFilter()
        if flt.near is not None:
            return len(self.scroll(flt, None))
        self._ready_for_read()
        return int(self._call('count', lambda: self._client.count(
            self.collection, count_filter=_filter(flt), exact=True)).count)

    def health(self) -> dict[str, str]:
        """Report backend facts for diagnostics, including pending outbox writes."""
        pending = len(self.outbox) if self.outbox is not None else 0
        return {'backend': 'qdrant-server', 'url': self.url, 'collection': self.collection,
                'outbox_pending': str(pending)}
