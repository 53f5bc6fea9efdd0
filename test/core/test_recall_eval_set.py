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
The held-out recall set: its size, its gold, and its separation from training data.

The leak check runs the real training generators and must find nothing; a planted copy of one
held-out text (changed in case and punctuation) must be found.
"""

import ast
import inspect
import json

import pytest

from shadowhound_memory.evaluation import leak, recall_missions
from shadowhound_memory.evaluation.recall_missions import CATEGORIES, make_missions, texts
from shadowhound_memory.synthetic import world


@pytest.fixture(scope='module')
def missions():
    return make_missions()


@pytest.fixture(scope='module')
def training_strings():
    return leak.training_output_strings(seed=0, writing_pairs=200)


def test_the_set_has_five_missions_of_300_reports_and_300_questions_in_every_category(
        missions):
    assert len(missions) >= 5
    assert all(len(m.observations) >= 300 for m in missions)
    questions = [q for m in missions for q in m.questions]
    assert len(questions) >= 300
    assert {q.category for q in questions} == set(CATEGORIES)
    assert len({q.qid for q in questions}) == len(questions)


def test_the_same_seed_makes_the_same_set_and_another_seed_another(missions):
    again = make_missions()
    assert [q.question for m in again for q in m.questions] == \
        [q.question for m in missions for q in m.questions]
    other = make_missions(seed=1)
    assert [o.text for o in other[0].observations] != [o.text for o in missions[0].observations]


def test_things_move_people_come_and_go_rooms_are_revisited_and_some_reports_lack_tags(
        missions):
    for mission in missions:
        assert any(len(t.places) > 1 for t in mission.things if not t.person)
        entries = [o.room for o in mission.observations if o.kind == 'entry']
        assert max(entries.count(r) for r in set(entries)) > 3
        subjects = [o for o in mission.observations if o.subject is not None]
        assert any(o.tags for o in subjects) and any(not o.tags for o in subjects)
        assert any(o.pose is None for o in mission.observations)
        assert any(not o.room_known for o in mission.observations)
        # Many paraphrased sightings of one thing: the first result is not won by default.
        by_subject = {}
        for obs in subjects:
            by_subject.setdefault(obs.subject, set()).add(obs.text)
        assert max(len(v) for v in by_subject.values()) >= 8


def test_where_now_and_when_last_gold_is_only_the_latest_sighting(missions):
    for mission in missions:
        for question in mission.questions:
            if question.category not in ('where_now', 'when_last'):
                continue
            [[only]] = question.gold
            subject = mission.observations[only].subject
            later = [o for o in mission.observations[only + 1:] if o.subject == subject]
            assert subject is not None and later == []


def test_multi_hop_needs_two_memories_and_unanswerable_none(missions):
    for question in (q for m in missions for q in m.questions):
        if question.category == 'multi_hop':
            assert len(question.gold) == 2 and all(question.gold)
        elif question.category == 'unanswerable':
            assert question.gold == ()
        else:
            assert len(question.gold) == 1 and question.gold[0]


def test_the_vocabulary_shares_nothing_with_the_training_world():
    assert not set(recall_missions.HUES) & set(world.COLOURS)
    assert not set(recall_missions.ITEMS) & set(world.NOUNS)
    assert not set(recall_missions.FACILITY) & set(world.ROOMS)
    assert 'alice' not in {n.lower() for n in recall_missions.NAMES}


def test_the_generator_imports_nothing_from_the_training_side():
    tree = ast.parse(inspect.getsource(recall_missions))
    imported = [n.module or '' for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if 'training' in m or 'synthetic' in m]


def test_no_held_out_text_appears_in_the_training_output(missions, training_strings):
    assert len(training_strings) > 1000
    assert leak.find_leaks(texts(missions), training_strings) == []


def test_the_leak_check_finds_a_planted_copy(missions, training_strings, tmp_path):
    report = missions[2].observations[40].text
    question = missions[4].questions[7].question
    planted = list(training_strings)
    planted[17] = planted[17] + ' ' + report.upper().replace(' ', '  ') + '!'
    planted.append(question.rstrip('?') + '.')
    assert leak.find_leaks(texts(missions), planted) == [report, question]
    # The command line reads training files and exits 1 on a leak.
    (tmp_path / 'recall_train.jsonl').write_text(json.dumps({'prompt': f'x {report} y'}) + '\n')
    assert leak.main(['--training', str(tmp_path)]) == 1
    (tmp_path / 'recall_train.jsonl').write_text(json.dumps({'prompt': 'nothing held out'}))
    assert leak.main(['--training', str(tmp_path)]) == 0


def test_a_word_inside_another_is_not_a_leak():
    assert leak.find_leaks(['teal drill'], ['a steal drilling rig']) == []
    assert leak.find_leaks(['Teal drill.'], ['the TEAL-drill!']) == ['Teal drill.']
