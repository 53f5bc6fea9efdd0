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
The memory service: the one facade the node, the demo and the benchmarks call.

It writes (deterministic writer -> embedding -> duplicate check -> store), recalls (retriever ->
context builder) and forgets, and holds the rules that span those parts: writes are serialized so
that a duplicate check and its upsert cannot interleave with another write, missions stay
isolated unless a query asks across them, and nothing is forgotten without a selector.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
import math
import re
import threading
import time
import uuid

import numpy as np
from pydantic import ValidationError

from shadowhound_memory.domain.errors import (BackendUnavailableError, InvalidRequestError,
                                              MemoryPackageError)
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.domain.records import (format_validation_error, MAX_TAGS, MemoryRecord,
                                               MISSION_PATTERN, SCHEMA_VERSION, TAG_PATTERN)
from shadowhound_memory.embeddings.base import EmbeddingProvider
from shadowhound_memory.memory.anonymize import Anonymizer
from shadowhound_memory.memory.hygiene import (could_be_duplicate, DedupeConfig, enforce_quota,
                                               find_duplicate, is_duplicate, merged,
                                               purge_expired, RetentionConfig)
from shadowhound_memory.memory.recall import (AnswerSynthesizer, NO_SYNTHESIZER_NOTE,
                                              RecallAnswer)
from shadowhound_memory.memory.writer import DeterministicWriter, RecordWriter, WrittenRecord
from shadowhound_memory.pose.buffer import PoseEstimate, UNCERTAIN_POSE_TAG
from shadowhound_memory.retrieval.answer import planned_answer, retrieval_only_answer
from shadowhound_memory.retrieval.context import (
    ContextBuilder, RagContext, TokenCache, TokenCounter)
from shadowhound_memory.retrieval.planning import (NoPlanner, QueryPlan, QueryPlanner, RulePlanner,
                                                   Vocabulary)
from shadowhound_memory.retrieval.ranking import RankingWeights
from shadowhound_memory.retrieval.retriever import planned_filter, RecallQuery, Retriever
from shadowhound_memory.retrieval.tracks import find_track, Track, VocabularyCache
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter, MemoryStore, ScoredRecord
from shadowhound_memory.store.sparse import RetrievalMode

_MISSION_RE = re.compile(MISSION_PATTERN)
_TAG_RE = re.compile(TAG_PATTERN)


def embedding_text(record: MemoryRecord) -> str:
    """
    Return what is embedded for a record: its text, and the room it was seen in.

    Perception rarely names the room in its wording, while agents ask "what was in the kitchen?";
    embedding the room tag with the text lets the question find those memories.
    """
    rooms = [t.split(':', 1)[1].replace('_', ' ') for t in record.tags if t.startswith('room:')]
    return f"{record.text} (in the {', '.join(rooms)})" if rooms else record.text


def with_pose_quality(record: MemoryRecord, pose: PoseEstimate | None) -> MemoryRecord:
    """
    Tag a record whose pose the pose source was unsure of (covariance above the bounds).

    Added after the writer, whichever writer it was, so that an LLM cannot drop or invent it; it
    goes first, so a record already holding MAX_TAGS tags loses its last tag rather than this one.
    """
    if pose is None or not pose.known or not pose.uncertain or \
            UNCERTAIN_POSE_TAG in record.tags:
        return record
    tags = [UNCERTAIN_POSE_TAG, *record.tags][:MAX_TAGS]
    return MemoryRecord.model_validate({**record.model_dump(), 'tags': tags})


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norms = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb) / norms if norms > 0 else 0.0


@dataclass
class WriteOutcome:
    """What happened to one write: stored, merged into an existing record, or refused."""

    record: MemoryRecord | None
    merged_into: str | None = None
    created: bool = False
    error: str | None = None
    # How the writer made it when that is worth telling (e.g. the LLM fell back).
    note: str = ''


@dataclass
class RecallResult:
    """
    Ranked memories, the context built from them, the plan, the tracks and the timings.

    ``timings`` holds planning_ms, query_embedding_ms, search_ms (search and ranking),
    context_ms and total_ms. ``tracks`` holds the sightings of the things the plan names when
    its intent is about them (where, where now, when, when last, count).
    """

    hits: list[ScoredRecord] = field(default_factory=list)
    context: RagContext = field(default_factory=RagContext)
    timings: dict[str, float] = field(default_factory=dict)
    plan: QueryPlan | None = None
    tracks: list[Track] = field(default_factory=list)


class MemoryService:
    """Writes, recalls and forgets memories over one store and one embedding model."""

    def __init__(self, store: MemoryStore, embedder: EmbeddingProvider,
                 writer: RecordWriter | None = None, dedupe: DedupeConfig | None = None,
                 retention: RetentionConfig | None = None,
                 weights: RankingWeights | None = None, token_budget: int = 1024,
                 count_tokens: TokenCounter | None = None, anonymize: bool = False,
                 retrieval_mode: RetrievalMode = 'hybrid',
                 planner: QueryPlanner | None = None,
                 synthesizer: AnswerSynthesizer | None = None) -> None:
        """
        Open the store's collection for the embedder's vectors.

        ``retrieval_mode`` is hybrid (dense and BM25 fused) or dense. ``planner`` turns
        questions into query plans; the deterministic RulePlanner unless given (a NoPlanner
        searches the literal question as before plans existed).
        """
        if token_budget < 0:
            raise InvalidRequestError(f'token_budget must be >= 0, got {token_budget}')
        self.store = store
        self.embedder = embedder
        self.writer = writer or DeterministicWriter()
        self.dedupe = dedupe or DedupeConfig()
        self.retention = retention or RetentionConfig()
        self.retriever = Retriever(store, embedder, weights, retrieval_mode)
        self.planner: QueryPlanner = planner if planner is not None else RulePlanner()
        self.vocabulary = VocabularyCache(store)
        self.token_budget = token_budget
        self.count_tokens = count_tokens
        # Block token counts survive across recalls: the same memories come back often.
        self.token_cache = TokenCache(count_tokens)
        # Redaction happens before the writer, the embedding and the store see anything.
        self.anonymize = anonymize
        self.anonymizer = Anonymizer()
        # Writes answers from retrieved memories when a recall asks for it (the LLM layer's).
        self.synthesizer = synthesizer
        self._write_lock = threading.Lock()
        # Quota evictions since the last rewrite of the store: hidden, but still on disk until
        # the next retention run or forget purges them.
        self._unpurged = 0
        self._stats_lock = threading.Lock()
        self.written = 0
        self.merged = 0
        self.rejected = 0
        store.open_collection(CollectionInfo(embedder.model_id, embedder.dimension,
                                             SCHEMA_VERSION))

    @property
    def weights(self) -> RankingWeights:
        """Return the ranking weights recall uses."""
        return self.retriever.weights

    @weights.setter
    def weights(self, weights: RankingWeights) -> None:
        self.retriever.weights = weights

    @property
    def retrieval_mode(self) -> RetrievalMode:
        """Return how recall searches: dense or hybrid."""
        return self.retriever.mode

    @retrieval_mode.setter
    def retrieval_mode(self, mode: RetrievalMode) -> None:
        self.retriever.mode = mode

    # Writing ----------------------------------------------------------------------------------

    def write_observations(self, items: Sequence[tuple[Observation, PoseEstimate,
                                                       MissionContext]]) -> list[WriteOutcome]:
        """Write a batch: one embedding call, one upsert; bad items are refused, not fatal."""
        outcomes: list[WriteOutcome] = []
        records = []
        if self.anonymize:
            items = [(self.anonymizer.observation(o), p, c) for o, p, c in items]
        for written, (_, pose, _) in zip(self.writer.write_many(items), items):
            if isinstance(written, InvalidRequestError):
                outcomes.append(WriteOutcome(None, error=str(written)))
                continue
            record = with_pose_quality(written.record, pose)
            outcomes.append(WriteOutcome(record, note=written.note))
            records.append(record)
        # Nothing to embed when every item was refused: skip the model (or the network) call.
        vectors = self.embedder.embed([embedding_text(r) for r in records]) if records else []
        stored = iter(self._store(records, vectors))
        result = []
        for outcome in outcomes:
            if outcome.error is None:
                done = next(stored)
                done.note = outcome.note
                outcome = done
            result.append(outcome)
        with self._stats_lock:
            self.rejected += sum(1 for o in result if o.error)
        return result

    def write_record(self, record: MemoryRecord) -> WriteOutcome:
        """Write a whole record (an agent's JSON), with duplicate merging."""
        if self.anonymize:
            record = self.anonymizer.record(record)
        return self._store([record], self.embedder.embed([embedding_text(record)]))[0]

    def write_text(self, text: str, mission_id: str, stamp: float,
                   pose: PoseEstimate | None = None, tags: Sequence[str] = (),
                   event: str | None = None, source: str = 'agent') -> WriteOutcome:
        """
        Write free text the agent was told to remember; raise InvalidRequestError if invalid.

        A pose of None stores the memory without a place.
        """
        try:
            written = self._text_record(text, mission_id, stamp, pose, tags, event, source)
        except InvalidRequestError:
            with self._stats_lock:
                self.rejected += 1
            raise
        outcome = self.write_record(written.record)
        outcome.note = written.note
        return outcome

    def _text_record(self, text: str, mission_id: str, stamp: float, pose: PoseEstimate | None,
                     tags: Sequence[str], event: str | None, source: str) -> WrittenRecord:
        # Agent tags are taken as given: only case and spaces are normalized, so a tag is never
        # silently changed into another one.
        bad = [t for t in tags if not _TAG_RE.match('_'.join(t.strip().lower().split()))]
        if bad:
            raise InvalidRequestError(f'invalid tags {bad}: tags look like kind:value with '
                                      'lowercase letters, digits, _ . - (e.g. object:red_ball)')
        if not _MISSION_RE.match(mission_id):
            raise InvalidRequestError(f'mission_id {mission_id!r} must match {MISSION_PATTERN}')
        if pose is None:
            pose = PoseEstimate(0.0, 0.0, 0.0, False, 'no pose given', 'map')
        written = self.writer.write_noted(Observation(text=text, stamp=stamp, source=source,
                                                      tags=tuple(tags)), pose,
                                          MissionContext(mission_id=mission_id))
        written.record = with_pose_quality(written.record, pose)
        if not event:
            return written
        try:
            written.record = MemoryRecord.model_validate({**written.record.model_dump(),
                                                          'event': event})
            return written
        except ValidationError as exc:
            raise InvalidRequestError('; '.join(format_validation_error(exc))) from exc

    def _store(self, records: Sequence[MemoryRecord],
               vectors: Sequence[Sequence[float]]) -> list[WriteOutcome]:
        outcomes: list[WriteOutcome] = []
        with self._write_lock:
            pending: dict[str, tuple[MemoryRecord, Sequence[float]]] = {}
            for record, vector in zip(records, vectors):
                target = self._duplicate_in_batch(pending, record, vector)
                if target is None:
                    target = self._stored_duplicate(record, vector)
                if target is None:
                    pending[record.id] = (record, vector)
                    outcomes.append(WriteOutcome(record, created=True))
                    continue
                combined = merged(target, record)
                if target.id in pending:
                    kept_vector = pending[target.id][1]
                else:
                    kept_vector = self.store.get_vectors([target.id]).get(target.id, vector)
                pending[target.id] = (combined, kept_vector)
                outcomes.append(WriteOutcome(combined, merged_into=target.id))
            if pending:
                batch = list(pending.values())
                self.store.upsert([r for r, _ in batch], [v for _, v in batch])
                self.vocabulary.observe(r for r, _ in batch)
                for mission in {r.mission_id for r, _ in batch}:
                    evicted = enforce_quota(self.store, mission, self.retention)
                    self._unpurged += evicted
                    if evicted:
                        self.vocabulary.invalidate()
            # A record merged later in the batch is reported in its final state.
            final = {r.id: r for r, _ in pending.values()}
            for outcome in outcomes:
                if outcome.record is not None and outcome.record.id in final:
                    outcome.record = final[outcome.record.id]
        with self._stats_lock:
            self.written += sum(1 for o in outcomes if o.created)
            self.merged += sum(1 for o in outcomes if o.merged_into)
        return outcomes

    def _stored_duplicate(self, record: MemoryRecord,
                          vector: Sequence[float]) -> MemoryRecord | None:
        try:
            return find_duplicate(self.store, record, vector, self.dedupe)
        except BackendUnavailableError:
            # The server is away: storing (into its outbox) beats merging; a duplicate costs
            # a second record, a refused write costs the memory.
            return None

    def _duplicate_in_batch(self, pending: dict[str, tuple[MemoryRecord, Sequence[float]]],
                            record: MemoryRecord,
                            vector: Sequence[float]) -> MemoryRecord | None:
        # The cheap rules first: a batch of n records would otherwise cost n^2 vector products
        # (measured: 2 ms per record at 64 per batch, more than the embedding itself).
        for other, other_vector in pending.values():
            if could_be_duplicate(other, record, self.dedupe) and \
                    is_duplicate(other, record, _cosine(vector, other_vector), self.dedupe):
                return other
        return None

    # Recall and forget ------------------------------------------------------------------------

    def plan(self, query: RecallQuery, now: float,
             robot_pose: tuple[float, float] | None = None,
             planner: QueryPlanner | None = None) -> QueryPlan:
        """Return the plan of a query's question over its missions' vocabulary."""
        chosen = planner or self.planner
        if isinstance(chosen, NoPlanner):
            return chosen.plan(query.question, now, Vocabulary(), robot_pose)
        vocabulary = self.vocabulary.get(None if query.all_missions else (str(query.mission_id),))
        return chosen.plan(query.question, now, vocabulary, robot_pose)

    def recall(self, query: RecallQuery, now: float,
               robot_pose: tuple[float, float] | None = None,
               plan: QueryPlan | None = None) -> RecallResult:
        """
        Plan, retrieve, rank and pack the context for a query.

        ``robot_pose`` (map x, y) is where "here" is; ``plan`` replaces the service's planner
        (an evaluation comparing planners gives its own).
        """
        start = time.perf_counter()
        if plan is None:
            plan = self.plan(query, now, robot_pose)
        planned = time.perf_counter()
        retrieval = self.retriever.retrieve(query, now, plan)
        tracks = self.tracks_for(query, plan)
        built = time.perf_counter()
        context = ContextBuilder(self.token_budget, self.token_cache.count_tokens,
                                 self.token_cache).build(retrieval.hits)
        context_ms = (time.perf_counter() - built) * 1000.0
        return RecallResult(retrieval.hits, context, {
            'planning_ms': (planned - start) * 1000.0,
            'query_embedding_ms': retrieval.query_embedding_ms,
            'search_ms': retrieval.search_ms, 'context_ms': context_ms,
            'total_ms': (time.perf_counter() - start) * 1000.0}, plan, tracks)

    def tracks_for(self, query: RecallQuery, plan: QueryPlan) -> list[Track]:
        """Return the tracks of the things a plan asks where, when or how often about."""
        if plan.intent not in ('where', 'where_now', 'when', 'when_last', 'count'):
            return []
        flt = planned_filter(query, plan)
        tags = [t for t in (query.tags_any or plan.tags_any)
                if t.startswith(('object:', 'person:'))]
        found = [find_track(self.store, tag, flt.mission_ids, flt.time_from, flt.time_to)
                 for tag in tags[:3]]
        return sorted((t for t in found if t is not None), key=lambda t: t.last.time,
                      reverse=True)

    def track(self, tag: str, mission_id: str | None, history: int = 10) -> Track | None:
        """Return the track of one object:/person: tag in a mission (None: every mission)."""
        if not _TAG_RE.match(tag) or not tag.startswith(('object:', 'person:')):
            raise InvalidRequestError(f'{tag!r} is not an object or person tag (e.g. '
                                      'object:red_ball, person:alice)')
        if mission_id is not None and not _MISSION_RE.match(mission_id):
            raise InvalidRequestError(f'mission_id {mission_id!r} must match {MISSION_PATTERN}')
        if not 1 <= history <= 100:
            raise InvalidRequestError(f'history must be 1..100 sightings, got {history}')
        return find_track(self.store, tag, None if mission_id is None else (mission_id,),
                          history=history)

    def locate(self, name: str, mission_id: str | None,
               history: int = 10) -> tuple[str | None, Track | None]:
        """
        Return the tag a name resolves to and its track; (None, None) when none matches.

        ``name`` is a tag (object:red_ball) or words naming one ("red ball", "Alice"), matched
        against the tags the mission's memories carry, as the rule planner matches them.
        """
        words = ' '.join(name.split())
        if not 0 < len(words) <= 200:
            raise InvalidRequestError('name must be 1-200 characters: a tag such as '
                                      'object:red_ball or words such as "red ball"')
        if mission_id is not None and not _MISSION_RE.match(mission_id):
            raise InvalidRequestError(f'mission_id {mission_id!r} must match {MISSION_PATTERN}')
        tag = words.lower()
        if not (_TAG_RE.match(tag) and tag.startswith(('object:', 'person:'))):
            vocabulary = self.vocabulary.get(None if mission_id is None else (mission_id,))
            found = RulePlanner().plan(words, time.time(), vocabulary).entity_tags()
            if not found:
                return None, None
            tag = found[0]
        return tag, self.track(tag, mission_id, history)

    @property
    def can_synthesize(self) -> bool:
        """Return whether a recall asking for synthesis reaches a synthesizer (may block)."""
        return self.synthesizer is not None

    def answer(self, query: RecallQuery, now: float, synthesize: bool = False,
               robot_pose: tuple[float, float] | None = None) -> RecallAnswer:
        """
        Recall, then answer: synthesized when asked and a synthesizer exists, else from the plan.

        The one recall decision every caller shares. Without synthesis a plan about a thing
        (where now, when last, how many) is answered from its track, anything else from
        retrieval alone; a request for synthesis without a synthesizer gets that answer and a
        note saying why. ``robot_pose`` (map x, y) is where "here" is.
        """
        result = self.recall(query, now, robot_pose)
        tokens = result.context.tokens_used
        if synthesize and self.synthesizer is not None:
            synthesis = self.synthesizer.answer(query.question, result.hits, now)
            return RecallAnswer(result.hits, synthesis.answer, synthesis.cited_ids,
                                synthesis.context_tokens or tokens, synthesis.route,
                                synthesis.note, result.timings, result.plan, result.tracks)
        text, cited = planned_answer(result.plan, result.tracks, result.hits, now) \
            if result.plan is not None else retrieval_only_answer(result.hits, now)
        return RecallAnswer(result.hits, text, cited, tokens,
                            note=NO_SYNTHESIZER_NOTE if synthesize else '',
                            timings=result.timings, plan=result.plan, tracks=result.tracks)

    def forget(self, ids: Sequence[str] = (), mission_id: str | None = None,
               time_from: float | None = None, time_to: float | None = None) -> int:
        """Delete by ids, mission and/or time window (all given must match); return how many."""
        if not ids and mission_id is None and time_from is None and time_to is None:
            raise InvalidRequestError('refusing to forget everything: give ids, a mission or '
                                      'a time window')
        for bound in (time_from, time_to):
            if bound is not None and not math.isfinite(bound):
                raise InvalidRequestError('time window bounds must be finite numbers')
        if time_from is not None and time_to is not None and time_from > time_to:
            raise InvalidRequestError('time_from must not be after time_to')
        if mission_id is not None and not _MISSION_RE.match(mission_id):
            raise InvalidRequestError(f'mission_id {mission_id!r} must match {MISSION_PATTERN}')
        for value in ids:
            try:
                uuid.UUID(value)
            except ValueError:
                raise InvalidRequestError(f'{value!r} is not a memory id (a UUID)') from None
        flt = MemoryFilter(mission_ids=None if mission_id is None else (mission_id,),
                           time_from=time_from, time_to=time_to)
        with self._write_lock:
            if not ids:
                deleted = self.store.delete(flt)
            else:
                chosen = [r.id for r in self.store.get(ids)
                          if (mission_id is None or r.mission_id == mission_id)
                          and (time_from is None or r.timestamp >= time_from)
                          and (time_to is None or r.timestamp <= time_to)]
                deleted = self.store.delete_ids(chosen)
            if deleted or self._unpurged:
                # A forgotten memory must leave the disk, not only the search results.
                self.store.purge_deleted()
                self._unpurged = 0
            if deleted:
                self.vocabulary.invalidate()
            return deleted

    def apply_retention(self, now: float) -> int:
        """
        Delete memories older than the retention age; return how many.

        Then, when anything was deleted since the store was last rewritten (these, or memories a
        mission quota evicted on write), the store is rewritten so their bytes leave the disk
        too: retention is data minimization, and a hidden memory is still readable there. The
        rewrite happens here, once per retention run, rather than on each evicting write.
        """
        with self._write_lock:
            expired = purge_expired(self.store, now, self.retention)
            if expired or self._unpurged:
                self.store.purge_deleted()
                self._unpurged = 0
            if expired:
                self.vocabulary.invalidate()
            return expired

    # Introspection ----------------------------------------------------------------------------

    def recent(self, mission_id: str, limit: int) -> list[MemoryRecord]:
        """Return a mission's newest memories, oldest of them first."""
        if limit <= 0:
            return []
        records = self.store.scroll(MemoryFilter(mission_ids=(mission_id,)), limit,
                                    newest_first=True)
        return list(reversed(records))

    def count(self) -> int:
        """Return how many memories are stored."""
        return self.store.count()

    def health(self) -> dict[str, str]:
        """Return the store's health facts."""
        return self.store.health()

    def stats(self) -> dict[str, int]:
        """Return write counters and the store size."""
        with self._stats_lock:
            counts = {'written': self.written, 'merged': self.merged, 'rejected': self.rejected}
        try:
            counts['stored'] = self.count()
        except MemoryPackageError:
            counts['stored'] = -1
        return counts

    def close(self) -> None:
        """Close the store once the write in progress (if any) has finished."""
        with self._write_lock:
            self.store.close()
