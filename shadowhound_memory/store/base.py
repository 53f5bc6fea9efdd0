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
The one interface every memory store implements.

The memory service and the retrieval code talk only to ``MemoryStore``; the embedded Qdrant Edge
store and the Qdrant server store implement it and are held to it by one shared test suite.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from shadowhound_memory.domain.records import MemoryRecord


@dataclass(frozen=True)
class MemoryFilter:
    """
    Conditions a stored memory must meet; every field left empty matches everything.

    ``mission_ids=None`` means every mission: the memory service decides when a query may cross
    missions, the store only applies what it is given.
    """

    mission_ids: tuple[str, ...] | None = None
    tags_any: tuple[str, ...] = ()
    tags_all: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    time_from: float | None = None
    time_to: float | None = None
    # On when a record was last seen (merged duplicates move it): dedupe and retention use it.
    last_seen_from: float | None = None
    last_seen_to: float | None = None
    # A circle (x, y, radius in metres) in the map frame; records without a pose never match.
    near: tuple[float, float, float] | None = None
    # A box (x_min, y_min, x_max, y_max) in the map frame; records without a pose never match.
    box: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class ScoredRecord:
    """
    A record with its score for the query (higher is closer), in [0, 1] for ranking.

    Cosine similarity for a dense search; for a hybrid search, the fused score of the dense and
    BM25 rankings scaled by its maximum (see ``store.sparse.normalized_fused_score``).
    """

    record: MemoryRecord
    score: float


@dataclass(frozen=True)
class CollectionInfo:
    """What a collection was created for; a store refuses vectors of another kind."""

    embedding_model: str
    dimension: int
    schema_version: int


class MemoryStore(ABC):
    """Durable storage and filtered vector search of memory records."""

    @abstractmethod
    def open_collection(self, info: CollectionInfo) -> None:
        """
        Create the collection or open an existing one.

        Raises EmbeddingMismatchError when the existing collection was made for another embedding
        model or dimension, so vectors of two models are never mixed.
        """

    @abstractmethod
    def upsert(self, records: Sequence[MemoryRecord],
               vectors: Sequence[Sequence[float]]) -> None:
        """Insert or replace records by id; when this returns, the write is durable."""

    @abstractmethod
    def search(self, vector: Sequence[float], flt: MemoryFilter, limit: int,
               text: str | None = None) -> list[ScoredRecord]:
        """
        Return up to ``limit`` records matching ``flt``, most similar first.

        Without ``text``, by cosine similarity to ``vector``. With ``text``, hybrid: the dense
        ranking fused with the BM25 ranking of ``text`` over the records' sparse vectors (dense
        alone when ``text`` has no searchable word, e.g. only stop words).
        """

    @abstractmethod
    def get(self, ids: Sequence[str]) -> list[MemoryRecord]:
        """Return the records with these ids that exist, in the order given."""

    @abstractmethod
    def get_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Return the stored vectors of these ids (for near-duplicate checks)."""

    @abstractmethod
    def scroll(self, flt: MemoryFilter, limit: int | None,
               newest_first: bool = False) -> list[MemoryRecord]:
        """Return up to ``limit`` (None: all) matching records ordered by timestamp."""

    @abstractmethod
    def count(self, flt: MemoryFilter | None = None) -> int:
        """Count the records matching ``flt`` (all records when None)."""

    @abstractmethod
    def delete_ids(self, ids: Sequence[str]) -> int:
        """Delete records by id; return how many existed; durable on return."""

    @abstractmethod
    def delete(self, flt: MemoryFilter) -> int:
        """Delete every record matching ``flt``; return how many; durable on return."""

    def purge_deleted(self) -> None:
        """
        Remove what deleted records left on disk, where the backend keeps it (a no-op here).

        Called after a forget: data governance means the bytes are gone, not only hidden.
        """

    @abstractmethod
    def health(self) -> dict[str, str]:
        """Return backend facts for diagnostics (kind, path or URL, state, pending outbox)."""

    @abstractmethod
    def close(self) -> None:
        """Flush and release the store; safe to call twice."""
