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
The memory service on a real Edge store with the real model.

Batched writes, recall with filters and mission isolation, near-duplicate merging (also across
threads), retention, forgetting, agent writes, and the budgeted context recall returns.
"""

import socket
import sys
import threading

from house import WORLD
import pytest

from shadowhound_memory.domain.errors import BackendUnavailableError, InvalidRequestError
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.domain.records import MemoryRecord, Pose
from shadowhound_memory.embeddings.openai_compat import OpenAIEmbeddingProvider
from shadowhound_memory.memory.hygiene import DedupeConfig, RetentionConfig
from shadowhound_memory.memory.service import MemoryService
from shadowhound_memory.memory.writer import DeterministicWriter
from shadowhound_memory.pose.buffer import PoseEstimate
from shadowhound_memory.retrieval.context import estimate_tokens
from shadowhound_memory.retrieval.ranking import RankingWeights
from shadowhound_memory.retrieval.retriever import RecallQuery
from shadowhound_memory.store.edge import EdgeStore

NOW = 1_800_000_000.0


class CountingEmbedder:
    """Test spy: the real model, counting embed calls to pin the one-call-per-batch rule."""

    def __init__(self, real):
        self.real = real
        self.model_id, self.dimension = real.model_id, real.dimension
        self.batches = []

    def embed(self, texts):
        self.batches.append(len(texts))
        return self.real.embed(texts)

    def embed_query(self, text):
        return self.real.embed_query(text)


def known(x, y):
    return PoseEstimate(x, y, 0.0, True, '', 'map')


def make_service(path, embedder, **settings):
    return MemoryService(EdgeStore(path), embedder, writer=DeterministicWriter(),
                         dedupe=settings.pop('dedupe', DedupeConfig()),
                         retention=settings.pop('retention', RetentionConfig()),
                         weights=RankingWeights(), **settings)


@pytest.fixture
def service(tmp_path, embedder):
    made = make_service(tmp_path / 'store', embedder)
    yield made
    made.close()


def observe(service, world=WORLD, mission='m1', start=NOW - 1000.0, step=10.0):
    items = [(Observation(text=text, stamp=start + i * step, source='camera'), known(*xy),
              MissionContext(mission_id=mission)) for i, (text, xy) in enumerate(world)]
    return service.write_observations(items)


def ask(service, question, mission='m1', **fields):
    return service.recall(RecallQuery(question=question, mission_id=mission, **fields), NOW)


def test_where_did_we_see_the_red_ball_finds_it_first_among_twenty(service):
    outcomes = observe(service)
    assert all(o.created and o.error is None for o in outcomes)
    assert service.count() == len(WORLD)
    result = ask(service, 'Where did we see the red ball?')
    assert result.hits[0].record.text == 'Red ball under the kitchen table.'
    assert (result.hits[0].record.pose.x, result.hits[0].record.pose.y) == (1.0, 1.0)
    assert result.context.used_ids[0] == result.hits[0].record.id
    assert set(result.timings) == {'planning_ms', 'query_embedding_ms', 'search_ms', 'context_ms',
                                   'total_ms'}


def test_filters_apply_through_the_service(service):
    observe(service)
    garage = ask(service, 'what is there?', tags_any=['room:garage'], k=10).hits
    assert {h.record.text for h in garage} == {
        'Garage door left half open.', 'Box of screws on the garage workbench.',
        'Fire extinguisher mounted in the garage.'}
    near = ask(service, 'anything', near=(15.0, 6.5, 1.0), k=10).hits
    assert {h.record.text for h in near} == {'Green plant in the office window.',
                                             'Silver laptop open on the office desk.'}
    window = ask(service, 'anything', time_from=NOW - 1000.0, time_to=NOW - 985.0, k=10).hits
    assert {h.record.text for h in window} == {'Red ball under the kitchen table.',
                                               'Blue mug on the counter next to the sink.'}
    box = ask(service, 'anything', box=(0.0, 8.0, 2.0, 10.0), k=10).hits
    assert {h.record.text for h in box} == {'Keys on the hook by the front door.',
                                            'Umbrella leaning against the coat rack.'}


def test_missions_are_isolated_unless_a_query_asks_across_them(service):
    observe(service, mission='a')
    observe(service, [('Red ball in the neighbour garden.', (50.0, 50.0))], mission='b')
    only_a = ask(service, 'red ball', mission='a', k=100).hits
    assert len(only_a) == len(WORLD) and {h.record.mission_id for h in only_a} == {'a'}
    assert [h.record.mission_id for h in ask(service, 'red ball', mission='b').hits] == ['b']
    across = service.recall(RecallQuery(question='red ball', all_missions=True, k=2), NOW)
    assert {h.record.mission_id for h in across.hits} == {'a', 'b'}


def test_a_batch_is_embedded_once_and_bad_items_are_refused_alone(tmp_path, embedder):
    spy = CountingEmbedder(embedder)
    service = make_service(tmp_path / 's', spy)
    try:
        items = [(Observation('Red ball under the table.', NOW, 'camera'), known(1, 1),
                  MissionContext('m1')),
                 (Observation('   ', NOW, 'camera'), known(1, 1), MissionContext('m1')),
                 (Observation('Blue mug.', NOW, 'camera'), known(2, 2), MissionContext('../x')),
                 (Observation('Keys on the hook.', NOW, 'camera'), known(3, 3),
                  MissionContext('m1'))]
        spy.batches.clear()
        outcomes = service.write_observations(items)
        assert spy.batches == [2]
        assert [o.created for o in outcomes] == [True, False, False, True]
        assert outcomes[1].error and 'empty' in outcomes[1].error
        assert outcomes[2].error and 'mission_id' in outcomes[2].error
        assert outcomes[1].record is None and outcomes[2].record is None
        assert service.count() == 2
        assert service.stats() == {'written': 2, 'merged': 0, 'rejected': 2, 'stored': 2}
        spy.batches.clear()
        assert service.write_observations(items[1:3])[0].error
        assert spy.batches == []
    finally:
        service.close()


def test_the_same_thing_seen_again_nearby_merges_into_one_memory(service):
    first = observe(service, [('Red ball on the kitchen table.', (1.0, 1.0))], start=NOW - 60)
    again = observe(service, [('Red ball on the kitchen table.', (1.3, 1.1))], start=NOW - 50)
    assert again[0].merged_into == first[0].record.id and not again[0].created
    [stored] = service.store.get([first[0].record.id])
    assert stored.seen_count == 2 and stored.last_seen == NOW - 50
    assert stored.timestamp == NOW - 60 and service.count() == 1
    assert service.stats()['merged'] == 1


def test_far_away_different_or_much_later_sightings_stay_separate(service):
    observe(service, [('Red ball on the kitchen table.', (1.0, 1.0))], start=NOW - 60)
    far = observe(service, [('Red ball on the kitchen table.', (9.0, 9.0))], start=NOW - 50)
    other = observe(service, [('Blue mug on the kitchen table.', (1.0, 1.0))], start=NOW - 40)
    late = observe(service, [('Red ball on the kitchen table.', (1.0, 1.0))], start=NOW + 900)
    assert far[0].created and other[0].created and late[0].created
    assert service.count() == 4


def test_duplicates_inside_one_batch_merge_too(service):
    outcomes = observe(service, [('Keys on the hook.', (0.0, 0.0))] * 3, step=1.0)
    assert [o.created for o in outcomes] == [True, False, False]
    assert {o.record.id for o in outcomes} == {outcomes[0].record.id}
    assert all(o.record.seen_count == 3 for o in outcomes)
    assert service.count() == 1
    assert service.store.get([outcomes[0].record.id])[0].seen_count == 3


class CachedEmbedder(CountingEmbedder):
    """Test double: the real model's vectors, cached, so writers meet in the store."""

    def __init__(self, real):
        super().__init__(real)
        self.cache = {}

    def embed(self, texts):
        missing = [t for t in texts if t not in self.cache]
        self.cache.update(zip(missing, self.real.embed(missing)))
        return [list(self.cache[t]) for t in texts]


def test_concurrent_writers_of_one_sighting_leave_one_memory(tmp_path, embedder):
    cached = CachedEmbedder(embedder)
    service = make_service(tmp_path / 's', cached)
    writers, rounds = 8, 5
    observe(service, [('Red ball on the kitchen table.', (1.0, 1.0))], start=NOW)
    barrier = threading.Barrier(writers)
    errors = []

    def write(i):
        try:
            barrier.wait()
            for j in range(rounds):
                observe(service, [('Red ball on the kitchen table.', (1.0, 1.0))],
                        start=NOW + i + j)
        except Exception as exc:  # noqa: B902 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    # Switch threads often, so that writers without the lock would interleave their
    # check-then-upsert sequences.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    try:
        assert errors == []
        [only] = service.recent('m1', 10)
        assert only.seen_count == 1 + writers * rounds and service.count() == 1
        assert service.stats()['merged'] == writers * rounds
    finally:
        service.close()


def test_agent_records_are_deduplicated_like_observations(service):
    record = MemoryRecord(event='note', text='The charger is behind the sofa.',
                          pose=Pose(x=1.0, y=2.0), mission_id='m1', timestamp=NOW)
    assert service.write_record(record).created
    repeat = record.model_copy(update={'id': MemoryRecord(event='note', text='x', mission_id='m1',
                                                          timestamp=NOW).id,
                                       'timestamp': NOW + 5.0, 'last_seen': NOW + 5.0})
    outcome = service.write_record(repeat)
    assert outcome.merged_into == record.id and outcome.record.seen_count == 2


def test_agent_text_writes_are_strict_about_tags_and_events(service):
    outcome = service.write_text('The charger is behind the sofa.', 'm1', NOW, known(1.0, 2.0),
                                 tags=['Object:Charger'], event='task_update')
    assert outcome.created and outcome.record.event == 'task_update'
    assert 'object:charger' in outcome.record.tags
    assert outcome.record.pose == Pose(x=1.0, y=2.0)
    placeless = service.write_text('Battery swap is due at noon.', 'm1', NOW, None)
    assert placeless.created and placeless.record.pose is None
    with pytest.raises(InvalidRequestError, match='tags'):
        service.write_text('x1', 'm1', NOW, known(0, 0), tags=['bad tag!'])
    with pytest.raises(InvalidRequestError, match='event'):
        service.write_text('x1', 'm1', NOW, known(0, 0), event='Not An Event')
    with pytest.raises(InvalidRequestError, match='mission_id'):
        service.write_text('x1', '', NOW)
    assert service.stats()['rejected'] == 3 and service.count() == 2


def test_retention_purges_old_memories_and_quota_keeps_the_newest(tmp_path, embedder):
    service = make_service(tmp_path / 's', embedder, dedupe=DedupeConfig(enabled=False),
                           retention=RetentionConfig(max_age_s=500.0, per_mission_quota=15))
    try:
        # Seen every 30 s from NOW-700 s to NOW-130 s: the quota keeps the newest 15 (from
        # NOW-550 s), and the age limit then purges the two older than NOW-500 s.
        observe(service, start=NOW - 700.0, step=30.0)
        assert service.count() == 15
        assert service.apply_retention(NOW) == 2
        assert service.count() == 13
        assert min(r.timestamp for r in service.recent('m1', 100)) == NOW - 490.0
        assert service.apply_retention(NOW) == 0
    finally:
        service.close()


def test_forget_by_ids_mission_and_window(service):
    outcomes = observe(service)
    observe(service, [('Red ball in the neighbour garden.', (50.0, 50.0))], mission='m2')
    assert service.forget(ids=[outcomes[0].record.id]) == 1
    assert service.store.get([outcomes[0].record.id]) == []
    # The window holds the memories stamped NOW-990, -980 and -970 s.
    assert service.forget(mission_id='m1', time_from=NOW - 990.0, time_to=NOW - 970.0) == 3
    assert service.forget(ids=[outcomes[5].record.id], mission_id='m2') == 0
    assert service.forget(mission_id='m2') == 1
    assert service.count() == len(WORLD) - 4
    assert service.forget(time_to=NOW - 900.0) == 7
    assert service.count() == len(WORLD) - 11


@pytest.mark.parametrize('selector, message', [
    ({}, 'refusing to forget everything'),
    ({'ids': ['not-an-id']}, 'UUID'),
    ({'time_from': 10.0, 'time_to': 5.0}, 'time_from must not be after time_to'),
    ({'mission_id': 'no spaces allowed'}, 'mission_id'),
])
def test_forget_refuses_an_empty_or_invalid_selector(service, selector, message):
    observe(service, WORLD[:3])
    with pytest.raises(InvalidRequestError, match=message):
        service.forget(**selector)
    assert service.count() == 3


def test_recall_packs_the_context_within_the_services_token_budget(tmp_path, embedder):
    service = make_service(tmp_path / 's', embedder, token_budget=300)
    try:
        observe(service)
        result = ask(service, 'what did we see in the house?', k=10)
        assert len(result.hits) == 10
        assert 0 < result.context.tokens_used <= 300
        assert result.context.tokens_used == estimate_tokens(result.context.text)
        assert result.context.used_ids + result.context.dropped_ids == \
            [h.record.id for h in result.hits]
        assert result.context.dropped_ids
    finally:
        service.close()


def test_a_remote_embedder_is_not_called_until_there_is_something_to_embed(tmp_path):
    # A node on a cloud backend must start while the endpoint is briefly away; only the writes
    # and recalls that need it fail, with a reason.
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    remote = OpenAIEmbeddingProvider(f'http://127.0.0.1:{port}', 'text-embedding-3-small',
                                     timeout_s=1.0, dimension=384)
    service = MemoryService(EdgeStore(tmp_path / 'store'), remote)
    try:
        with pytest.raises(BackendUnavailableError):
            service.write_text('Keys on the hook.', 'm1', 1.7e9, known(0.0, 0.0))
        assert service.count() == 0
    finally:
        service.close()


def test_the_recall_decision_answers_from_retrieval_when_no_synthesizer_exists(service):
    observe(service)
    query = RecallQuery(question='where did we see the red ball?', mission_id='m1', k=3)
    plain = service.answer(query, NOW)
    asked = service.answer(query, NOW, synthesize=True)
    assert not service.can_synthesize
    # Without synthesis the answer restates the best memories and cites them; asking for
    # synthesis without a synthesizer gives the same answer and says why.
    assert plain.route == asked.route == 'none'
    assert plain.answer == asked.answer and 'Red ball' in plain.answer
    assert plain.cited_ids == asked.cited_ids == [h.record.id for h in plain.hits][:3]
    assert plain.note == '' and plain.message() == '3 memories found'
    assert 'not configured (llm_url)' in asked.note and asked.message().startswith('3 memories')
    assert plain.context_tokens > 0
