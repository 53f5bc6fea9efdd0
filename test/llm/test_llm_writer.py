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

"""The LLM writer against the real vLLM: constrained JSON, repair, truncation and fallbacks."""

import json

from fake_llm import FakeLlmServer
import pytest
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.domain.records import EVENT_KINDS, parse_record
from shadowhound_memory.llm.routing import LlmRouter, LlmSettings
from shadowhound_memory.llm.writer import LlmWriter
from shadowhound_memory.memory.writer import DeterministicWriter
from shadowhound_memory.pose.buffer import PoseEstimate
import vllm_server

TEXTS = ('uh i think there is a red ball under the kitchen table',
         'a person is standing near the front door',
         'the charger is behind the sofa in the living room',
         'smoke near the oven in the kitchen')


def items(texts=TEXTS):
    return [(Observation(text, 1.79e9 + i, 'camera', tags=('robot:dog1',) if i == 0 else ()),
             PoseEstimate(1.0 + i, 2.0, 0.5, True, '', 'map'), MissionContext('m1'))
            for i, text in enumerate(texts)]


def writer_for(url, max_tokens=160, **settings) -> LlmWriter:
    router = LlmRouter(LlmSettings(url=url, timeout_s=60.0, **settings))
    router.refresh()
    return LlmWriter(router, max_tokens=max_tokens)


@pytest.mark.parametrize('mode', ['none', 'writing'])
def test_constrained_writing_gives_schema_valid_records_with_facts_copied_by_code(
        llm_server, mode):
    writer = writer_for(llm_server.url, adapter_mode=mode)
    results = writer.write_many(items())
    expected_route = 'base' if mode == 'none' else 'memory-writing'
    for written, (observation, pose, context) in zip(results, items()):
        assert written.route == expected_route, written.note
        record = parse_record(written.record.model_dump_json())
        assert record.event in EVENT_KINDS
        assert (record.pose.x, record.pose.y, record.timestamp, record.mission_id) == \
            (pose.x, pose.y, observation.stamp, 'm1')
        assert 'source:camera' in record.tags
    # Perception's own tags are facts the model cannot drop.
    assert 'robot:dog1' in results[0].record.tags
    stats = writer.stats.snapshot()
    assert stats['attempts'] >= len(TEXTS) and stats['fell_back'] == 0
    assert stats['schema_valid'] == len(TEXTS)
    assert stats['json_validity'] == pytest.approx(len(TEXTS) / stats['attempts'])
    assert 0 < stats['tokens_per_memory'] <= 160


def test_adapter_and_base_write_different_records(llm_server):
    base = writer_for(llm_server.url, adapter_mode='none').write_many(items())
    adapted = writer_for(llm_server.url, adapter_mode='writing').write_many(items())
    assert [(r.record.event, r.record.text, r.record.tags) for r in base] != \
        [(r.record.event, r.record.text, r.record.tags) for r in adapted]


def test_a_reply_cut_off_by_max_tokens_is_counted_repaired_once_then_falls_back(llm_server):
    writer = writer_for(llm_server.url, max_tokens=6)
    written = writer.write_many(items(TEXTS[:1]))[0]
    expected = DeterministicWriter().write(*items(TEXTS[:1])[0])
    assert written.route == 'deterministic'
    assert 'no valid JSON after one repair' in written.note
    assert (written.record.text, written.record.event) == (expected.text, expected.event)
    stats = writer.stats.snapshot()
    assert (stats['attempts'], stats['truncated'], stats['fell_back']) == (2, 2, 1)
    assert stats['fallback_reasons'] == {'no valid JSON after one repair': 1}


def test_without_constrained_decoding_replies_are_still_validated(llm_server):
    writer = writer_for(llm_server.url, structured_output=False)
    results = writer.write_many(items())
    stats = writer.stats.snapshot()
    # Whatever the small model wrote, every stored record is valid, and the counts add up.
    assert all(parse_record(r.record.model_dump_json()) for r in results)
    assert stats['schema_valid'] + stats['fell_back'] == len(TEXTS)
    assert len(TEXTS) <= stats['attempts'] <= 2 * len(TEXTS)
    assert stats['parsed'] <= stats['attempts']


def test_an_unreachable_server_falls_back_at_once_with_the_reason():
    url = f'http://127.0.0.1:{vllm_server.free_port()}'
    writer = writer_for(url)
    results = writer.write_many(items())
    assert {r.route for r in results} == {'deterministic'}
    assert all('LLM server unreachable' in r.note for r in results)
    assert writer.stats.snapshot()['attempts'] == 0


def test_garbage_replies_get_one_repair_then_the_deterministic_record():
    fake = FakeLlmServer('Sure! Here is your memory: {"event": "object_seen", "text"')
    try:
        writer = writer_for(fake.url, base_model='fake-base')
        written = writer.write_many(items(TEXTS[:1]))[0]
        assert written.route == 'deterministic'
        assert len(fake.requests) == 2
        # The repair request shows the model its reply and what was wrong with it.
        repair = fake.requests[1]['messages']
        assert repair[-2]['content'].startswith('Sure!')
        assert 'not a valid memory' in repair[-1]['content']
        assert writer.stats.snapshot()['parsed'] == 0
    finally:
        fake.close()


def test_a_draft_with_invalid_fields_is_repaired_when_the_second_reply_is_valid():
    fake = FakeLlmServer(json.dumps({'event': 'Object Seen!', 'text': 'x', 'tags': []}),
                         json.dumps({'event': 'object_seen', 'text': 'Red ball.',
                                     'tags': ['object:red_ball']}))
    try:
        writer = writer_for(fake.url, base_model='fake-base')
        written = writer.write_many(items(TEXTS[:1]))[0]
        assert written.route == 'base' and written.record.text == 'Red ball.'
        assert 'event' in fake.requests[1]['messages'][-1]['content']
        stats = writer.stats.snapshot()
        assert (stats['attempts'], stats['parsed'], stats['repaired']) == (2, 2, 1)
        assert stats['schema_valid'] == 1 and stats['json_validity'] == 0.5
    finally:
        fake.close()


def test_a_slow_server_times_out_and_later_requests_fall_back_without_waiting():
    fake = FakeLlmServer('{}', delay_s=5.0)
    try:
        # No on-demand re-probe within the test: a server marked down stays down for it.
        router = LlmRouter(LlmSettings(url=fake.url, base_model='fake-base', timeout_s=0.5,
                                       retries=0), reprobe_interval_s=3600.0)
        router.refresh()
        writer = LlmWriter(router)
        first = writer.write_noted(*items(TEXTS[:1])[0])
        assert first.route == 'deterministic'
        requests = len(fake.requests)
        second = writer.write_noted(*items(TEXTS[1:2])[0])
        assert second.route == 'deterministic' and 'unreachable' in second.note
        assert len(fake.requests) == requests, 'a server marked down is not asked again'
        assert 'down' in router.status()[f'llm_server {fake.url}']
    finally:
        fake.close()
