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
Planned recall, tracks and the vocabulary over a real Edge store and the real MiniLM.

A moved ball must be reported where it was seen last; explicit filters must beat planned ones;
tracks must be right after a forget and after a restart; and on the synthetic world the planner
must not lose a question the literal search answered.
"""

from datetime import datetime

import pytest

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.memory.service import MemoryService
from shadowhound_memory.memory.writer import DeterministicWriter
from shadowhound_memory.pose.buffer import PoseEstimate
from shadowhound_memory.retrieval.answer import NO_MEMORY_ANSWER
from shadowhound_memory.retrieval.planning import NoPlanner, RulePlanner
from shadowhound_memory.retrieval.retriever import RecallQuery
from shadowhound_memory.store.edge import EdgeStore
from shadowhound_memory.synthetic.world import gold_questions, make_mission

NOW = 1_800_000_000.0
MIN = 60.0

# A ball that moves from the kitchen to the office; Alice comes and goes; other things stay.
STORY = [
    (40 * MIN, 'Red ball under the kitchen table.', (1.0, 1.0), ('object:red_ball',), 'kitchen'),
    (38 * MIN, 'Blue mug on the counter.', (2.0, 1.5), (), 'kitchen'),
    (35 * MIN, 'Alice is standing by the door.', (6.0, 4.0), ('person:alice',), 'living_room'),
    (30 * MIN, 'Charger plugged in behind the sofa.', (7.0, 3.0), (), 'living_room'),
    (25 * MIN, 'Spotted a red ball next to the printer.', (7.5, 8.0), ('object:red_ball',),
     'office'),
    (20 * MIN, 'Green plant on the desk.', (6.0, 8.5), (), 'office'),
    (12 * MIN, 'Alice walking past.', (10.0, 8.0), ('person:alice',), 'bathroom'),
    (5 * MIN, 'Black backpack on the bed.', (2.0, 8.0), (), 'bedroom'),
]


def write_story(service, mission='m1', story=STORY):
    items = [(Observation(text=text, stamp=NOW - age, source='camera', tags=tags),
              PoseEstimate(xy[0], xy[1], 0.0, True, '', 'map'),
              MissionContext(mission_id=mission, room=room))
             for age, text, xy, tags, room in story]
    return [o.record for o in service.write_observations(items)]


@pytest.fixture
def service(tmp_path, embedder):
    made = MemoryService(EdgeStore(str(tmp_path / 'store')), embedder,
                         writer=DeterministicWriter())
    yield made
    made.close()


def ask(service, question, **filters):
    query = RecallQuery(question=question, mission_id=filters.pop('mission_id', 'm1'),
                        k=filters.pop('k', 5), **filters)
    return service.recall(query, NOW, robot_pose=filters.pop('pose', None))


def test_where_now_answers_the_latest_sighting_of_a_moved_thing(service):
    records = write_story(service)
    result = ask(service, 'Where is the red ball now?')
    assert result.plan is not None and result.plan.intent == 'where_now'
    assert result.hits[0].record.id == records[4].id
    track = result.tracks[0]
    assert track.tag == 'object:red_ball' and track.last.memory_id == records[4].id
    assert track.first.memory_id == records[0].id and track.rooms == ('kitchen', 'office')
    assert [s.memory_id for s in track.history] == [records[4].id, records[0].id]


def test_the_recall_decision_answers_where_now_from_the_track_with_history(service):
    records = write_story(service)
    query = RecallQuery(question='Where is the red ball now?', mission_id='m1', k=5)
    answer = service.answer(query, NOW)
    # The latest place names the answer; the earlier one is history, both cited.
    assert answer.plan is not None and answer.plan.intent == 'where_now'
    assert answer.tracks[0].tag == 'object:red_ball'
    assert answer.cited_ids == [records[4].id, records[0].id]
    assert answer.answer.index('office') < answer.answer.index('before that')
    assert answer.answer.index('before that') < answer.answer.index('kitchen')
    counted = service.answer(RecallQuery(question='How many times did we see Alice?',
                                         mission_id='m1', k=5), NOW)
    assert counted.plan.intent == 'count' and 'seen 2 times' in counted.answer
    assert counted.cited_ids == [records[6].id]


def test_when_last_answers_the_latest_sighting_of_a_person(service):
    records = write_story(service)
    result = ask(service, 'when did we last run into Alice?')
    assert result.plan.intent == 'when_last'
    assert result.hits[0].record.id == records[6].id
    assert result.tracks[0].last.time == NOW - 12 * MIN and result.tracks[0].seen_count == 2


def test_the_literal_search_ranks_by_wording_and_misses_the_move(service):
    # Why planning exists: the kitchen sighting says "red ball" just as well, and is first.
    records = write_story(service)
    service.planner = NoPlanner()
    result = ask(service, 'Where is the red ball now?')
    assert result.plan.planner == 'none' and result.tracks == []
    assert records[0].id in [h.record.id for h in result.hits[:2]]


def test_explicit_filters_win_over_planned_ones(service):
    records = write_story(service)
    # The question says "last ten minutes"; the request's window says 45 to 30 minutes ago.
    result = ask(service, 'What did we see in the last ten minutes?', time_from=NOW - 45 * MIN,
                 time_to=NOW - 30 * MIN)
    ids = {h.record.id for h in result.hits}
    assert ids and ids <= {r.id for r in records[:4]}
    planned = ask(service, 'What did we see in the last ten minutes?')
    assert {h.record.id for h in planned.hits} == {records[7].id}
    # Explicit tags replace the planned ones: the ball question filtered to Alice finds Alice.
    tagged = ask(service, 'Where is the red ball now?', tags_any=['person:alice'])
    assert {h.record.id for h in tagged.hits} == {records[2].id, records[6].id}
    # An explicit place replaces "near the charger".
    placed = ask(service, 'What did we see near the red ball?', near=(2.0, 8.0, 0.5))
    assert [h.record.id for h in placed.hits] == [records[7].id]


def test_here_is_the_robot_pose(service):
    records = write_story(service)
    query = RecallQuery(question='What is around here?', mission_id='m1', k=5)
    result = service.recall(query, NOW, robot_pose=(2.0, 8.2))
    assert result.plan.place == 'here'
    assert [h.record.id for h in result.hits] == [records[7].id]


def test_a_thing_the_store_never_saw_finds_no_memory(service):
    write_story(service)
    result = ask(service, 'Where did we see the purple umbrella?')
    assert result.plan.missing == ['object:purple_umbrella'] and result.hits == []
    assert ask(service, 'Did we meet Bob?').hits == []


def test_recency_does_not_reorder_questions_that_do_not_ask_for_it(service):
    # Two equally worded memories an hour apart: only "now" questions prefer the newer one.
    # Dense scores, so equal words score equal (a fused hybrid score also depends on rank).
    service.retriever.mode = 'dense'
    old, new = write_story(service, story=[
        (70 * MIN, 'A green mug on the shelf.', (0.0, 0.0), (), None),
        (1 * MIN, 'A green mug on the shelf.', (30.0, 30.0), (), None)])
    assert ask(service, 'Where did we see a green mug?').hits[0].score == \
        pytest.approx(ask(service, 'Where did we see a green mug?').hits[1].score)
    assert ask(service, 'Where is the green mug now?').hits[0].record.id == new.id
    assert old.id in {h.record.id for h in ask(service, 'green mug?').hits}


def test_tracks_are_right_after_a_forget_and_after_a_restart(tmp_path, embedder):
    path = str(tmp_path / 'store')
    service = MemoryService(EdgeStore(path), embedder, writer=DeterministicWriter())
    records = write_story(service)
    assert service.track('object:red_ball', 'm1').last.memory_id == records[4].id
    service.forget(ids=[records[4].id])
    track = service.track('object:red_ball', 'm1')
    assert track.last.memory_id == records[0].id and track.rooms == ('kitchen',)
    assert ask(service, 'Where is the red ball now?').hits[0].record.id == records[0].id
    service.close()
    reopened = MemoryService(EdgeStore(path), embedder, writer=DeterministicWriter())
    try:
        again = reopened.track('object:red_ball', 'm1')
        assert again.last.memory_id == records[0].id and again.memories == 1
        assert reopened.track('object:red_ball', 'other-mission') is None
        with pytest.raises(InvalidRequestError):
            reopened.track('room:kitchen', 'm1')
    finally:
        reopened.close()


def test_the_vocabulary_follows_writes_and_forgets(service):
    records = write_story(service)
    vocabulary = service.vocabulary.get(('m1',))
    assert {'object:red_ball', 'person:alice', 'room:office'} <= vocabulary.tags
    assert vocabulary.positions['object:red_ball'] == (7.5, 8.0)
    builds = service.vocabulary.builds
    write_story(service, story=[(1 * MIN, 'Yellow umbrella by the door.', (0.5, 5.0), (),
                                 'hallway')])
    assert 'object:yellow_umbrella' in service.vocabulary.get(('m1',)).tags
    assert service.vocabulary.builds == builds
    service.forget(ids=[records[4].id])
    assert service.vocabulary.get(('m1',)).positions['object:red_ball'] == (1.0, 1.0)


def test_near_a_known_thing_uses_where_it_was_last_seen(service):
    records = write_story(service)
    result = ask(service, 'What else did we see near the red ball?')
    assert result.plan.place == 'object:red_ball'
    assert records[5].id in {h.record.id for h in result.hits}
    assert records[0].id not in {h.record.id for h in result.hits}


def test_the_planner_loses_no_question_of_the_synthetic_world(tmp_path, embedder):
    """Success@k of the rule planner is at least the literal search's, for every k."""
    mission = make_mission(seed=3, mission_id='world', start_time=NOW - 600.0,
                           duration_s=600.0)
    service = MemoryService(EdgeStore(str(tmp_path / 'store')), embedder,
                            writer=DeterministicWriter())
    try:
        outcomes = service.write_observations([
            (Observation(text=o.text, stamp=mission.start_time + o.t, source=o.source,
                         tags=o.tags, confidence=o.confidence),
             PoseEstimate(*o.robot_pose, True, '', 'map'),
             MissionContext(mission_id=mission.mission_id)) for o in mission.observations])
        ids = [o.record.id for o in outcomes]
        found = {'none': {1: 0, 5: 0, 10: 0}, 'rules': {1: 0, 5: 0, 10: 0}}
        questions = gold_questions(mission)
        for question in questions:
            gold = {ids[i] for i in question.observation_indices}
            query = RecallQuery(question=question.question, mission_id='world', k=10)
            for name, planner in (('none', NoPlanner()), ('rules', RulePlanner())):
                plan = service.plan(query, NOW, planner=planner)
                got = [h.record.id for h in service.recall(query, NOW, plan=plan).hits]
                for k in found[name]:
                    found[name][k] += bool(gold & set(got[:k]))
        for k in (1, 5, 10):
            assert found['rules'][k] >= found['none'][k], (k, found)
    finally:
        service.close()


def test_locate_resolves_a_name_to_a_stored_tag(service):
    records = write_story(service)
    tag, track = service.locate('red balls', 'm1')
    assert tag == 'object:red_ball' and track.last.memory_id == records[4].id
    assert service.locate('Alice', 'm1')[0] == 'person:alice'
    assert service.locate('person:alice', None)[1].memories == 2
    assert service.locate('a purple unicorn', 'm1') == (None, None)
    with pytest.raises(InvalidRequestError):
        service.locate('', 'm1')


# Everyday wordings over the real store and embedder (phrasings invented here) ----------------

def clock(age):
    """Return the local HH:MM of NOW - age, as an operator would read it off a clock."""
    return datetime.fromtimestamp(NOW - age).strftime('%H:%M')


@pytest.mark.parametrize('question', [
    'Where is the red ball currently?', 'Which room holds the red ball now?',
    'Where would I find the red ball?', 'Where did we see the red ball for the final time?'])
def test_where_now_wordings_answer_the_latest_sighting(service, question):
    records = write_story(service)
    result = ask(service, question)
    assert result.plan.intent == 'where_now', result.plan.notes
    assert result.hits[0].record.id == records[4].id


@pytest.mark.parametrize('question', [
    'When did we see Alice for the final time?', 'When was Alice most recently around?',
    'What time did Alice last walk by?'])
def test_when_last_wordings_answer_the_latest_sighting(service, question):
    records = write_story(service)
    result = ask(service, question)
    assert result.plan.intent == 'when_last', result.plan.notes
    assert result.hits[0].record.id == records[6].id


def test_a_later_report_without_the_tag_is_still_the_latest_sighting(service):
    story = STORY + [(2 * MIN, 'The red ball rolled into the bedroom, under the bed.',
                      (2.5, 8.5), (), 'bedroom'),
                     (1 * MIN, 'Alice waved from the hallway.', (4.0, 4.0), (), 'hallway')]
    records = write_story(service, story=story)
    assert not any(t.startswith('person:') for t in records[9].tags)
    assert ask(service, 'Where is the red ball right now?').hits[0].record.id == records[8].id
    assert ask(service, 'When did we last see Alice?').hits[0].record.id == records[9].id
    # A report naming another ball is not a sighting of this one.
    service.write_observations([(Observation(text='A blue ball by the sofa.', stamp=NOW - 30.0,
                                             source='camera'),
                                 PoseEstimate(7.0, 3.5, 0.0, True, '', 'map'),
                                 MissionContext(mission_id='m1', room='living_room'))])
    assert ask(service, 'Where is the red ball right now?').hits[0].record.id == records[8].id


@pytest.mark.parametrize('question', [
    'Where is the teal ball?', 'Where did you last see the lilac backpack?',
    'What did the robot find in the pantry?', 'Was anything seen in the server room?',
    'Did we run into a maroon kettle at any point?'])
def test_a_colour_or_room_the_store_never_had_answers_no_such_memory(service, question):
    write_story(service)
    result = ask(service, question)
    assert result.plan.missing and result.hits == [], result.plan.notes
    answer = service.answer(RecallQuery(question=question, mission_id='m1', k=5), NOW)
    # The refusal may name what is missing after the fixed sentence.
    assert answer.answer.startswith(NO_MEMORY_ANSWER) and answer.cited_ids == []


def test_an_unvisited_room_of_a_known_name_is_missing_too(service):
    write_story(service)
    # The garage is a room word the store's missions never had a memory in.
    result = ask(service, 'List everything you noticed in the garage')
    assert result.plan.missing == ['room:garage'] and result.hits == []


def test_clock_times_filter_the_window(service):
    records = write_story(service)
    before = ask(service, f'What did the robot see before {clock(36 * MIN)}?', k=10)
    assert {h.record.id for h in before.hits} == {r.id for r in records[:2]}
    between = ask(service, f'What was seen between {clock(31 * MIN)} and {clock(19 * MIN)}?',
                  k=10)
    assert {h.record.id for h in between.hits} == {r.id for r in records[3:6]}
    after = ask(service, f'Anything noticed after {clock(10 * MIN)}?', k=10)
    assert [h.record.id for h in after.hits] == [records[7].id]


def test_the_opening_and_closing_minutes_of_the_mission(service):
    records = write_story(service)
    opening = ask(service, 'What did we see in the first six minutes of the patrol?', k=10)
    assert {h.record.id for h in opening.hits} == {r.id for r in records[:3]}
    closing = ask(service, 'What turned up in the final ten minutes?', k=10)
    assert {h.record.id for h in closing.hits} == {records[6].id, records[7].id}
