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

"""memory_node writing and answering through the real vLLM, with routing set by parameters."""

import threading
import time

from fake_llm import FakeLlmServer
from port_gate import PortGate
import pytest
from shadowhound_memory.msg import MemoryRecord, RecallTrace
from shadowhound_memory.srv import ManageAdapter, Recall
from std_msgs.msg import String
from test_memory_node import collect, publisher, recall, set_parameter, write
import vllm_server

pytestmark = pytest.mark.ros


def diagnostics(memory) -> dict[str, str]:
    return {kv.key: kv.value for kv in memory.node.diagnostics_status().values}


def llm_memory(make_memory, server, **parameters):
    memory = make_memory(llm_url=server.url, llm_adapter_dir=server.adapter_dir,
                         llm_timeout_s=60.0, **parameters)
    memory.wait_for(lambda: 'route recall' in diagnostics(memory)
                    and 'up' in diagnostics(memory).get(f'llm_server {server.url}', ''),
                    what='the first LLM probe')
    return memory


def test_writes_and_answers_go_through_the_adapters_adapter_mode_names(make_memory, llm_server):
    memory = llm_memory(make_memory, llm_server, writer='llm', adapter_mode='all')
    traces = collect(memory, RecallTrace, 'memory/recall_trace')
    facts = diagnostics(memory)
    assert facts['route memory-writing'] == 'memory-writing'
    assert facts['route recall'] == 'recall'
    assert facts['capability runtime_adapter_loading'].startswith('yes')

    written = write(memory, 'there is a red ball under the kitchen table', pose=(1.0, 2.0))
    assert written.record.pose.known and written.record.pose.x == 1.0
    assert 'deterministic' not in written.message
    stats = diagnostics(memory)
    assert stats['usage memory-writing/memory-writing'] == '1'
    assert stats['usage_rate memory-writing/memory-writing'] == '1.0'
    assert '"schema_valid": 1' in stats['llm_writing']

    # Observations from the topic take the same writing route.
    events = collect(memory, MemoryRecord, 'memory/events')
    observations = publisher(memory, String, 'observations_text')
    observations.publish(String(data='a green backpack next to the sofa'))
    memory.wait_for(lambda: events, timeout=120.0, what='the observation written by the LLM')
    assert diagnostics(memory)['usage memory-writing/memory-writing'] == '2'

    answer = recall(memory, 'Where did we see the red ball?', synthesize=True)
    assert answer.success, answer.message
    assert set(answer.cited_ids) <= {m.id for m in answer.memories}
    memory.wait_for(lambda: traces, what='the recall trace')
    assert traces[-1].route == 'recall'
    assert diagnostics(memory)['usage recall/recall'] == '1'


def test_adapter_mode_changes_routing_live_and_bad_routing_is_rejected(make_memory, llm_server):
    memory = llm_memory(make_memory, llm_server, adapter_mode='none')
    assert diagnostics(memory)['route recall'] == 'base'
    assert set_parameter(memory, 'adapter_mode', 'recall').successful
    assert diagnostics(memory)['route recall'] == 'recall'
    result = set_parameter(memory, 'adapter_mode', 'sometimes')
    assert not result.successful and 'adapter_mode' in result.reason


def test_with_the_llm_server_down_writes_and_recalls_still_succeed_and_say_so(make_memory):
    down = f'http://127.0.0.1:{vllm_server.free_port()}'
    memory = make_memory(llm_url=down, writer='llm', adapter_mode='all', llm_timeout_s=1.0)
    memory.wait_for(lambda: diagnostics(memory).get(f'llm_server {down}', '').startswith('down'),
                    what='the probe of the stopped server')
    written = write(memory, 'a blue mug on the office desk', pose=(3.0, 1.0))
    assert 'deterministic writer: LLM server unreachable' in written.message
    answer = recall(memory, 'Where is the blue mug?', synthesize=True)
    assert answer.success and answer.cited_ids == [written.record.id]
    assert 'retrieval-only' in answer.message
    assert diagnostics(memory)['route recall'] == 'fallback (no server)'


def test_a_server_that_comes_up_after_the_node_takes_the_first_write_after_it(
        make_memory, llm_server):
    # The periodic probe is an hour away: only the write's own probe can find the server.
    gate = PortGate(llm_server.url)
    try:
        memory = make_memory(llm_url=gate.url, writer='llm', adapter_mode='writing',
                             llm_base_model=llm_server.base_model, llm_timeout_s=60.0,
                             llm_probe_period_s=3600.0, llm_reprobe_interval_s=0.0)
        memory.wait_for(
            lambda: diagnostics(memory).get(f'llm_server {gate.url}', '').startswith('down'),
            what="the node's first probe, of a server not up yet")
        gate.start()
        written = write(memory, 'a red ball under the kitchen table', pose=(1.0, 2.0))
        assert 'deterministic' not in written.message, written.message
        facts = diagnostics(memory)
        assert facts['usage memory-writing/memory-writing'] == '1'
        assert facts[f'llm_server {gate.url}'].startswith('up: ')
        assert facts['llm_on_demand_probes'] == '1'
    finally:
        gate.stop()


def test_manage_adapter_loads_lists_and_unloads_only_from_the_allowlist(make_memory, llm_server):
    memory = llm_memory(make_memory, llm_server)

    def manage(action, name='', path=''):
        return memory.call(ManageAdapter, 'manage_adapter',
                           ManageAdapter.Request(action=action, name=name, path=path))
    listed = manage('list')
    assert listed.success and 'memory-writing' in listed.adapters
    for name, path in (('spare', '../../etc'), ('../spare', ''), ('spare', '/tmp')):
        refused = manage('load', name, path)
        assert not refused.success and refused.message
    loaded = manage('load', 'spare')
    try:
        assert loaded.success, loaded.message
        assert 'spare' in loaded.adapters
    finally:
        unloaded = manage('unload', 'spare')
    assert unloaded.success and 'spare' not in unloaded.adapters
    assert not manage('explode', 'spare').success


def test_a_slow_synthesis_does_not_hold_up_other_requests(make_memory):
    fake = FakeLlmServer('{"answer": "Under the table.", "citations": ["m1"]}', delay_s=4.0)
    try:
        memory = make_memory(llm_url=fake.url, llm_base_model='fake-base')
        memory.wait_for(lambda: diagnostics(memory)['route recall'] == 'base',
                        what='the first probe')
        write(memory, 'a red ball under the table', pose=(1.0, 1.0))
        client = memory.probe.create_client(Recall, 'recall')
        assert client.wait_for_service(timeout_sec=30)
        finished = []
        slow_done = threading.Event()
        slow = client.call_async(Recall.Request(question='ball?', synthesize=True))
        slow.add_done_callback(lambda _: (finished.append('synthesized'), slow_done.set()))
        memory.wait_for(lambda: fake.requests, what='the synthesis request')
        for _ in range(3):
            assert recall(memory, 'ball?').success
            assert write(memory, f'note {time.time()}').success
        finished.append('plain')
        assert slow_done.wait(30)
        assert finished == ['plain', 'synthesized']
        assert slow.result().answer == 'Under the table.'
    finally:
        fake.close()
