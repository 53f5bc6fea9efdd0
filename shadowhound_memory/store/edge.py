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
The embedded default store: Qdrant Edge on local disk, in the node's own process.

No server to run on the robot, and Qdrant's filtering engine all the same. Every write goes
through Edge's write-ahead log before the call returns, so an acknowledged write survives a
kill -9. Edge has no background optimizer: search is exact until ``optimize()`` builds the HNSW
index, which the store does once ``optimize_threshold`` new points have arrived (exact search
over a few thousand 384-d vectors takes well under a millisecond, so small stores never need it).
"""

from collections.abc import Sequence
import logging
import os
import threading
from typing import Any
import uuid

import qdrant_edge as edge

from shadowhound_memory.errors import StoreError
from shadowhound_memory.memory.schema import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter, MemoryStore, ScoredRecord
from shadowhound_memory.store.common import (check_info, check_vectors, Condition, conditions,
                                             FLOAT_INDEXES, from_payload, in_circle,
                                             KEYWORD_INDEXES, Match, MatchAnyOf, read_info,
                                             to_payload, write_info)

_LOG = logging.getLogger(__name__)


def _condition(condition: Condition) -> Any:
    if isinstance(condition, Match):
        return edge.FieldCondition(key=condition.key, match=edge.MatchValue(condition.value))
    if isinstance(condition, MatchAnyOf):
        return edge.FieldCondition(key=condition.key, match=edge.MatchAny(list(condition.values)))
    return edge.FieldCondition(key=condition.key,
                               range=edge.RangeFloat(gte=condition.gte, lte=condition.lte))


def _edge_filter(flt: MemoryFilter) -> Any:
    must = [_condition(c) for c in conditions(flt)]
    return edge.Filter(must=must) if must else None


def _valid_ids(ids: Sequence[str]) -> list[str]:
    valid = []
    for value in ids:
        try:
            valid.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return valid


class EdgeStore(MemoryStore):
    """Memory records in a Qdrant Edge shard under ``path``."""

    def __init__(self, path: str | os.PathLike[str], optimize_threshold: int = 20000) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.optimize_threshold = optimize_threshold
        self._shard: Any = None
        self._info: CollectionInfo | None = None
        self._lock = threading.RLock()
        self._since_optimize = 0

    # Lifecycle --------------------------------------------------------------------------------

    def open_collection(self, info: CollectionInfo) -> None:
        """Create the shard or load it, refusing another embedding model's collection."""
        info_path = os.path.join(self.path, 'collection.json')
        shard_path = os.path.join(self.path, 'shard')
        with self._lock:
            os.makedirs(self.path, exist_ok=True)
            stored = read_info(info_path)
            if stored is not None:
                check_info(stored, info, f'the store at {self.path}')
            try:
                if os.path.isdir(shard_path) and os.listdir(shard_path):
                    self._shard = edge.EdgeShard.load(shard_path)
                else:
                    os.makedirs(shard_path, exist_ok=True)
                    config = edge.EdgeConfig(vectors=edge.EdgeVectorParams(
                        size=info.dimension, distance=edge.Distance.Cosine))
                    self._shard = edge.EdgeShard.create(shard_path, config)
                    for name in KEYWORD_INDEXES:
                        self._update(edge.UpdateOperation.create_field_index(
                            name, edge.PayloadSchemaType.Keyword))
                    for name in FLOAT_INDEXES:
                        self._update(edge.UpdateOperation.create_field_index(
                            name, edge.PayloadSchemaType.Float))
            except Exception as exc:  # noqa: B902 - Edge raises plain Exception
                if 'WAL' in str(exc):
                    raise StoreError(f'the store at {self.path} is open in another process '
                                     f'(only one process may hold it): {exc}') from exc
                raise StoreError(f'cannot open the store at {self.path}: {exc}') from exc
            if stored is None:
                write_info(info_path, info)
            self._info = info

    def close(self) -> None:
        """Flush and release the shard; safe to call twice."""
        with self._lock:
            if self._shard is not None:
                try:
                    self._shard.flush()
                    self._shard.close()
                finally:
                    self._shard = None

    def _require(self) -> Any:
        if self._shard is None:
            raise StoreError('the store is not open')
        return self._shard

    def _update(self, operation: Any) -> None:
        try:
            self._require().update(operation)
        except StoreError:
            raise
        except Exception as exc:  # noqa: B902 - Edge raises plain Exception
            raise StoreError(f'the store at {self.path} refused a write: {exc}') from exc

    # Writes -----------------------------------------------------------------------------------

    def upsert(self, records: Sequence[MemoryRecord],
               vectors: Sequence[Sequence[float]]) -> None:
        """Insert or replace by id; durable in the WAL when this returns."""
        if not records:
            return
        if self._info is None:
            raise StoreError('the store is not open')
        check_vectors(records, vectors, self._info.dimension)
        points = [edge.Point(r.id, [float(v) for v in vec], to_payload(r))
                  for r, vec in zip(records, vectors)]
        with self._lock:
            self._update(edge.UpdateOperation.upsert_points(points))
            self._since_optimize += len(points)
            if self._since_optimize >= self.optimize_threshold:
                self.optimize()

    def optimize(self) -> None:
        """Build the HNSW index now (blocking; seconds per 20k points)."""
        with self._lock:
            self._require().optimize()
            self._since_optimize = 0

    def delete_ids(self, ids: Sequence[str]) -> int:
        """Delete by id; return how many existed."""
        valid = _valid_ids(ids)
        if not valid:
            return 0
        with self._lock:
            existing: list[int | uuid.UUID | str] = [
                str(r.id) for r in self._require().retrieve(valid, False, False)]
            if existing:
                self._update(edge.UpdateOperation.delete_points(existing))
            return len(existing)

    def delete(self, flt: MemoryFilter) -> int:
        """Delete every record matching the filter; return how many."""
        with self._lock:
            if flt.near is not None:
                return self.delete_ids([r.id for r in self.scroll(flt, limit=None)])
            count = self.count(flt)
            if count:
                self._update(edge.UpdateOperation.delete_points_by_filter(_edge_filter(flt)
                                                                          or edge.Filter()))
            return count

    # Reads ------------------------------------------------------------------------------------

    def search(self, vector: Sequence[float], flt: MemoryFilter,
               limit: int) -> list[ScoredRecord]:
        """Return the most similar matching records, exactly the top ``limit`` in a circle."""
        fetch = limit if flt.near is None else limit * 4
        query = edge.Query.Nearest([float(v) for v in vector])
        with self._lock:
            shard = self._require()
            while True:
                points = shard.search(edge.SearchRequest(
                    query=query, limit=fetch, filter=_edge_filter(flt), with_payload=True))
                hits = [ScoredRecord(from_payload(p.payload), float(p.score)) for p in points]
                kept = [h for h in hits if in_circle(h.record, flt.near)]
                # The box around a circle holds 27% more area: fetch more until the circle has
                # enough, or the box is exhausted.
                if len(kept) >= limit or len(points) < fetch:
                    return kept[:limit]
                fetch *= 4

    def get(self, ids: Sequence[str]) -> list[MemoryRecord]:
        """Return existing records in the order of ``ids``."""
        valid = _valid_ids(ids)
        with self._lock:
            found = {str(r.id): from_payload(r.payload)
                     for r in self._require().retrieve(valid, True, False)} if valid else {}
        return [found[i] for i in valid if i in found]

    def get_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Return stored vectors by id."""
        valid = _valid_ids(ids)
        if not valid:
            return {}
        with self._lock:
            points = self._require().retrieve(valid, False, True)
        return {str(r.id): list(r.vector) for r in points}

    def scroll(self, flt: MemoryFilter, limit: int | None,
               newest_first: bool = False) -> list[MemoryRecord]:
        """Return matching records by timestamp (all of them when limit is None)."""
        with self._lock:
            shard = self._require()
            fetch = None if flt.near is not None else limit
            records, _ = shard.scroll(edge.ScrollRequest(
                limit=fetch if fetch is not None else max(1, self.count(MemoryFilter())),
                filter=_edge_filter(flt), with_payload=True,
                order_by=edge.OrderBy('timestamp', direction=edge.Direction.Desc if newest_first
                                      else edge.Direction.Asc)))
        kept = [from_payload(r.payload) for r in records]
        kept = [r for r in kept if in_circle(r, flt.near)]
        return kept if limit is None else kept[:limit]

    def count(self, flt: MemoryFilter | None = None) -> int:
        """Count matching records."""
        flt = flt or MemoryFilter()
        if flt.near is not None:
            return len(self.scroll(flt, limit=None))
        with self._lock:
            return int(self._require().count(edge.CountRequest(exact=True,
                                                               filter=_edge_filter(flt))))

    def health(self) -> dict[str, str]:
        """Report backend facts for diagnostics."""
        state = 'open' if self._shard is not None else 'closed'
        return {'backend': 'qdrant-edge', 'path': self.path, 'state': state}
