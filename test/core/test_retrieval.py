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
Ranking math, recall query rules, and the retriever over a real Edge store and MiniLM.

The ranking tests pin the documented formula term by term; the retriever tests pin what a
caller relies on: the asked thing comes first, missions stay apart, min_score applies to the
final score, and over-fetching lets recency lift a newer memory into a small k.
"""

import math

from house import WORLD
from hypothesis import given, strategies as st
from pydantic import ValidationError
import pytest

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.records import MemoryRecord, Pose, SCHEMA_VERSION
from shadowhound_memory.retrieval.ranking import rank, RankingWeights, score
from shadowhound_memory.retrieval.retriever import RecallQuery, Retriever
from shadowhound_memory.store.base import CollectionInfo, ScoredRecord
from shadowhound_memory.store.edge import EdgeStore

NOW = 1_800_000_000.0
DAY = 86400.0


def memory(text='a thing', age=0.0, xy=(0.0, 0.0), mission='m1'):
    pose = None if xy is None else Pose(x=xy[0], y=xy[1])
    return MemoryRecord(event='object_seen', text=text, pose=pose, mission_id=mission,
                        timestamp=NOW - age)


def scored(similarity, age=0.0, xy=(0.0, 0.0)):
    return ScoredRecord(memory(age=age, xy=xy), similarity)


# Ranking math -------------------------------------------------------------------------------

def test_similarity_alone_scores_the_similarity():
    only = RankingWeights(recency=0.0, distance=0.0)
    assert score(scored(0.7, age=DAY), NOW, (50.0, 50.0), only) == pytest.approx(0.7)


def test_score_is_the_weighted_mean_of_the_documented_terms():
    weights = RankingWeights()
    hit = scored(0.6, age=weights.recency_half_life_s, xy=(weights.distance_scale_m, 0.0))
    expected = (1.0 * 0.6 + 0.15 * 0.5 + 0.1 * math.exp(-1.0)) / (1.0 + 0.15 + 0.1)
    assert score(hit, NOW, (0.0, 0.0), weights) == pytest.approx(expected)


def test_recency_halves_every_half_life():
    recency = RankingWeights(similarity=0.0, recency=1.0, distance=0.0,
                             recency_half_life_s=600.0)
    ages = [0.0, 600.0, 1200.0, 1800.0]
    assert [score(scored(0.0, age=a), NOW, None, recency) for a in ages] == \
        pytest.approx([1.0, 0.5, 0.25, 0.125])


def test_recency_uses_the_last_sighting_not_the_first():
    old_but_seen_again = memory(age=DAY).model_copy(update={'last_seen': NOW})
    recency = RankingWeights(similarity=0.0, recency=1.0, distance=0.0)
    assert score(ScoredRecord(old_but_seen_again, 0.0), NOW, None, recency) == 1.0


def test_a_sighting_stamped_in_the_future_counts_as_new_not_as_a_bonus():
    recency = RankingWeights(similarity=0.0, recency=1.0, distance=0.0)
    assert score(scored(0.0, age=-100.0), NOW, None, recency) == 1.0


def test_distance_counts_only_when_a_place_is_asked_and_the_record_has_a_pose():
    weights = RankingWeights()
    without_place = (0.6 + 0.15) / 1.15
    assert score(scored(0.6, xy=(3.0, 4.0)), NOW, None, weights) == pytest.approx(without_place)
    assert score(scored(0.6, xy=None), NOW, (0.0, 0.0), weights) == pytest.approx(without_place)
    with_place = (0.6 + 0.15 + 0.1 * math.exp(-1.0)) / 1.25
    assert score(scored(0.6, xy=(3.0, 4.0)), NOW, (0.0, 0.0), weights) == \
        pytest.approx(with_place)


def test_recency_and_distance_break_ties():
    old, new = scored(0.8, age=2 * 3600.0), scored(0.8, age=10.0)
    assert rank([old, new], NOW, None)[0].record is new.record
    far, near = scored(0.8, xy=(30.0, 0.0)), scored(0.8, xy=(1.0, 0.0))
    assert rank([far, near], NOW, (0.0, 0.0))[0].record is near.record


def test_tie_breakers_never_outweigh_more_than_a_quarter_of_similarity():
    recent_nearby = scored(0.6, age=0.0, xy=(0.0, 0.0))
    better = scored(0.86, age=30 * DAY, xy=(100.0, 100.0))
    slightly_better = scored(0.8, age=30 * DAY, xy=(100.0, 100.0))
    assert rank([recent_nearby, better], NOW, (0.0, 0.0))[0].record is better.record
    assert rank([slightly_better, recent_nearby], NOW, (0.0, 0.0))[0].record is \
        recent_nearby.record


@given(similarity=st.floats(-1.0, 1.0), age=st.floats(-1e6, 1e9),
       x=st.floats(-1e6, 1e6), with_pose=st.booleans(), with_place=st.booleans(),
       w_s=st.floats(0.0, 10.0), w_r=st.floats(0.0, 10.0), w_d=st.floats(0.0, 10.0))
def test_scores_stay_within_zero_and_one(similarity, age, x, with_pose, with_place, w_s, w_r,
                                         w_d):
    weights = RankingWeights(similarity=w_s, recency=w_r, distance=w_d)
    hit = scored(similarity, age=age, xy=(x, 0.0) if with_pose else None)
    value = score(hit, NOW, (0.0, 0.0) if with_place else None, weights)
    assert 0.0 <= value <= 1.0 + 1e-12


@pytest.mark.parametrize('fields', [{'similarity': -0.1}, {'recency_half_life_s': 0.0},
                                    {'distance_scale_m': -1.0}, {'speed': 1.0}])
def test_ranking_weights_refuse_bad_or_unknown_settings(fields):
    with pytest.raises(ValidationError):
        RankingWeights(**fields)


# Recall query rules -------------------------------------------------------------------------

def test_a_reversed_time_window_is_refused():
    with pytest.raises(InvalidRequestError, match='time_from must not be after time_to'):
        RecallQuery(question='q', mission_id='m1', time_from=10.0, time_to=5.0)


def test_a_query_must_name_its_mission_or_ask_across_missions():
    with pytest.raises(InvalidRequestError, match='all_missions'):
        RecallQuery(question='where is the ball?')
    assert RecallQuery(question='q', all_missions=True).memory_filter().mission_ids is None
    assert RecallQuery(question='q', mission_id='m1').memory_filter().mission_ids == ('m1',)


@pytest.mark.parametrize('fields', [
    {'question': '   '}, {'question': 'x' * 1001}, {'k': 0}, {'k': 101}, {'min_score': 1.5},
    {'near': (0.0, 0.0, 0.0)}, {'near': (0.0, 0.0, -1.0)}, {'near': (math.nan, 0.0, 1.0)},
    {'near': (0.0, 0.0, math.inf)}, {'time_from': math.inf}, {'box': (1.0, 0.0, 0.0, 1.0)},
    {'mission_id': '../etc'}, {'tags_any': ['Bad Tag']}, {'limit': 3},
])
def test_invalid_query_fields_are_refused_with_the_field_named(fields):
    with pytest.raises(ValidationError) as caught:
        RecallQuery(**{'question': 'q', 'mission_id': 'm1', **fields})
    assert next(iter(fields)) in str(caught.value)


def test_the_question_is_stripped_and_tags_lowercased():
    query = RecallQuery(question='  where?  ', mission_id='m1', tags_any=[' Object:Ball '])
    assert query.question == 'where?' and query.tags_any == ['object:ball']


# The retriever on a real store ----------------------------------------------------------------

@pytest.fixture
def store(tmp_path, embedder):
    made = EdgeStore(tmp_path / 'store')
    made.open_collection(CollectionInfo(embedder.model_id, embedder.dimension, SCHEMA_VERSION))
    yield made
    made.close()


def put(store, embedder, records):
    store.upsert(records, embedder.embed([r.text for r in records]))
    return records


def put_world(store, embedder, mission='m1', age=0.0):
    return put(store, embedder, [memory(text, age + 10.0 * i, xy, mission)
                                 for i, (text, xy) in enumerate(WORLD)])


def test_where_did_we_see_the_red_ball_finds_it_first(store, embedder):
    put_world(store, embedder)
    result = Retriever(store, embedder).retrieve(
        RecallQuery(question='where did we see the red ball?', mission_id='m1'), NOW)
    assert result.hits[0].record.text == 'Red ball under the kitchen table.'
    assert len(result.hits) == 5
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_a_mission_query_never_returns_another_missions_memories(store, embedder):
    put_world(store, embedder, mission='a')
    put(store, embedder, [memory('Red ball in the neighbour garden.', 0.0, (50.0, 50.0), 'b')])
    retriever = Retriever(store, embedder)
    only_a = retriever.retrieve(RecallQuery(question='red ball', mission_id='a', k=100), NOW)
    assert len(only_a.hits) == len(WORLD)
    assert {h.record.mission_id for h in only_a.hits} == {'a'}
    across = retriever.retrieve(RecallQuery(question='red ball', all_missions=True, k=2), NOW)
    assert {h.record.mission_id for h in across.hits} == {'a', 'b'}


def test_min_score_applies_to_the_final_ranked_score(store, embedder):
    put_world(store, embedder)
    retriever = Retriever(store, embedder)
    everything = retriever.retrieve(RecallQuery(question='red ball', mission_id='m1', k=20), NOW)
    threshold = (everything.hits[0].score + everything.hits[1].score) / 2
    strict = retriever.retrieve(RecallQuery(question='red ball', mission_id='m1', k=20,
                                            min_score=threshold), NOW)
    assert [h.record.id for h in strict.hits] == [everything.hits[0].record.id]


def test_over_fetching_lets_recency_lift_a_newer_memory_into_a_small_k(store, embedder):
    old = memory('Red ball under the kitchen table.', age=10 * DAY)
    new = memory('A red ball lies below the table in the kitchen.', age=0.0)
    put(store, embedder, [old, new])
    put(store, embedder, [memory(text, 10 * DAY, xy) for text, xy in WORLD[1:6]])
    query = RecallQuery(question='red ball under the kitchen table', mission_id='m1', k=1)
    assert store.search(embedder.embed_query(query.question), query.memory_filter(), 1)[0] \
        .record.id == old.id
    recency_heavy = RankingWeights(recency=1.0)
    hits = Retriever(store, embedder, recency_heavy).retrieve(query, NOW).hits
    assert [h.record.id for h in hits] == [new.id]


def test_filters_and_place_reach_the_store(store, embedder):
    put_world(store, embedder)
    query = RecallQuery(question='anything here?', mission_id='m1', near=(15.0, 6.5, 1.0), k=10)
    hits = Retriever(store, embedder).retrieve(query, NOW).hits
    assert {h.record.text for h in hits} == {'Green plant in the office window.',
                                             'Silver laptop open on the office desk.'}
