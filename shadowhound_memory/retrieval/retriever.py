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
Recall queries and the retriever: embed the question, filter, search, rank.

A query must name its mission or ask across missions explicitly: missions stay isolated unless a
caller means otherwise. The two rules that relate fields to each other (the mission rule and the
order of the time window) raise InvalidRequestError; single-field violations raise pydantic's
ValidationError, whose messages name the field.
"""

from dataclasses import dataclass, field
import math
import re
import time

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shadowhound_memory.embeddings.base import EmbeddingProvider
from shadowhound_memory.errors import InvalidRequestError
from shadowhound_memory.memory.schema import (MAX_COORDINATE_M, MAX_TAGS, MISSION_PATTERN,
                                              TAG_PATTERN)
from shadowhound_memory.retrieval.ranking import rank, RankingWeights
from shadowhound_memory.store.base import MemoryFilter, MemoryStore, ScoredRecord
from shadowhound_memory.store.sparse import RETRIEVAL_MODES, RetrievalMode

MAX_QUESTION_CHARS = 1000
# Candidates fetched per requested hit, so recency and distance can lift a slightly less similar
# memory into the top k; capped so a large k cannot make one recall scan half the store.
OVERFETCH = 4
MAX_CANDIDATES = 200
_TAG_RE = re.compile(TAG_PATTERN)


class RecallQuery(BaseModel):
    """What to recall: a question and the filters that narrow it."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS,
                          description='What the agent wants to know, in words.')
    mission_id: str | None = Field(None, pattern=MISSION_PATTERN,
                                   description='Mission to search; required unless all_missions.')
    all_missions: bool = Field(False, description='Search every mission (explicit opt-in).')
    tags_any: list[str] = Field(default_factory=list, max_length=MAX_TAGS,
                                description='Keep memories with at least one of these tags.')
    tags_all: list[str] = Field(default_factory=list, max_length=MAX_TAGS,
                                description='Keep memories with every one of these tags.')
    events: list[str] = Field(default_factory=list, max_length=MAX_TAGS,
                              description='Keep memories of these event kinds.')
    time_from: float | None = Field(None, description='Observed at or after (epoch s).')
    time_to: float | None = Field(None, description='Observed at or before (epoch s).')
    near: tuple[float, float, float] | None = Field(
        None, description='Map-frame circle (x, y, radius m); also the place ranking favours.')
    box: tuple[float, float, float, float] | None = Field(
        None, description='Map-frame box (x_min, y_min, x_max, y_max).')
    k: int = Field(5, ge=1, le=100, description='Most memories returned.')
    min_score: float = Field(0.0, ge=0.0, le=1.0,
                             description='Drop memories whose final ranking score is lower.')

    @field_validator('tags_any', 'tags_all')
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        normalized = [t.strip().lower() for t in tags]
        for tag in normalized:
            if not _TAG_RE.match(tag):
                raise ValueError(f'tag {tag!r} must look like kind:value, e.g. object:red_ball')
        return normalized

    @field_validator('time_from', 'time_to')
    @classmethod
    def _times(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError('a time bound must be a finite number of seconds')
        return value

    @field_validator('near')
    @classmethod
    def _near(cls, near: tuple[float, float, float] | None) -> tuple[float, float, float] | None:
        if near is None:
            return None
        if not all(math.isfinite(v) for v in near):
            raise ValueError('place x, y and radius must be finite numbers')
        if not 0.0 < near[2] <= MAX_COORDINATE_M:
            raise ValueError(f'place radius must be > 0 and <= {MAX_COORDINATE_M:g} m '
                             f'(got {near[2]})')
        return near

    @field_validator('box')
    @classmethod
    def _box(cls, box: tuple[float, float, float, float] | None
             ) -> tuple[float, float, float, float] | None:
        if box is not None and (not all(math.isfinite(v) for v in box)
                                or box[0] > box[2] or box[1] > box[3]):
            raise ValueError('box must be finite (x_min, y_min, x_max, y_max) with min <= max')
        return box

    @model_validator(mode='after')
    def _coherent(self) -> 'RecallQuery':
        if self.time_from is not None and self.time_to is not None and \
                self.time_from > self.time_to:
            raise InvalidRequestError('time_from must not be after time_to; swap them or drop '
                                      'one bound')
        if self.mission_id is None and not self.all_missions:
            raise InvalidRequestError('a recall must say its mission: give mission_id, or set '
                                      'all_missions to search across missions')
        return self

    def memory_filter(self) -> MemoryFilter:
        """Return the store filter for this query."""
        return MemoryFilter(
            mission_ids=None if self.all_missions else (str(self.mission_id),),
            tags_any=tuple(self.tags_any), tags_all=tuple(self.tags_all),
            events=tuple(self.events), time_from=self.time_from, time_to=self.time_to,
            near=self.near, box=self.box)


@dataclass
class RetrievalResult:
    """Ranked hits and where the time went (milliseconds)."""

    hits: list[ScoredRecord] = field(default_factory=list)
    query_embedding_ms: float = 0.0
    search_ms: float = 0.0
    total_ms: float = 0.0


class Retriever:
    """
    Search with filters, re-ranked by similarity, recency and distance.

    ``mode`` 'hybrid' hands the question's words to the store beside its embedding (BM25 fused
    with the dense ranking); 'dense' searches by the embedding alone.
    """

    def __init__(self, store: MemoryStore, embedder: EmbeddingProvider,
                 weights: RankingWeights | None = None, mode: RetrievalMode = 'hybrid') -> None:
        self.store = store
        self.embedder = embedder
        self.weights = weights or RankingWeights()
        self.mode = mode

    @property
    def mode(self) -> RetrievalMode:
        """Return the retrieval mode, dense or hybrid."""
        return self._mode

    @mode.setter
    def mode(self, mode: RetrievalMode) -> None:
        if mode not in RETRIEVAL_MODES:
            raise InvalidRequestError(f'retrieval mode must be one of '
                                      f'{", ".join(RETRIEVAL_MODES)}, got {mode!r}')
        self._mode = mode

    def retrieve(self, query: RecallQuery, now: float) -> RetrievalResult:
        """Return the top-k memories for the query, ranked, at or above min_score."""
        start = time.perf_counter()
        vector = self.embedder.embed_query(query.question)
        embedded = time.perf_counter()
        candidates = self.store.search(vector, query.memory_filter(),
                                       min(MAX_CANDIDATES, query.k * OVERFETCH),
                                       text=query.question if self.mode == 'hybrid' else None)
        searched = time.perf_counter()
        place = (query.near[0], query.near[1]) if query.near is not None else None
        ranked = rank(candidates, now, place, self.weights)
        hits = [h for h in ranked if h.score >= query.min_score][:query.k]
        done = time.perf_counter()
        return RetrievalResult(hits, (embedded - start) * 1000.0, (searched - embedded) * 1000.0,
                               (done - start) * 1000.0)
