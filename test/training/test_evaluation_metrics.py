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
The evaluation's arithmetic, pinned on replies whose right scores are known by hand.

A real model's replies are not known in advance, so the runs on the tiny model (test_chain.py)
can only check that metrics agree with the outputs they saw. Here a scripted generator (a fake,
named so: it replays chosen replies) gives each arm one kind of reply: prose, a draft with the
wrong event and a missing tag, the gold draft, a reply cut off by the token limit. The store,
the embedder and MemoryService are the real ones, so success@5 is measured, not assumed.
"""

import json
import re

import pytest
from shadowhound_memory.training import metrics
from shadowhound_memory.training.evaluate import Evaluation
from shadowhound_memory.training.formats import HeldOutMission, read_jsonl
from shadowhound_memory.training.generate import generate


class Reply:
    """A reply in the shape of the LLM client's Completion."""

    def __init__(self, text, finish_reason='stop'):
        self.text = text
        self.finish_reason = finish_reason
        self.prompt_tokens = 100
        self.completion_tokens = 20


class ScriptedGenerator:
    """Fake generator: each arm answers one way, chosen so its scores are known by hand."""

    supports_schema = True

    def __init__(self, missions):
        self.gold = {o.input: d for m in missions
                     for o, d in zip(m.observations, m.gold_drafts)}

    def generate(self, task, adapter, messages, max_tokens, schema):
        arm = ('adapter+' if adapter else 'base+') + ('schema' if schema else 'prompt')
        if task == 'writing':
            gold = self.gold[messages[-1]['content']]
            if arm == 'base+prompt':
                return Reply('I think there is something on the table.')
            if arm == 'base+schema':
                # Wrong event, the room tag only: event 0, tags F1 2/3, text recall 1.
                return Reply(json.dumps({'event': 'note', 'text': gold.text,
                                         'tags': gold.tags[-1:]}))
            if arm == 'adapter+prompt':
                return Reply(gold.model_dump_json())
            return Reply(gold.model_dump_json()[:25], 'length')
        docs = [json.loads(body) | {'ref': ref} for ref, body in
                re.findall(r'<memory ref="(m\d+)">(.*?)</memory>', messages[-1]['content'])]
        if arm == 'base+prompt':
            return Reply('{"answer": "The', 'length')
        if arm == 'base+schema':
            return Reply(json.dumps({'answer': docs[0]['text'], 'citations': ['m9']}))
        # Restating every shown memory and citing them all: grounded by construction.
        return Reply(json.dumps({'answer': ' '.join(d['text'] for d in docs),
                                 'citations': [d['ref'] for d in docs]}))


@pytest.fixture(scope='module')
def results(tmp_path_factory, pipeline_embedder):
    out = tmp_path_factory.mktemp('scripted')
    generate(out, seed=5, writing_pairs=8, test_missions=1, ood_missions=1)
    missions = read_jsonl(out / 'missions_ood.jsonl', HeldOutMission)
    return Evaluation(missions, ScriptedGenerator(missions), pipeline_embedder,
                      str(tmp_path_factory.mktemp('work')), concurrency=2).run()


def test_prose_counts_as_invalid_and_leaves_no_memory(results):
    arm = results['arms']['base+prompt']
    assert arm['writing_items'] == 20 and arm['questions'] == 10
    assert (arm['json_validity'], arm['json_parse_rate'], arm['truncation_rate']) == (0, 0, 0)
    assert arm['field_accuracy'] == 0.0 and arm['tokens_per_memory'] is None
    assert arm['success_at_5'] == 0.0
    assert arm['answer_json_validity'] == 0.0 and arm['groundedness'] == 0.0


def test_a_wrong_event_and_a_missing_tag_score_as_computed_by_hand(results):
    arm = results['arms']['base+schema']
    assert arm['json_validity'] == 1.0 and arm['event_accuracy'] == 0.0
    assert arm['tags_f1'] == pytest.approx(2 / 3) and arm['text_recall'] == 1.0
    assert arm['field_accuracy'] == pytest.approx(5 / 9)
    # Citing a memory that was not shown is an invalid citation and grounds nothing.
    assert arm['answer_json_validity'] == 1.0
    assert arm['citation_validity'] == 0.0 and arm['groundedness'] == 0.0
    assert arm['answer_cites_gold'] == 0.0


def test_the_gold_drafts_score_full_marks_and_retrieve_like_the_gold_memories(results):
    arm = results['arms']['adapter+prompt']
    ceiling = results['reference']['success_at_5_gold_memories']
    assert arm['json_validity'] == arm['field_accuracy'] == 1.0
    assert arm['tokens_per_memory'] == 20.0
    assert arm['success_at_5'] == ceiling > 0.5
    assert arm['citation_validity'] == arm['groundedness'] == 1.0
    assert arm['answer_cites_gold'] == ceiling


def test_a_reply_cut_by_the_token_limit_counts_as_truncated(results):
    arm = results['arms']['adapter+schema']
    assert arm['truncation_rate'] == 1.0 and arm['json_validity'] == 0.0
    assert arm['success_at_5'] == 0.0


def test_every_metric_has_an_interval_around_its_mean(results):
    for name, arm in results['arms'].items():
        for key, interval in arm['ci95'].items():
            if arm[key] is None:
                assert interval is None, (name, key)
                continue
            low, high = interval
            assert low - 1e-9 <= arm[key] <= high + 1e-9, (name, key)
    assert results['arms']['base+schema']['ci95']['field_accuracy'] == \
        [pytest.approx(5 / 9)] * 2


def test_bootstrap_interval_matches_the_normal_approximation_and_repeats():
    values = [0.0] * 50 + [1.0] * 50
    low, high = metrics.bootstrap_ci(values)
    # Mean 0.5, standard error 0.05: about 0.40 to 0.60.
    assert 0.38 < low < 0.42 and 0.58 < high < 0.62
    assert metrics.bootstrap_ci(values) == [low, high]
    assert metrics.bootstrap_ci([]) is None
    narrow = metrics.bootstrap_ci([0.0] * 500 + [1.0] * 500)
    assert narrow[1] - narrow[0] < (high - low) * 0.5
