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


"""The recall evaluation's scoring and targets, on outcomes whose right answer is known."""

from shadowhound_memory.evaluation.recall_eval import correct, Outcome, score_arm, success
from shadowhound_memory.evaluation.recall_missions import CATEGORIES, EvalQuestion
from shadowhound_memory.evaluation.recall_report import fixed_share, targets


def outcome(qid, category, ranked, answer='', cited=None, refused=False):
    return Outcome(qid, category, ranked, answer, cited if cited is not None else ranked[:1],
                   refused, 1.0)


def question(qid, category, keys=(), count=None):
    return EvalQuestion(qid, 'm', category, 'q?', 0.0, (), 'fact', keys, count)


def test_success_at_k_needs_a_gold_memory_in_the_first_k():
    got = outcome('a', 'where_now', ['x', 'y', 'g'])
    assert not success(got, [{'g'}], 'where_now', 1)
    assert success(got, [{'g'}], 'where_now', 5)


def test_multi_hop_needs_both_hops_beyond_the_first_result():
    got = outcome('a', 'multi_hop', ['h1', 'x', 'y'])
    assert success(got, [{'h1'}, {'h2'}], 'multi_hop', 1)
    assert not success(got, [{'h1'}, {'h2'}], 'multi_hop', 5)
    both = outcome('a', 'multi_hop', ['x', 'h2', 'h1'])
    assert success(both, [{'h1'}, {'h2'}], 'multi_hop', 5)


def test_an_answer_is_correct_when_it_cites_gold_first_and_states_the_fact():
    gold = [{'g'}]
    asked = question('a', 'where_now', keys=('laundry',))
    assert correct(outcome('a', 'where_now', ['g'], 'It is in the laundry [g]'), asked, gold)
    assert not correct(outcome('a', 'where_now', ['g'], 'It is in the pantry [g]'), asked, gold)
    assert not correct(outcome('a', 'where_now', ['x', 'g'], 'in the laundry [x] [g]'), asked,
                       gold)
    counted = question('c', 'counting', count=3)
    assert correct(outcome('c', 'counting', ['g'], 'seen 3 times [g]'), counted, gold)
    assert correct(outcome('c', 'counting', ['g'], 'seen three times [g]'), counted, gold)
    assert not correct(outcome('c', 'counting', ['g'], 'seen 13 times [g]'), counted, gold)


def test_unanswerable_questions_are_correct_only_when_refused():
    asked = question('u', 'unanswerable')
    assert correct(outcome('u', 'unanswerable', [], 'none', [], refused=True), asked, [])
    assert not correct(outcome('u', 'unanswerable', ['x'], 'x [x]'), asked, [])


def test_score_arm_has_the_issue_shape_and_leaves_unanswerable_out_of_success():
    questions = {'a': question('a', 'where_now'), 'u': question('u', 'unanswerable')}
    golds = {'a': [{'g'}], 'u': []}
    outcomes = [outcome('a', 'where_now', ['g']), outcome('u', 'unanswerable', [], cited=[],
                                                          refused=True)]
    metrics, details = score_arm(outcomes, questions, golds)
    assert set(metrics) == {'success_at_1', 'success_at_5', 'success_at_10', 'answer_correct',
                            'unanswerable_refused', 'by_category'}
    assert set(metrics['by_category']) == set(CATEGORIES)
    assert metrics['success_at_1'] == 1.0 and metrics['unanswerable_refused'] == 1.0
    assert details['success_at_1']['n'] == 1


def test_targets_say_met_or_not_met_from_the_figures():
    def arm(s1, by):
        return {'success_at_1': s1, 'unanswerable_refused': 0.95, 'by_category': {
            c: {'success_at_1': by, 'success_at_10': by} for c in CATEGORIES}}
    assert fixed_share(0.75, 0.5) == 0.5 and fixed_share(1.0, 1.0) is None
    checks = targets({'dense': arm(0.5, 0.4), 'hybrid+rules': arm(0.75, 0.8)})
    assert checks['fixed_share_overall']['met'] and checks['fixed_share_where_now']['met']
    assert checks['success_at_10_no_lower']['met'] and checks['unanswerable_refused']['met']
    worse = targets({'dense': arm(0.5, 0.4), 'hybrid+rules': arm(0.6, 0.3)})
    assert not worse['fixed_share_overall']['met']
    assert not worse['success_at_10_no_lower']['met']
