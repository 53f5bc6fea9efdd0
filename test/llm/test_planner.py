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
The LLM query planner against the real vLLM, and its fallback to the rule planner.

Whatever the small model writes under the plan's schema, the plan is valid and its tags come from
the store; when the server is away or the reply is unusable, the rule planner's plan comes back
with the reason in its notes.
"""

import json

from fake_llm import FakeLlmServer
import pytest
from shadowhound_memory.llm.planner import LlmPlanner
from shadowhound_memory.llm.routing import LlmRouter, LlmSettings
from shadowhound_memory.retrieval.planning import QueryPlan, Vocabulary
import vllm_server

NOW = 1.79e9
VOCABULARY = Vocabulary(
    tags=frozenset({'object:red_ball', 'object:blue_mug', 'object:charger', 'person:alice',
                    'room:kitchen', 'room:office', 'source:camera'}),
    positions={'object:charger': (3.0, 4.0)}, first_seen={'room:kitchen': NOW - 900.0},
    start=NOW - 1800.0, end=NOW - 5.0)


def planner_for(url, timeout_s=60.0, **settings) -> LlmPlanner:
    router = LlmRouter(LlmSettings(url=url, timeout_s=timeout_s, **settings))
    router.refresh()
    return LlmPlanner(router, timeout_s=timeout_s)


@pytest.mark.parametrize('mode', ['none', 'recall'])
def test_the_model_writes_a_valid_plan_with_tags_from_the_store(llm_server, mode):
    planner = planner_for(llm_server.url, adapter_mode=mode)
    for question in ('Where is the red ball now?', 'When did we last see Alice?',
                     'What did we see in the office in the last five minutes?'):
        plan = planner.plan(question, NOW, VOCABULARY, (1.0, 2.0))
        assert QueryPlan.model_validate(plan.model_dump()) == plan
        assert set(plan.tags_any + plan.tags_all) <= VOCABULARY.tags
        if plan.planner.startswith('llm/'):
            assert plan.planner == ('llm/base' if mode == 'none' else 'llm/recall')
        else:
            # A reply the small model cut off or got wrong is not a plan: the rules planned.
            assert plan.planner == 'rules' and 'fell back' in plan.notes[0]
    counts = planner.snapshot()
    assert counts.get('planned', 0) + counts.get('fell_back', 0) == 3
    assert counts.get('planned', 0) >= 1


def test_an_unreachable_server_gives_the_rule_plan_and_says_why():
    planner = planner_for(f'http://127.0.0.1:{vllm_server.free_port()}', timeout_s=2.0)
    plan = planner.plan('Where is the red ball now?', NOW, VOCABULARY)
    assert plan.planner == 'rules' and plan.intent == 'where_now'
    assert plan.tags_any == ['object:red_ball']
    assert plan.notes[0].startswith('LLM planner fell back to rules: no LLM server reachable')


def test_tags_outside_the_store_are_dropped_and_a_bad_reply_falls_back():
    # FAKE server: a real model under the schema cannot be made to write these on demand.
    draft = {'intent': 'where_now', 'search_texts': ['red ball'],
             'tags_any': ['object:red_ball', 'object:unicorn'], 'recency': True}
    fake = FakeLlmServer(json.dumps(draft), 'I think the ball is in the kitchen.')
    try:
        planner = planner_for(fake.url, base_model='fake-base')
        plan = planner.plan('Where is the red ball now?', NOW, VOCABULARY)
        assert plan.planner == 'llm/base' and plan.tags_any == ['object:red_ball']
        assert any('object:unicorn' in note for note in plan.notes)
        schema = fake.requests[0]['response_format']['json_schema']['schema']
        assert 'object:red_ball' in schema['properties']['tags_any']['items']['enum']
        assert 'source:camera' not in schema['properties']['tags_any']['items']['enum']
        bad = planner.plan('Where is the red ball now?', NOW, VOCABULARY)
        assert bad.planner == 'rules' and 'invalid plan' in bad.notes[0]
    finally:
        fake.close()


def test_a_cut_off_or_slow_reply_falls_back():
    # FAKE server: truncation and a reply slower than the timeout, on demand.
    cut = FakeLlmServer('{"intent": "where", "search_texts": ["red', finish_reason='length')
    slow = FakeLlmServer('{}', delay_s=5.0)
    try:
        plan = planner_for(cut.url, base_model='fake-base').plan('Where is the ball?', NOW,
                                                                 VOCABULARY)
        assert plan.planner == 'rules' and 'cut off' in plan.notes[0]
        plan = planner_for(slow.url, timeout_s=0.5, base_model='fake-base', retries=0).plan(
            'Where is the ball?', NOW, VOCABULARY)
        assert plan.planner == 'rules' and 'LLM failed' in plan.notes[0]
    finally:
        cut.close()
        slow.close()
