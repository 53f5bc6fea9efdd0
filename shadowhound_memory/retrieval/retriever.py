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

from dataclasses import dataclass, field, replace
import math
import re
import time

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.records import (MAX_COORDINATE_M, MAX_TAGS, MISSION_PATTERN,
                                               TAG_PATTERN)
from shadowhound_memory.embeddings.base import EmbeddingProvider
from shadowhound_memory.retrieval.planning import QueryPlan
from shadowhound_memory.retrieval.ranking import rank, RankingWeights
from shadowhound_memory.store.base import MemoryFilter, MemoryStore, ScoredRecord
from shadowhound_memory.store.sparse import RETRIEVAL_MODES, RetrievalMode

MAX_QUESTION_CHARS = 1000
# Candidates fetched per requested hit, so recency and distance can lift a slightly less similar
# memory into the top k; capped so a large k cannot make one recall scan half the store.
OVERFETCH = 4
MAX_CANDIDATES = 200
# Added to the ranking score of a memory carrying a tag the plan names (then rescaled to [0, 1]):
# worth about the cosine gap between "a red ball" and "a red mug", so the tagged sighting wins a
# near tie while an untagged memory that says the same thing still ranks.
TAG_BONUS = 0.1
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

    def retrieve(self, query: RecallQuery, now: float,
                 plan: QueryPlan | None = None) -> RetrievalResult:
        """
        Return the top-k memories for the query, ranked, at or above min_score.

        With a plan, its search texts are embedded (and, hybrid, matched by BM25), its time
        window and place filter the search where the query gives none (explicit filters always
        win), its tags lift the memories carrying them, recency counts only when the plan asks
        for it, and for "where now" and "when last" the latest sightings of the thing come
        first.
        """
        if plan is None or plan.planner == 'none':
            return self._retrieve_literal(query, now)
        start = time.perf_counter()
        vectors = self.embedder.embed(plan.search_texts)
        embedded = time.perf_counter()
        flt = planned_filter(query, plan)
        limit = min(MAX_CANDIDATES, query.k * OVERFETCH)
        similarity: dict[str, ScoredRecord] = {}

        def keep(hits: list[ScoredRecord]) -> None:
            for hit in hits:
                known = similarity.get(hit.record.id)
                if known is None or hit.score > known.score:
                    similarity[hit.record.id] = hit

        hybrid = self.mode == 'hybrid'
        for text, vector in zip(plan.search_texts, vectors):
            keep(self.store.search(vector, flt, limit, text=text if hybrid else None))
        boosted = [] if query.tags_any or query.tags_all else plan.tags_any
        if boosted:
            keep(self.store.search(vectors[0], replace(flt, tags_any=tuple(boosted)), limit,
                                   text=plan.search_texts[0] if hybrid else None))
        latest: list[ScoredRecord] = []
        entities = [t for t in (query.tags_any or boosted) if t.startswith(('object:', 'person:'))]
        if plan.intent in ('where_now', 'when_last') and entities:
            latest = self._latest(entities, flt, query.k, vectors[0], similarity)
        weights = self.weights if plan.wants_recency else \
            self.weights.model_copy(update={'recency': 0.0})
        place = (flt.near[0], flt.near[1]) if flt.near is not None else None
        ranked = rank(list(similarity.values()), now, place, weights)
        if boosted:
            wanted = set(boosted)
            ranked = sorted((ScoredRecord(h.record, (h.score + TAG_BONUS * bool(
                wanted.intersection(h.record.tags))) / (1.0 + TAG_BONUS)) for h in ranked),
                key=lambda h: h.score, reverse=True)
        first = {h.record.id for h in latest}
        ordered = latest + [h for h in ranked if h.record.id not in first]
        if plan.missing and not plan.entity_tags():
            # The question names only things the store never tagged: a memory must at least
            # say their names, or there is no memory of them.
            ordered = [h for h in ordered if _mentions(h.record.text, plan.missing)]
        hits = [h for h in ordered if h.score >= query.min_score][:query.k]
        searched = time.perf_counter()
        return RetrievalResult(hits, (embedded - start) * 1000.0,
                               (searched - embedded) * 1000.0, (searched - start) * 1000.0)

    def _latest(self, tags: list[str], flt: MemoryFilter, k: int, vector: list[float],
                similarity: dict[str, ScoredRecord]) -> list[ScoredRecord]:
        """Return the latest sightings of the tagged things, newest first, with their scores."""
        records = self.store.scroll(replace(flt, tags_any=tuple(tags)), k * OVERFETCH,
                                    newest_first=True)
        # A later report may name the thing without carrying its tag ("the red ball is on the
        # shelf now", written without tags): it is a sighting too, found by the thing's words
        # among the memories newer than the latest tagged one and among the search's hits.
        named = _phrases(tags)
        newest = max((r.timestamp for r in records), default=None)
        since = newest if flt.time_from is None or newest is None else max(newest, flt.time_from)
        later = self.store.scroll(replace(flt, time_from=since), k * OVERFETCH,
                                  newest_first=True)
        seen = {r.id for r in records}
        for record in later + [h.record for h in similarity.values()]:
            if record.id not in seen and named.search(record.text.lower()):
                seen.add(record.id)
                records.append(record)
        records.sort(key=lambda r: (r.last_seen or r.timestamp), reverse=True)
        records = records[:k]
        unknown = [r.id for r in records if r.id not in similarity]
        stored = self.store.get_vectors(unknown) if unknown else {}
        out = []
        for record in records:
            known = similarity.get(record.id)
            cosine = known.score if known is not None else _dot(vector, stored.get(record.id))
            # Ranked first by time, scored by the similarity they have, so min_score still
            # means what it says.
            out.append(ScoredRecord(record, min(1.0, max(0.0, cosine))))
        return out

    def _retrieve_literal(self, query: RecallQuery, now: float) -> RetrievalResult:
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


def planned_filter(query: RecallQuery, plan: QueryPlan) -> MemoryFilter:
    """
    Return the store filter of a query completed by its plan; what the query gives wins.

    The plan's time window and circle are hard filters (the question said them); its tags are
    not, since memories whose wording names a thing do not all carry its tag: they lift the
    ranking instead.
    """
    flt = query.memory_filter()
    if query.time_from is None and query.time_to is None:
        flt = replace(flt, time_from=plan.since, time_to=plan.until)
    if query.near is None and query.box is None and plan.near is not None:
        flt = replace(flt, near=(plan.near.x, plan.near.y, plan.near.radius))
    if not query.tags_any and not query.tags_all and plan.tags_all:
        flt = replace(flt, tags_all=tuple(plan.tags_all))
    return flt


def _dot(a: list[float], b: list[float] | None) -> float:
    return 0.0 if b is None else float(sum(x * y for x, y in zip(a, b)))


def _phrases(tags: list[str]) -> re.Pattern[str]:
    """Return a pattern matching the words of any of these tags, adjacent, singular or plural."""
    phrases = [r'[\s_-]+'.join(re.escape(w) for w in tag.partition(':')[2].split('_'))
               for tag in tags]
    return re.compile(r'\b(?:' + '|'.join(phrases) + r")(?:e?s|'s)?\b")


def _mentions(text: str, tags: list[str]) -> bool:
    lowered = text.lower()
    return any(all(re.search(r'\b' + re.escape(word), lowered)
                   for word in tag.partition(':')[2].split('_')) for tag in tags)
