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

No server to run on the robot, and Qdrant's filtering engine all the same. Layout under the store
path: ``collection.json`` (embedding model, dimension, schema version) beside ``shard/`` (Edge's
WAL and segments). Every write goes through Edge's write-ahead log before the call returns, so an
acknowledged write survives a kill -9 (the durability test kills a real writer to check it).
Edge has no background optimizer: search is exact until ``optimize()`` builds the HNSW index,
which the store does when it is opened with more than ``optimize_threshold`` points unindexed
(exact search over a few thousand 384-d vectors takes well under a millisecond, and 100k about
15 ms). Not in the write that crosses the threshold: the build holds the GIL for its whole run
(measured by `make chaos`: 20 s at 20k points on a busy 2-core machine, every other thread of the
process stalled as long), so a mid-mission build would stop odometry, diagnostics and every
service of the node; at start it only delays readiness.

Edge writes its segments through memory maps. When the disk fills, a write into a mapped page
that the file system cannot back kills the process with SIGBUS (measured on a full tmpfs: the
whole node died, the data written before survived). Besides about 5 KB per memory, Edge takes
disk in steps: vectors in 32 MB chunks, and a new segment of about 58 MB when a store is first
loaded after it was written. So the store refuses to open, and refuses upserts, with an error
that says why, while the disk holding it has less than ``min_free_bytes`` left (the node's
default of 100 MB covers both steps); deletes stay allowed, being small and the way to make room.

A delete only hides a point: its payload stays in the segment pages and in the WAL, readable with
grep (measured, also after ``optimize()``). ``purge_deleted()``, which a forget calls, rewrites
the shard with the live points only and swaps it in: ``shard.compact/`` is built and closed,
``shard/`` becomes ``shard.old/``, ``shard.compact/`` becomes ``shard/``, ``shard.old/`` is
removed; ``open_collection()`` finishes or undoes a swap that a crash interrupted.

Every point holds its MiniLM vector (the unnamed default vector) and a BM25 sparse vector
(``bm25``, IDF modifier) of its text and tag values, so a search can be dense or hybrid (the two
rankings fused by the engine, RRF by default). Stores written before sparse vectors existed
(dense only) are migrated when opened: the sparse vector is added to the shard's configuration
and filled in for every point that lacks it, in pages, by ``update_vectors``; ids, payloads and
dense vectors are untouched. The migration picks up where it stopped if it is cut short, since
it selects the points without a sparse vector each time.
"""

from collections.abc import Sequence
import json
import logging
import os
import shutil
import threading
from typing import Any

import qdrant_edge as edge

from shadowhound_memory.domain.errors import StoreError
from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter, MemoryStore, ScoredRecord
from shadowhound_memory.store.payload import (check_info, check_vectors, Condition, conditions,
                                              first_in_circle, FLOAT_INDEXES, from_payload,
                                              fsync_dir, KEYWORD_INDEXES, Match, MatchAnyOf,
                                              read_info, to_payload, valid_ids, write_info)
from shadowhound_memory.store.sparse import (BM25_VECTOR, document_vector, Fusion, FUSIONS,
                                             normalized_fused_score, query_vector, RRF_K,
                                             SparseVector)

_LOG = logging.getLogger(__name__)

INFO_FILE = 'collection.json'
SHARD_DIR = 'shard'
COMPACT_DIR = 'shard.compact'
OLD_DIR = 'shard.old'
COMPACT_PAGE = 1000
DEFAULT_MIN_FREE_BYTES = 100 * 2**20
EDGE_CONFIG_FILE = 'edge_config.json'
# Candidates each ranking hands to the fusion: deep enough that a record ranked low by one and
# high by the other still meets itself, cheap next to the search (measured in bench_core).
HYBRID_PREFETCH = 50


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


def _sparse(vector: SparseVector) -> Any:
    return edge.SparseVector(vector[0], vector[1])


def _point(record: MemoryRecord, vector: list[float]) -> Any:
    return edge.Point(record.id, {'': vector, BM25_VECTOR: _sparse(document_vector(record))},
                      to_payload(record))


def _dense(vector: Any) -> list[float]:
    """Return the dense vector of a point read back (a dict once it has named vectors)."""
    if isinstance(vector, dict):
        vector = vector['']
    return [float(x) for x in vector]


class EdgeStore(MemoryStore):
    """Memory records in a Qdrant Edge shard under ``path``; one process at a time."""

    def __init__(self, path: str | os.PathLike[str], optimize_threshold: int = 20000,
                 min_free_bytes: int = DEFAULT_MIN_FREE_BYTES, fusion: Fusion = 'rrf') -> None:
        if fusion not in FUSIONS:
            raise StoreError(f'fusion must be one of {", ".join(FUSIONS)}, got {fusion!r}')
        if optimize_threshold < 1:
            raise StoreError(f'optimize_threshold must be at least 1, got {optimize_threshold}')
        if min_free_bytes < 0:
            raise StoreError(f'min_free_bytes must not be negative, got {min_free_bytes}')
        self.path = os.path.abspath(os.fspath(path))
        self.optimize_threshold = optimize_threshold
        self.min_free_bytes = min_free_bytes
        self.fusion = fusion
        self._shard: Any = None
        self._info: CollectionInfo | None = None
        self._lock = threading.RLock()
        self._since_optimize = 0

    # Lifecycle --------------------------------------------------------------------------------

    def open_collection(self, info: CollectionInfo) -> None:
        """Create the shard or load it, refusing another embedding model's collection."""
        info_path = os.path.join(self.path, INFO_FILE)
        shard_path = os.path.join(self.path, SHARD_DIR)
        with self._lock:
            if self._shard is not None:
                check_info(self._require_info(), info, f'the store at {self.path}')
                return
            os.makedirs(self.path, exist_ok=True)
            self._check_free_space('open the store')
            self._finish_swap()
            stored = read_info(info_path)
            exists = os.path.exists(os.path.join(shard_path, 'edge_config.json'))
            if exists and stored is not None:
                check_info(stored, info, f'the store at {self.path}')
            elif exists:
                raise StoreError(
                    f'the store at {self.path} has a shard but no {INFO_FILE}, so the embedding '
                    'model of its vectors is unknown; restore the file or use another store path')
            else:
                # Recorded before the shard exists, so no shard is ever without its model.
                write_info(info_path, info)
            try:
                self._shard = edge.EdgeShard.load(shard_path) if exists else self._create(
                    shard_path, info)
            except Exception as exc:  # noqa: B902 - Edge raises plain Exception
                if 'WAL' in str(exc):
                    raise StoreError(
                        f'the store at {self.path} is held by another process (only one process '
                        f'may open it; stop the other node or use another store path): {exc}'
                    ) from exc
                raise StoreError(f'cannot open the store at {self.path}: {exc}') from exc
            self._migrate_to_hybrid(shard_path)
            shard_info = self._shard.info()
            self._since_optimize = shard_info.points_count - shard_info.indexed_vectors_count
            self._info = info
            if self._since_optimize > self.optimize_threshold:
                try:
                    self.optimize()
                except StoreError as exc:
                    # Search stays exact (correct, slower) until the next start has room.
                    _LOG.warning('%s', exc)

    def _migrate_to_hybrid(self, shard_path: str) -> None:
        """Give a dense-only shard (written before hybrid search) its BM25 vectors."""
        try:
            with open(os.path.join(shard_path, EDGE_CONFIG_FILE)) as handle:
                sparse_names = json.load(handle).get('sparse_vectors') or {}
        except (OSError, ValueError) as exc:
            raise StoreError(f'cannot read the shard configuration in {shard_path}: {exc}') \
                from exc
        if BM25_VECTOR not in sparse_names:
            _LOG.info('the store at %s has no BM25 vectors (written by an older version); '
                      'adding them for hybrid search', self.path)
            self._update(edge.UpdateOperation.create_sparse_vector(BM25_VECTOR,
                                                                   edge.Modifier.Idf))
        missing = edge.Filter(must_not=[edge.HasVectorCondition(BM25_VECTOR)])
        filled = 0
        while True:
            request = edge.ScrollRequest(limit=COMPACT_PAGE, filter=missing, with_payload=True,
                                         with_vector=False)
            points, _ = self._read('read', self._shard.scroll, request)
            if not points:
                break
            self._update(edge.UpdateOperation.update_vectors([
                edge.PointVectors(p.id, {BM25_VECTOR: _sparse(document_vector(
                    from_payload(p.payload)))}) for p in points]))
            filled += len(points)
        if filled:
            self._shard.flush()
            _LOG.info('added BM25 vectors to %d memories in %s', filled, self.path)

    def _finish_swap(self) -> None:
        """Complete or undo a purge_deleted() swap that a crash cut short."""
        shard, compact, old = (os.path.join(self.path, d)
                               for d in (SHARD_DIR, COMPACT_DIR, OLD_DIR))
        if os.path.exists(old) and not os.path.exists(shard):
            # Crashed between the two renames: the compacted shard was complete and closed.
            os.rename(compact if os.path.exists(compact) else old, shard)
            fsync_dir(self.path)
        for leftover in (compact, old):
            if os.path.exists(leftover):
                shutil.rmtree(leftover)

    def _create(self, shard_path: str, info: CollectionInfo) -> Any:
        config = edge.EdgeConfig(
            vectors=edge.EdgeVectorParams(size=info.dimension, distance=edge.Distance.Cosine),
            sparse_vectors={BM25_VECTOR: edge.EdgeSparseVectorParams(modifier=edge.Modifier.Idf)})
        shard = edge.EdgeShard.create(shard_path, config)
        indexes = [(name, edge.PayloadSchemaType.Keyword) for name in KEYWORD_INDEXES]
        indexes += [(name, edge.PayloadSchemaType.Float) for name in FLOAT_INDEXES]
        for name, schema in indexes:
            shard.update(edge.UpdateOperation.create_field_index(name, schema))
        return shard

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
            raise StoreError(f'the store at {self.path} is not open; call open_collection()')
        return self._shard

    def _require_info(self) -> CollectionInfo:
        if self._info is None:
            raise StoreError(f'the store at {self.path} is not open; call open_collection()')
        return self._info

    def _update(self, operation: Any) -> None:
        try:
            self._require().update(operation)
        except StoreError:
            raise
        except Exception as exc:  # noqa: B902 - Edge raises plain Exception
            raise StoreError(f'the store at {self.path} refused a write: {exc}') from exc

    def _read(self, what: str, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except Exception as exc:  # noqa: B902 - Edge raises plain Exception
            raise StoreError(f'the store at {self.path} failed to {what}: {exc}') from exc

    # Writes -----------------------------------------------------------------------------------

    def upsert(self, records: Sequence[MemoryRecord],
               vectors: Sequence[Sequence[float]]) -> None:
        """Insert or replace by id; in the WAL (surviving kill -9) when this returns."""
        if not records:
            return
        with self._lock:
            checked = check_vectors(records, vectors, self._require_info().dimension)
            points = [_point(r, v) for r, v in zip(records, checked)]
            self._check_free_space('store new memories')
            self._update(edge.UpdateOperation.upsert_points(points))
            self._since_optimize += len(points)

    def free_bytes(self) -> int:
        """Return the free space on the disk holding the store."""
        return shutil.disk_usage(self.path).free

    def _check_free_space(self, what: str) -> None:
        try:
            free = self.free_bytes()
        except OSError as exc:
            raise StoreError(f'cannot {what}: the store folder {self.path} is unreadable '
                             f'({exc.strerror})') from exc
        if free < self.min_free_bytes:
            raise StoreError(
                f'cannot {what}: the disk holding the store at {self.path} has '
                f'{free / 2**20:.1f} MB free, below the {self.min_free_bytes / 2**20:.0f} MB '
                'reserve (store_min_free_mb); writes are refused until space is freed (Edge '
                'would otherwise be killed mid-write); stored memories are unaffected')

    def optimize(self) -> None:
        """Build the HNSW index now (blocking; seconds per 10k points), e.g. when idle."""
        with self._lock:
            shard = self._require()
            self._check_free_space('build the search index')
            _LOG.info('optimizing the store at %s (%d new points)', self.path,
                      self._since_optimize)
            self._read('optimize', shard.optimize)
            shard_info = shard.info()
            self._since_optimize = shard_info.points_count - shard_info.indexed_vectors_count

    def purge_deleted(self) -> None:
        """Rewrite the shard with its live points only, so deleted payloads leave the disk."""
        with self._lock:
            shard = self._require()
            info = self._require_info()
            self._check_free_space('purge deleted memories')
            shard_path, compact_path, old_path = (os.path.join(self.path, d)
                                                  for d in (SHARD_DIR, COMPACT_DIR, OLD_DIR))
            if os.path.exists(compact_path):
                shutil.rmtree(compact_path)
            try:
                compact = self._create(compact_path, info)
                offset = None
                while True:
                    request = edge.ScrollRequest(offset=offset, limit=COMPACT_PAGE,
                                                 with_payload=True, with_vector=True)
                    points, offset = shard.scroll(request)
                    if points:
                        compact.update(edge.UpdateOperation.upsert_points(
                            [edge.Point(p.id, p.vector, p.payload) for p in points]))
                    if offset is None:
                        break
                compact.flush()
                compact.close()
                shard.flush()
                shard.close()
            except Exception as exc:  # noqa: B902 - Edge raises plain Exception
                raise StoreError(f'purging deleted memories in {self.path} failed (the store '
                                 f'is unchanged): {exc}') from exc
            self._shard = None
            os.rename(shard_path, old_path)
            os.rename(compact_path, shard_path)
            fsync_dir(self.path)
            shutil.rmtree(old_path)
            self._shard = edge.EdgeShard.load(shard_path)
            shard_info = self._shard.info()
            self._since_optimize = shard_info.points_count - shard_info.indexed_vectors_count

    def delete_ids(self, ids: Sequence[str]) -> int:
        """Delete by id; return how many existed."""
        valid = valid_ids(ids)
        if not valid:
            return 0
        with self._lock:
            shard = self._require()
            found = self._read('read', shard.retrieve, valid, False, False)
            existing: list[Any] = [str(r.id) for r in found]
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
                self._update(edge.UpdateOperation.delete_points_by_filter(
                    _edge_filter(flt) or edge.Filter()))
            return count

    # Reads ------------------------------------------------------------------------------------

    def search(self, vector: Sequence[float], flt: MemoryFilter, limit: int,
               text: str | None = None) -> list[ScoredRecord]:
        """Return the best matching records (dense, or hybrid with ``text``), top ``limit``."""
        query = edge.Query.Nearest([float(v) for v in vector])
        edge_filter = _edge_filter(flt)
        sparse = query_vector(text) if text else None
        fusion: Any = edge.Fusion.Rrf(k=RRF_K) if self.fusion == 'rrf' else edge.Fusion.Dbsf()

        def fetch(size: int | None) -> list[ScoredRecord]:
            if sparse is None or not sparse[0]:
                request = edge.SearchRequest(query=query, limit=size or 1, filter=edge_filter,
                                             with_payload=True)
                points = self._read('search', self._require().search, request)
                return [ScoredRecord(from_payload(p.payload), float(p.score)) for p in points]
            depth = max(size or 1, HYBRID_PREFETCH)
            hybrid = edge.QueryRequest(
                limit=size or 1, query=fusion, filter=edge_filter, with_payload=True,
                prefetches=[edge.Prefetch(limit=depth, query=query, filter=edge_filter),
                            edge.Prefetch(limit=depth, filter=edge_filter,
                                          query=edge.Query.Nearest(_sparse(sparse),
                                                                   using=BM25_VECTOR))])
            points = self._read('search', self._require().query, hybrid)
            return [ScoredRecord(from_payload(p.payload),
                                 normalized_fused_score(float(p.score), self.fusion, 2))
                    for p in points]

        with self._lock:
            return first_in_circle(fetch, lambda hit: hit.record, flt.near, limit)

    def get(self, ids: Sequence[str]) -> list[MemoryRecord]:
        """Return existing records in the order of ``ids``."""
        valid = valid_ids(ids)
        if not valid:
            return []
        with self._lock:
            found = self._read('read', self._require().retrieve, valid, True, False)
        records = {str(r.id): from_payload(r.payload) for r in found}
        return [records[i] for i in valid if i in records]

    def get_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Return stored vectors by id (unit length: the collection is cosine)."""
        valid = valid_ids(ids)
        if not valid:
            return {}
        with self._lock:
            found = self._read('read', self._require().retrieve, valid, False, True)
        return {str(r.id): _dense(r.vector) for r in found}

    def scroll(self, flt: MemoryFilter, limit: int | None,
               newest_first: bool = False) -> list[MemoryRecord]:
        """Return matching records by timestamp (all of them when limit is None)."""
        edge_filter = _edge_filter(flt)
        order = edge.OrderBy('timestamp', direction=edge.Direction.Desc if newest_first
                             else edge.Direction.Asc)

        def fetch(size: int | None) -> list[MemoryRecord]:
            if size is None:
                size = self._count(edge_filter)
            if size == 0:
                return []
            request = edge.ScrollRequest(limit=size, filter=edge_filter, with_payload=True,
                                         order_by=order)
            records, _ = self._read('scroll', self._require().scroll, request)
            return [from_payload(r.payload) for r in records]

        with self._lock:
            return first_in_circle(fetch, lambda record: record, flt.near, limit)

    def count(self, flt: MemoryFilter | None = None) -> int:
        """Count matching records."""
        flt = flt or MemoryFilter()
        if flt.near is not None:
            return len(self.scroll(flt, limit=None))
        with self._lock:
            return self._count(_edge_filter(flt))

    def _count(self, edge_filter: Any) -> int:
        request = edge.CountRequest(exact=True, filter=edge_filter)
        return int(self._read('count', self._require().count, request))

    def health(self) -> dict[str, str]:
        """Report backend facts for diagnostics; never raises."""
        facts = {'backend': 'qdrant-edge', 'path': self.path}
        with self._lock:
            if self._shard is None:
                return {**facts, 'points': '0', 'state': 'closed'}
            try:
                shard_info = self._shard.info()
            except Exception as exc:  # noqa: B902 - Edge raises plain Exception
                return {**facts, 'points': '0', 'state': f'error: {exc}'}
            return {**facts, 'points': str(shard_info.points_count), 'state': 'ok',
                    'indexed_points': str(shard_info.indexed_vectors_count)}
