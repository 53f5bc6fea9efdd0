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

"""Client and routing against the real vLLM: base vs adapter, runtime loading, merged variants."""

import os
import time

from port_gate import PortGate
import pytest
from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.llm.client import LlmClient
from shadowhound_memory.llm.prompts import writing_messages
from shadowhound_memory.llm.routing import LlmRouter, LlmSettings
from shadowhound_memory.llm.writer import LlmWriter
from shadowhound_memory.pose.buffer import PoseEstimate
import vllm_server

PROMPT = writing_messages('mission: m1\ntime: 2026-03-02T10:00:00Z\npose: x=1.00 y=2.00 '
                          'yaw=0.00 frame=map\nsource: camera\nobservation: a red ball on '
                          'the kitchen table', few_shot=True)


def router_for(server, **settings) -> LlmRouter:
    router = LlmRouter(LlmSettings(url=server.url, base_model=server.base_model,
                                   adapter_dir=server.adapter_dir, timeout_s=60.0, **settings))
    router.refresh()
    return router


def test_probe_lists_base_models_adapters_and_runtime_loading(llm_server):
    info = LlmClient(llm_server.url).probe()
    assert info.reachable and info.runtime_lora
    assert llm_server.base_model in info.base_models
    assert info.adapters.get('memory-writing') == llm_server.base_model
    assert 'recall' in info.adapters


def test_unreachable_server_is_probed_as_down_without_raising():
    info = LlmClient(f'http://127.0.0.1:{vllm_server.free_port()}', timeout_s=1.0).probe(1.0)
    assert not info.reachable and 'did not answer' in info.error


@pytest.mark.parametrize('mode, writing, recall', [
    ('none', 'base', 'base'), ('writing', 'memory-writing', 'base'),
    ('recall', 'base', 'recall'), ('all', 'memory-writing', 'recall')])
def test_adapter_mode_picks_each_tasks_route(llm_server, mode, writing, recall):
    router = router_for(llm_server, adapter_mode=mode)
    assert router.route('memory-writing').label == writing
    assert router.route('recall').label == recall
    # The base model gets worked examples; an adapter gets the prompt it was trained on.
    assert router.route('memory-writing').few_shot == (writing == 'base')


def test_adapter_route_and_base_route_give_different_outputs(llm_server):
    client = LlmClient(llm_server.url, timeout_s=60.0)
    base = client.chat(llm_server.base_model, PROMPT, 48)
    adapted = client.chat('memory-writing', PROMPT, 48)
    again = client.chat('memory-writing', PROMPT, 48)
    assert adapted.text == again.text, 'greedy decoding must be repeatable'
    assert adapted.text != base.text
    assert base.completion_tokens > 0 and adapted.completion_tokens > 0


@pytest.fixture
def spare(llm_server):
    """Make sure the spare adapter is not loaded before and after a test."""
    def unload():
        try:
            LlmClient(llm_server.url).unload_adapter('spare')
        except Exception:  # noqa: B902 - not loaded is the state wanted
            pass
    unload()
    yield 'spare'
    unload()


def test_runtime_load_and_unload_move_the_task_between_adapter_and_base(llm_server, spare):
    router = LlmRouter(LlmSettings(url=llm_server.url, adapter_dir=llm_server.adapter_dir,
                                   adapter_mode='writing', writing_adapter=spare))
    router.refresh()
    # adapter_mode wants it and the allowlisted folder has it: the probe loaded it.
    assert router.route('memory-writing').label == spare
    assert f'loaded {spare}' in router.adapter_events
    router.unload_adapter(spare)
    route = router.route('memory-writing')
    assert route.label == 'base' and f'{spare} not served' in route.fallback_reason
    router.refresh()
    assert router.route('memory-writing').label == 'base', 'an operator unload stands'
    folder = router.load_adapter(spare)
    assert folder == os.path.join(os.path.realpath(llm_server.adapter_dir), spare)
    with pytest.raises(InvalidRequestError, match='already loaded'):
        router.load_adapter(spare)
    router.refresh()
    assert spare in router.server_info()[llm_server.url].adapters
    route = router.route('memory-writing')
    assert route.label == spare
    assert router.clients[route.url].chat(route.model, PROMPT, 16).completion_tokens > 0
    router.unload_adapter(spare)
    with pytest.raises(InvalidRequestError, match='not loaded'):
        router.unload_adapter(spare)


@pytest.mark.parametrize('name, path', [
    ('spare', '../spare'), ('spare', '/etc'), ('spare', 'spare/../../x'),
    ('../spare', ''), ('a/b', ''), ('', ''), ('spare', 'no-such-adapter')])
def test_adapters_load_only_from_the_allowlisted_folder_by_valid_name(llm_server, name, path):
    router = router_for(llm_server)
    with pytest.raises(InvalidRequestError):
        router.load_adapter(name, path)


def test_a_symlink_out_of_the_allowlisted_folder_is_refused(llm_server, tmp_path):
    allowed = tmp_path / 'allowed'
    allowed.mkdir()
    (allowed / 'escape').symlink_to(os.path.join(llm_server.adapter_dir, 'spare'))
    router = LlmRouter(LlmSettings(url=llm_server.url, adapter_dir=str(allowed)))
    with pytest.raises(InvalidRequestError, match='outside the allowed'):
        router.load_adapter('escape')


def test_runtime_loading_is_refused_without_an_adapter_folder(llm_server):
    router = LlmRouter(LlmSettings(url=llm_server.url))
    with pytest.raises(InvalidRequestError, match='llm_adapter_dir'):
        router.load_adapter('spare')


def test_merged_topology_sends_each_task_to_its_variant(llm_server):
    writer_id, recall_id = (vllm_server.MERGED_VARIANTS['memory-writing'],
                            vllm_server.MERGED_VARIANTS['recall'])
    router = router_for(llm_server, topology='merged', adapter_mode='writing',
                        writing_model=writer_id, recall_model=recall_id)
    writing, recall = router.route('memory-writing'), router.route('recall')
    assert (writing.kind, writing.model, writing.few_shot) == ('merged', writer_id, False)
    assert (recall.kind, recall.model) == ('base', llm_server.base_model)
    with pytest.raises(InvalidRequestError, match='cannot load'):
        router.load_adapter('spare')


def test_merged_variant_not_served_falls_back_to_base_with_the_reason(llm_server):
    router = router_for(llm_server, topology='merged', adapter_mode='all',
                        writing_model='no-such-variant', recall_model='also-missing')
    route = router.route('memory-writing')
    assert route.kind == 'base' and route.few_shot
    assert 'no-such-variant not served' in route.fallback_reason


def test_cloud_topology_uses_the_base_model_with_few_shot_and_says_adapters_are_off(llm_server):
    router = router_for(llm_server, topology='cloud', adapter_mode='all')
    route = router.route('recall')
    assert (route.kind, route.model, route.few_shot) == ('cloud', llm_server.base_model, True)
    assert 'no adapters' in route.fallback_reason
    assert router.status()['capability runtime_adapter_loading'] == 'no'


def test_a_model_the_server_stops_serving_sends_the_task_to_base_at_once(llm_server, spare):
    router = router_for(llm_server, adapter_mode='writing', writing_adapter=spare)
    assert router.route('memory-writing').label == spare
    # Unloaded behind the router's back (another operator, a restarted server):
    LlmClient(llm_server.url).unload_adapter(spare)
    from shadowhound_memory.llm.writer import LlmWriter
    from shadowhound_memory.domain.observation import MissionContext, Observation
    from shadowhound_memory.pose.buffer import PoseEstimate
    written = LlmWriter(router).write_noted(
        Observation('a blue cup on the desk', 1.79e9, 'camera'),
        PoseEstimate(0.0, 0.0, 0.0, True, '', 'map'), MissionContext('m1'))
    assert written.route == 'base' and f'{spare} not served' in written.note
    # The next probe loads it back from the allowlisted folder (as after a vLLM restart).
    router.refresh()
    assert router.route('memory-writing').label == spare


def test_the_api_key_comes_from_the_named_variable_and_is_never_in_errors(monkeypatch):
    from fake_llm import FakeLlmServer
    fake = FakeLlmServer()
    monkeypatch.setenv('ROBOT_LLM_KEY', 'sk-secret-123')
    try:
        client = LlmClient(fake.url, api_key_env='ROBOT_LLM_KEY')
        assert not hasattr(client, 'api_key')
        client.chat('fake-base', [{'role': 'user', 'content': 'hi'}], 4)
        assert fake.authorizations == ['Bearer sk-secret-123']
        failing = LlmClient(f'http://127.0.0.1:{vllm_server.free_port()}',
                            api_key_env='ROBOT_LLM_KEY', timeout_s=1.0, retries=0)
        with pytest.raises(Exception) as caught:
            failing.chat('x', [], 1)
        assert 'sk-secret' not in str(caught.value)
    finally:
        fake.close()


# A server that comes up after the node --------------------------------------------------------

def wait_for(predicate, what, timeout_s=60.0):
    """Wait for a state the router reports; the deadline is generous for a busy machine."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f'no {what} within {timeout_s} s'
        time.sleep(0.05)


def writing_item():
    return (Observation('a red ball under the kitchen table', 1.79e9, 'camera'),
            PoseEstimate(1.0, 2.0, 0.5, True, '', 'map'), MissionContext('m1'))


def test_the_first_write_after_the_server_comes_up_goes_through_the_model(llm_server):
    # The periodic probe is an hour away: only the request's own probe can find the server.
    gate = PortGate(llm_server.url)
    router = LlmRouter(LlmSettings(url=gate.url, base_model=llm_server.base_model,
                                   adapter_mode='writing', timeout_s=60.0),
                       probe_period_s=3600.0, reprobe_interval_s=0.0)
    writer = LlmWriter(router)
    try:
        router.start()
        wait_for(lambda: gate.url in router.server_info(), "the node's first probe")
        assert not router.server_info()[gate.url].reachable
        assert router.route('memory-writing') is None
        gate.start()
        written = writer.write_noted(*writing_item())
        assert written.route == 'memory-writing', written.note
        assert router.reprobes == 1 and router.server_info()[gate.url].reachable
        assert router.status()[f'llm_server {gate.url}'].startswith('up: ')
    finally:
        router.close()
        writer.close()
        gate.stop()


def test_on_demand_probes_are_rate_limited_and_a_failure_counts_as_a_probe(llm_server):
    gate = PortGate(llm_server.url)
    router = LlmRouter(LlmSettings(url=gate.url, base_model=llm_server.base_model,
                                   adapter_mode='writing', timeout_s=60.0),
                       probe_period_s=3600.0, reprobe_interval_s=3600.0)
    writer = LlmWriter(router)
    try:
        router.refresh()
        gate.start()
        # Probed just now: within the interval a request routes on what is known.
        written = writer.write_noted(*writing_item())
        assert written.route == 'deterministic' and 'unreachable' in written.note
        assert router.reprobes == 0
        router.reprobe_interval_s = 0.0
        assert router.route_for_request('memory-writing').label == 'memory-writing'
        assert router.reprobes == 1
        # A request that fails marks the server down and checked: its retry does not probe.
        gate.stop()
        router.reprobe_interval_s = 3600.0
        written = writer.write_noted(*writing_item())
        assert written.route == 'deterministic' and router.reprobes == 1
    finally:
        router.close()
        writer.close()
        gate.stop()
