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
The rule planner: intents, tags from the vocabulary, time windows, places, search texts.

The phrasings are deliberately not the synthetic world's templates: the evaluation asks in
wordings this repository never uses, so the rules are held to many ways of saying one thing.
"""

from datetime import datetime

from hypothesis import given, settings, strategies as st
from pydantic import ValidationError
import pytest

from shadowhound_memory.agent.tools import validate
from shadowhound_memory.retrieval.planning import (draft_from_plan, NoPlanner, plan_from_draft,
                                                   plan_json_schema, QueryPlan, RulePlanner,
                                                   Vocabulary)

# 2026-03-02 15:30 local time: afternoon, so "this morning" lies wholly before now.
NOW = datetime(2026, 3, 2, 15, 30).timestamp()
START = NOW - 3600.0
VOCABULARY = Vocabulary(
    tags=frozenset({'object:red_ball', 'object:blue_ball', 'object:green_mug', 'object:charger',
                    'object:silver_keys', 'object:black_backpack', 'person:alice',
                    'person:unknown', 'room:kitchen', 'room:living_room', 'room:office',
                    'room:hallway', 'source:camera'}),
    positions={'object:charger': (3.0, 4.0), 'object:red_ball': (1.0, 1.0)},
    first_seen={'room:kitchen': START + 1200.0, 'room:office': START + 300.0},
    start=START, end=NOW - 10.0)
PLANNER = RulePlanner()


def plan(question, pose=(5.0, 5.0)):
    return PLANNER.plan(question, NOW, VOCABULARY, pose)


@pytest.mark.parametrize('question, intent', [
    ('Where is the red ball now?', 'where_now'),
    ("Where's the charger?", 'where_now'),
    ('Where can I find my keys?', 'where_now'),
    ('where did you last spot the green mug', 'where_now'),
    ('Any idea where the backpack ended up most recently?', 'where_now'),
    ('Where did we see the red ball?', 'where'),
    ('Which room had the blue ball in it?', 'where'),
    ('When did we last see Alice?', 'when_last'),
    ('What was the last time you noticed the charger?', 'when_last'),
    ('How long ago did we pass the charger?', 'when_last'),
    ('When was the green mug spotted?', 'when'),
    ('At what time did the robot see a backpack?', 'when'),
    ('How many times did we see the blue ball?', 'count'),
    ('How often was Alice around?', 'count'),
    ('Count the mugs you saw.', 'count'),
    ('Did we see a red ball?', 'yes_no'),
    ('Was Alice in the office?', 'yes_no'),
    ('Have you come across any keys?', 'yes_no'),
    ('What was in the kitchen?', 'list'),
    ('List everything in the living room', 'list'),
    ('Who did we run into?', 'list'),
    ('Tell me about the silver keys', 'describe'),
    ('Describe the charger.', 'describe'),
])
def test_the_intent_is_read_from_the_wording(question, intent):
    assert plan(question).intent == intent


@pytest.mark.parametrize('question, tags', [
    ('Where is the red ball now?', ['object:red_ball']),
    ('where are the red balls', ['object:red_ball']),
    ('anything about red_ball?', ['object:red_ball']),
    ('seen the GREEN MUG lately?', ['object:green_mug']),
    ('Where did the balls go?', ['object:blue_ball', 'object:red_ball']),
    ('When did we last see Alice?', ['person:alice']),
    ('Was someone in the hall?', ['room:hallway', 'person:unknown']),
    ('What is in the living room?', ['room:living_room']),
    ('Is the backpack in the office?', ['room:office', 'object:black_backpack']),
])
def test_tags_come_from_the_vocabulary_whatever_the_spelling(question, tags):
    assert sorted(plan(question).tags_any) == sorted(tags)


def test_a_coloured_ball_names_only_that_ball_not_every_ball():
    assert plan('where was the blue ball?').tags_any == ['object:blue_ball']


def test_things_the_store_never_tagged_are_named_missing_not_filtered():
    planned = plan('Where did we see the purple umbrella?')
    assert planned.tags_any == [] and planned.missing == ['object:purple_umbrella']
    bob = plan('Did we see Bob in the kitchen?')
    assert 'person:bob' in bob.missing and 'room:kitchen' in bob.tags_any
    assert plan('Where is the Red Ball?').missing == []


@pytest.mark.parametrize('question, seconds', [
    ('What did we see in the last ten minutes?', 600),
    ('what was there in the last 5 min', 300),
    ('anything in the past hour?', 3600),
    ('Show me what you saw during the previous 90 seconds', 90),
    ('What happened in the last minute?', 60),
    ('list things from the last couple of minutes', 120),
    ('what did you see in the last half an hour', 1800),
    ('what did we spot over the past 2 hrs', 7200),
])
def test_a_look_back_window_ends_now(question, seconds):
    planned = plan(question)
    assert planned.since == pytest.approx(NOW - seconds) and planned.until is None


def test_so_long_ago_is_a_window_around_that_time():
    planned = plan('What did we see about 20 minutes ago?')
    assert planned.since < NOW - 1200 < planned.until < NOW


def test_parts_of_the_day_and_whole_days_resolve_against_now():
    morning = plan('Who was in the office this morning?')
    assert datetime.fromtimestamp(morning.since).hour == 6
    assert datetime.fromtimestamp(morning.until).hour == 12
    yesterday = plan('what did we see yesterday')
    assert yesterday.until == datetime(2026, 3, 2).timestamp()
    assert yesterday.since == datetime(2026, 3, 1).timestamp()
    assert plan('What have we seen today?').since == datetime(2026, 3, 2).timestamp()


def test_the_start_of_the_mission_is_its_first_memories():
    planned = plan('What did we see at the very beginning of the mission?')
    assert planned.since == START and START < planned.until <= START + 600


def test_before_and_after_a_room_use_the_first_visit_to_it():
    before = plan('What did we see before we went into the kitchen?')
    assert before.until == START + 1200 and before.since is None
    after = plan('anything after entering the office?')
    assert after.since == START + 300
    # A room the store never saw gives no bound rather than a wrong one.
    assert plan('What did we see before we went into the garage?').until is None


def test_recently_weighs_recency_without_a_hard_window():
    planned = plan('Have you seen any mugs recently?')
    assert planned.recency and planned.since is None and planned.wants_recency
    assert not plan('Where did we see the green mug?').wants_recency
    assert plan('Where is the green mug now?').wants_recency


@pytest.mark.parametrize('question, xy, radius', [
    ('What did we see at (2, 3)?', (2.0, 3.0), 3.0),
    ('anything at x=2.5 y=-1 within 2 m?', (2.5, -1.0), 2.0),
    ('what is around position 4, 7', (4.0, 7.0), 3.0),
    ('what have you seen near the charger?', (3.0, 4.0), 3.0),
    ('Is there anything next to the red ball within 1.5 metres?', (1.0, 1.0), 1.5),
    ('What is around here?', (5.0, 5.0), 3.0),
    ('anything nearby?', (5.0, 5.0), 3.0),
])
def test_places_resolve_to_a_circle(question, xy, radius):
    near = plan(question).near
    assert near is not None and (near.x, near.y, near.radius) == (*xy, radius)


def test_the_thing_a_place_is_named_by_is_not_what_is_searched_for():
    planned = plan('What did we see near the charger?')
    assert planned.place == 'object:charger' and 'object:charger' not in planned.tags_any


def test_here_without_a_robot_pose_is_no_filter_and_says_why():
    planned = plan('What is around here?', pose=None)
    assert planned.near is None and any('pose is unknown' in n for n in planned.notes)


def test_a_room_is_a_place_and_a_tag():
    planned = plan('What did we see in the office?')
    assert planned.place == 'room:office' and 'room:office' in planned.tags_any


def test_search_texts_drop_filler_and_keep_the_literal_question_second():
    planned = plan('Hey robot, where exactly did you see the green mug?')
    assert planned.search_texts[0] == 'exactly green mug'
    assert planned.search_texts[1] == 'Hey robot, where exactly did you see the green mug?'
    assert plan('What did we see in the last minute?').search_texts == [
        'What did we see in the last minute?']


def test_an_empty_store_still_plans():
    planned = RulePlanner().plan('Where is the red ball now?', NOW, Vocabulary())
    assert planned.intent == 'where_now' and planned.tags_any == []
    assert planned.search_texts[0] == 'red ball'


def test_no_planner_is_the_literal_question():
    planned = NoPlanner().plan('  Where is   the ball? ', NOW, VOCABULARY)
    assert planned.search_texts == ['Where is the ball?'] and not planned.wants_recency


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_valid_plan(text):
    planned = PLANNER.plan(text or '?', NOW, VOCABULARY, (0.0, 0.0))
    assert QueryPlan.model_validate(planned.model_dump()) == planned


def test_the_draft_schema_bounds_every_string_and_array():
    schema = plan_json_schema(sorted(VOCABULARY.tags))

    def walk(node):
        if isinstance(node, dict):
            if node.get('type') == 'string' and 'enum' not in node:
                assert 'maxLength' in node or 'pattern' in node, node
            if node.get('type') == 'array':
                assert 'maxItems' in node, node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    walk(plan_json_schema())
    assert set(schema['properties']['intent']['enum']) >= {'where_now', 'when_last', 'count'}
    assert schema['properties']['tags_any']['items']['enum'] == sorted(VOCABULARY.tags)


@pytest.mark.parametrize('question', [
    'Where is the red ball now?', 'What did we see in the last ten minutes?',
    'What did we see near the charger?', 'What is around here?', 'anything at (2, 3)?',
    'What was in the office this morning?', 'How many times did we see Alice?'])
def test_a_plan_survives_the_round_trip_through_its_draft(question):
    planned = plan(question)
    draft = draft_from_plan(planned, NOW)
    assert validate(plan_json_schema(sorted(VOCABULARY.tags)), draft) == []
    back = plan_from_draft(draft, NOW, VOCABULARY, (5.0, 5.0), planner='rules')
    for name in ('intent', 'search_texts', 'tags_any', 'place', 'near', 'recency'):
        assert getattr(back, name) == getattr(planned, name), name
    for name in ('since', 'until'):
        assert getattr(back, name) == pytest.approx(getattr(planned, name), abs=0.1)


def test_a_draft_with_tags_outside_the_store_loses_them_with_a_note():
    back = plan_from_draft({'intent': 'where', 'search_texts': ['ball'],
                            'tags_any': ['object:red_ball', 'object:unicorn']}, NOW, VOCABULARY)
    assert back.tags_any == ['object:red_ball'] and 'object:unicorn' in back.notes[0]
    with pytest.raises(ValueError):
        plan_from_draft({'intent': 'where', 'search_texts': ['x'], 'tags_any': [],
                         'mood': 'happy'}, NOW, VOCABULARY)
    with pytest.raises(ValidationError):
        plan_from_draft({'intent': 'guess', 'search_texts': ['x'], 'tags_any': []}, NOW,
                        VOCABULARY)


def test_a_plan_refuses_unbounded_or_contradictory_fields():
    with pytest.raises(ValidationError):
        QueryPlan(search_texts=[])
    with pytest.raises(ValidationError):
        QueryPlan(search_texts=['a'], since=NOW, until=NOW - 1)
    with pytest.raises(ValidationError):
        QueryPlan(search_texts=['a'], tags_any=['Not A Tag!'])
    with pytest.raises(ValidationError):
        QueryPlan(search_texts=['a', 'b', 'c', 'd'])
