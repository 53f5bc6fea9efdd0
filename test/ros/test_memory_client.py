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
The agent side against the real memory node: MemoryClient, the LLM tools, the example agent.

In-process tests talk to a memory node through DDS from the harness's probe node; the last test
runs the installed memory_node and example_agent executables as processes of their own.
"""

import importlib.util
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

from ament_index_python.packages import get_package_prefix, get_package_share_directory
import pytest
import rclpy
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.executors import MultiThreadedExecutor, SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from shadowhound_memory.agent.results import (MemoryRequestError, MemoryUnavailableError,
                                              RecallAnswer, WriteResult)
from shadowhound_memory.agent.tools import (mcp_tools, openai_tools, schema_problems,
                                            ToolExecutor, TOOLS, validate)
from shadowhound_memory.domain.errors import BackendUnavailableError, InvalidRequestError
from shadowhound_memory.msg import MemoryRecord
from shadowhound_memory.ros.memory_client import MemoryClient
from shadowhound_memory.ros.spinning import shutdown_spinning, SpinThread
from shadowhound_memory.srv import Recall
from std_msgs.msg import String

pytestmark = pytest.mark.ros

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOOL_NAMES = {'remember', 'recall', 'recall_near', 'recall_since', 'locate', 'last_seen',
              'forget_mission'}
RELIABLE = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)


@pytest.fixture
def spin_node(ros):
    """Return a factory of nodes, each spun by an executor of the given kind in a thread."""
    spun = []

    def factory(name, namespace, executor_type=MultiThreadedExecutor):
        node = rclpy.create_node(name, namespace=namespace)
        executor = executor_type()
        executor.add_node(node)
        spun.append((node, SpinThread(executor, f'spin-{name}').start()))
        return node

    yield factory
    for node, spinner in spun:
        assert shutdown_spinning([spinner], [node], shutdown_context=False)


def wait_future(future, timeout=60.0):
    """Wait for an rclpy future from the test thread and return it."""
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    assert done.wait(timeout), 'the future never completed'
    return future


@pytest.fixture
def lonely_client(spin_node):
    """Return a client whose memory node does not exist: nothing it sends can be answered."""
    return MemoryClient(spin_node('lonely_agent', f'nobody{os.getpid()}'), timeout_s=0.3)


def load_example():
    spec = importlib.util.spec_from_file_location('minimal_agent',
                                                  ROOT / 'examples' / 'minimal_agent.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# MemoryClient ------------------------------------------------------------------------------------

def test_write_recall_forget_round_trip_returns_typed_results_with_pose_and_citations(
        make_memory):
    memory = make_memory()
    client = MemoryClient(memory.probe)
    written = client.write('The charger is behind the sofa.', pose=(1.0, 2.0, 0.5),
                           tags=['object:charger'])
    client.write('A green plant stands by the window.', pose=(6.0, 5.0))
    assert isinstance(written, WriteResult) and not written.merged
    assert written.memory.where == (1.0, 2.0) and written.memory.yaw == pytest.approx(0.5)
    assert written.memory.mission_id == 'm1' and 'object:charger' in written.memory.tags

    answer = client.recall('Where is the charger?', k=2)
    assert isinstance(answer, RecallAnswer)
    assert answer.memories[0].id == written.memory.id
    assert answer.memories[0].where == (1.0, 2.0)
    assert answer.memories[0].score > answer.memories[1].score
    assert written.memory.id in answer.cited_ids and written.memory.id in answer.answer
    assert answer.cited()[0] == answer.memories[0]
    assert answer.latency_ms > 0

    assert client.forget([written.memory.id]) == 1
    after = client.recall('Where is the charger?')
    assert written.memory.id not in [m.id for m in after.memories]


def test_async_requests_from_callbacks_of_a_multithreaded_executor_complete(
        make_memory, spin_node):
    memory = make_memory()
    agent = spin_node('agent', memory.namespace)
    client = MemoryClient(agent)
    finished = threading.Event()
    seen = {}

    def on_recalled(future):
        seen['answer'] = future.result()
        finished.set()

    def on_written(future):
        seen['written'] = future.result()
        client.recall_async('Where are the keys?').add_done_callback(on_recalled)

    def once():
        timer.cancel()
        client.write_async('Keys on the hallway shelf.', pose=(3.0, 1.0)).add_done_callback(
            on_written)

    # The node's default (mutually exclusive) group, as a naive agent would have it.
    timer = agent.create_timer(0.01, once)
    assert finished.wait(60.0), 'the chained callbacks never completed'
    assert seen['answer'].memories[0].id == seen['written'].memory.id
    assert seen['written'].memory.id in seen['answer'].cited_ids


def test_an_async_callback_can_await_a_request(make_memory, spin_node):
    memory = make_memory()
    agent = spin_node('agent', memory.namespace)
    client = MemoryClient(agent)
    finished = threading.Event()
    seen = {}

    async def once():
        timer.cancel()
        written = await client.write_async('A red ball under the bed.', pose=(4.0, 4.0))
        seen['answer'] = await client.recall_async('Where is the red ball?')
        seen['written'] = written
        finished.set()

    timer = agent.create_timer(0.01, once)
    assert finished.wait(60.0), 'the awaiting callback never completed'
    assert seen['answer'].memories[0].id == seen['written'].memory.id


@pytest.mark.parametrize('executor_type', [SingleThreadedExecutor, MultiThreadedExecutor])
def test_blocking_call_from_a_callback_of_the_nodes_executor_is_refused_before_sending(
        make_memory, spin_node, executor_type):
    memory = make_memory()
    agent = spin_node('agent', memory.namespace, executor_type)
    client = MemoryClient(agent)
    finished = threading.Event()
    raised = []

    def once():
        timer.cancel()
        for call in (lambda: client.write('A blue mug on the shelf.'),
                     lambda: client.recall('mug?'), lambda: client.forget(mission_id='m1')):
            try:
                call()
            except InvalidRequestError as exc:
                raised.append(exc)
        finished.set()

    timer = agent.create_timer(0.01, once)
    assert finished.wait(30.0), 'a blocking call in a callback deadlocked'
    assert len(raised) == 3
    assert 'write_async()' in str(raised[0]) and 'recall_async()' in str(raised[1])
    # Refused before sending: nothing was written.
    assert MemoryClient(memory.probe).recall('mug', all_missions=True).memories == ()


def test_requests_fail_as_unavailable_within_the_timeout_when_no_memory_node_runs(make_memory):
    memory = make_memory()
    client = MemoryClient(memory.probe, namespace=f'/nobody_{memory.namespace}', timeout_s=0.5)
    start = time.monotonic()
    with pytest.raises(MemoryUnavailableError, match='not available after 0.5 s') as raised:
        client.recall('Is anyone there?')
    assert time.monotonic() - start >= 0.5
    assert isinstance(raised.value, BackendUnavailableError)
    future = wait_future(client.write_async('Nobody will store this.'))
    with pytest.raises(MemoryUnavailableError):
        future.result()


def test_an_answer_later_than_the_timeout_fails_as_unavailable(make_memory, spin_node):
    memory = make_memory()
    # A fake recall service that answers too late: a slow node cannot be produced otherwise.
    slow_fake = spin_node('slow_fake_memory', f'slow_{memory.namespace}')
    gave_up = threading.Event()

    def answer_late(request, response):
        # Only after the client has given up, however long that takes on a busy machine.
        gave_up.wait(60.0)
        response.success = True
        return response

    slow_fake.create_service(Recall, 'recall', answer_late,
                             callback_group=ReentrantCallbackGroup())
    # Discovered first: the 0.5 s are for the answer, not for DDS discovery on a busy machine.
    discovered = memory.probe.create_client(Recall, f'/slow_{memory.namespace}/recall')
    assert discovered.wait_for_service(timeout_sec=60.0), 'the slow fake was not discovered'
    client = MemoryClient(memory.probe, namespace=f'/slow_{memory.namespace}', timeout_s=0.5)
    try:
        with pytest.raises(MemoryUnavailableError, match='did not answer within 0.5 s'):
            client.recall('Are you there?')
    finally:
        gave_up.set()


def test_a_request_the_node_refuses_raises_memory_request_error_with_the_nodes_reason(
        make_memory):
    memory = make_memory()
    client = MemoryClient(memory.probe)
    with pytest.raises(MemoryRequestError, match='tag') as raised:
        client.write('A lamp.', tags=['Not A Tag!!'])
    assert isinstance(raised.value, InvalidRequestError)
    with pytest.raises(MemoryRequestError, match='question'):
        client.recall('')
    with pytest.raises(MemoryRequestError, match='refusing to forget everything'):
        client.forget()
    disabled = MemoryClient(make_memory(memory_backend='skip').probe)
    with pytest.raises(MemoryRequestError, match='disabled'):
        disabled.recall('anything?')


@pytest.mark.parametrize('call', [
    lambda c: c.write('x', pose=(1.0,)),
    lambda c: c.write('x', pose=(1.0, float('nan'))),
    lambda c: c.write('x', tags='object:ball'),
    lambda c: c.write('x', stamp=-1.0),
    lambda c: c.write('x', record={'text': 'y'}),
    lambda c: c.write(record={'when': object()}),
    lambda c: c.recall('q', near=(1.0, 2.0)),
    lambda c: c.recall('q', k=-1),
    lambda c: c.recall('q', since_s=0.0),
    lambda c: c.recall('q', mission_id='not a mission!'),
    lambda c: c.forget(ids='3f2b5c1e-0000-0000-0000-000000000000'),
], ids=['short-pose', 'nan-pose', 'tags-string', 'negative-stamp', 'record-and-text',
        'record-not-json', 'near-without-radius', 'negative-k', 'zero-since', 'bad-mission',
        'ids-string'])
def test_arguments_that_cannot_make_a_request_raise_at_once(lonely_client, call):
    # Sent, the request would fail as unavailable instead.
    with pytest.raises(InvalidRequestError):
        call(lonely_client)


def test_the_mission_set_on_the_client_applies_unless_a_request_overrides_it(make_memory):
    memory = make_memory()
    client = MemoryClient(memory.probe, mission_id='patrol-1')
    node_default = MemoryClient(memory.probe)
    own = client.write('A toolbox in the garage.', pose=(9.0, 9.0)).memory
    other = client.write('A toolbox in the shed.', mission_id='patrol-2').memory
    assert (own.mission_id, other.mission_id) == ('patrol-1', 'patrol-2')
    assert [m.id for m in client.recall('toolbox').memories] == [own.id]
    assert [m.id for m in client.recall('toolbox', mission_id='patrol-2').memories] == [other.id]
    assert node_default.recall('toolbox').memories == ()
    assert {m.id for m in node_default.recall('toolbox', all_missions=True).memories} == {
        own.id, other.id}

    client.set_mission('patrol-2')
    assert client.mission_id == 'patrol-2'
    assert client.forget() == 1
    assert [m.id for m in client.recall('toolbox', all_missions=True).memories] == [own.id]
    with pytest.raises(InvalidRequestError, match='mission_id'):
        client.set_mission('no spaces allowed')


def test_a_whole_record_is_stored_as_given(make_memory):
    memory = make_memory()
    client = MemoryClient(memory.probe)
    record = {'event': 'object_seen', 'text': 'Red ball on the table.',
              'pose': {'x': 1.2, 'y': 3.5, 'yaw': 1.57}, 'tags': ['object:red_ball'],
              'mission_id': 'm1', 'timestamp': time.time() - 60.0, 'source': 'planner'}
    stored = client.write(record=record).memory
    assert stored.where == pytest.approx((1.2, 3.5))
    assert (stored.source, stored.event) == ('planner', 'object_seen')
    assert stored.timestamp == pytest.approx(record['timestamp'], abs=1e-6)


# Tools -------------------------------------------------------------------------------------------

def test_tool_definitions_are_valid_json_schema_in_the_openai_and_mcp_shapes():
    openai = openai_tools()
    mcp = mcp_tools()
    assert {t['function']['name'] for t in openai} == TOOL_NAMES == {t['name'] for t in mcp}
    for tool, listed in zip(openai, mcp):
        assert tool['type'] == 'function'
        assert set(tool['function']) == {'name', 'description', 'parameters'}
        assert set(listed) == {'name', 'description', 'inputSchema'}
        schema = tool['function']['parameters']
        assert schema == listed['inputSchema'] and schema['type'] == 'object'
        assert tool['function']['description'].strip()
        assert schema_problems(schema) == [], tool['function']['name']
        assert json.loads(json.dumps(schema)) == schema
    # Callers may edit what they get without changing the tools.
    openai[0]['function']['parameters']['required'].append('tampered')
    assert 'tampered' not in openai_tools()[0]['function']['parameters']['required']


def test_tool_schemas_pass_the_json_schema_metaschema_when_jsonschema_is_installed():
    jsonschema = pytest.importorskip('jsonschema')
    for tool in TOOLS:
        jsonschema.Draft202012Validator.check_schema(dict(tool.parameters))


def test_the_schema_check_reports_what_breaks_a_schema():
    broken = {'type': 'object', 'properties': {'a': {'type': 'strin', 'pattern': '('},
                                               'b': {'type': 'integer', 'minimum': 'zero'}},
              'required': ['c'], 'dependentRequired': {'a': ['d']}, 'oneOf': []}
    problems = '\n'.join(schema_problems(broken))
    for expected in ('schema.a: type', 'schema.a: pattern', 'schema.b: minimum',
                     "['c'] are required", "['d'] are required", "unsupported keyword 'oneOf'"):
        assert expected in problems


def test_the_validator_checks_arguments_against_the_tool_schemas():
    remember = {t.name: t for t in TOOLS}['remember'].parameters
    assert validate(remember, {'text': 'A cup.', 'x': 1, 'y': 2.5, 'tags': ['object:cup']}) == []
    problems = validate(remember, {'text': '', 'x': True, 'yaw': 9.0, 'tags': ['Bad Tag'],
                                   'colour': 'red'})
    joined = '\n'.join(problems)
    for expected in ('text: must not be empty', 'x: must be a number', 'yaw: must be <=',
                     'tags[0]:', 'colour: unknown argument', 'y: is required with x'):
        assert expected in joined
    assert validate(remember, ['text']) == ['arguments: must be an object (got ["text"])']


@pytest.mark.parametrize('name, arguments, expected', [
    ('remember', {}, 'text: is required'),
    ('remember', {'text': 'A cup.', 'x': 1.0}, 'y: is required with x'),
    ('remember', '{"text": "A cup.", ', 'not valid JSON'),
    ('remember', '["A cup."]', 'must be an object'),
    ('recall', {'question': 'cup?', 'k': 0}, 'k: must be >= 1'),
    ('recall', {'question': 'cup?', 'k': 2.5}, 'k: must be an integer'),
    ('recall', {'question': 'cup?', 'limit': 3}, 'limit: unknown argument'),
    ('recall_near', {'question': 'cup?', 'x': 1.0, 'y': 2.0}, 'radius: is required'),
    ('recall_near', {'question': 'cup?', 'x': 1.0, 'y': 2.0, 'radius': -1}, 'must be > 0'),
    ('recall_since', {'question': 'cup?', 'seconds': 'an hour'}, 'seconds: must be a number'),
    ('forget_mission', {'mission_id': '../../etc'}, 'mission_id:'),
    ('teleport', {}, 'unknown tool'),
])
def test_bad_tool_arguments_give_ok_false_with_the_reason_and_reach_no_service(
        lonely_client, name, arguments, expected):
    result = ToolExecutor(lonely_client).execute(name, arguments)
    assert result['ok'] is False
    assert expected in result['error']
    # Rejected before the client: sent, it would have failed as unavailable.
    assert 'not available' not in result['error']


def test_every_tool_runs_end_to_end_through_the_memory_node_with_citations(make_memory):
    memory = make_memory()
    tools = ToolExecutor(MemoryClient(memory.probe))
    charger = tools.execute('remember', {'text': 'The charger is behind the sofa.', 'x': 1.0,
                                         'y': 2.0, 'tags': ['object:charger']})
    assert charger['ok'] and charger['where'] == '(1.00, 2.00)' and not charger['merged']
    plant = tools.execute('remember', '{"text": "A green plant by the far window."}')
    assert plant['ok'] and plant['where'] == 'unknown'

    recalled = tools.execute('recall', {'question': 'Where is the charger?', 'k': 2})
    assert recalled['ok'] and recalled['memories'][0]['id'] == charger['id']
    assert charger['id'] in recalled['cited_ids']
    first = recalled['memories'][0]
    assert set(first) == {'id', 'text', 'where', 'when', 'score'}
    assert first['where'] == '(1.00, 2.00)' and first['when'].endswith('+00:00')

    near = tools.execute('recall_near', {'question': 'What is here?', 'x': 1.5, 'y': 2.0,
                                         'radius': 1.0})
    assert [m['id'] for m in near['memories']] == [charger['id']]
    far = tools.execute('recall_near', {'question': 'What is here?', 'x': 50.0, 'y': 50.0,
                                        'radius': 1.0})
    assert far['ok'] and far['memories'] == [] and far['cited_ids'] == []
    recent = tools.execute('recall_since', {'question': 'What did we see?', 'seconds': 600})
    assert {m['id'] for m in recent['memories']} == {charger['id'], plant['id']}

    assert tools.execute('forget_mission', {'mission_id': 'm2'}) == {'ok': True, 'deleted': 0}
    assert tools.execute('forget_mission', {'mission_id': 'm1'}) == {'ok': True, 'deleted': 2}
    assert tools.execute('recall', {'question': 'Where is the charger?'})['memories'] == []


def test_a_tool_the_memory_refuses_gives_ok_false_with_the_nodes_reason(make_memory):
    memory = make_memory()
    tools = ToolExecutor(MemoryClient(memory.probe))
    # No mission on the client or in the call: the node refuses to forget everything.
    result = tools.execute('forget_mission', {})
    assert result['ok'] is False and 'refusing to forget everything' in result['error']
    unavailable = ToolExecutor(MemoryClient(memory.probe, namespace='/nobody', timeout_s=0.3))
    result = unavailable.execute('recall', {'question': 'anyone?'})
    assert result['ok'] is False and 'not available' in result['error']


# The documented example --------------------------------------------------------------------------

def test_the_minimal_example_plays_its_tool_calls_against_the_memory_node(make_memory):
    memory = make_memory()
    messages = load_example().converse(memory.probe)
    results = [json.loads(m['content']) for m in messages]
    assert [m['tool_call_id'] for m in messages] == ['call_1', 'call_2', 'call_3']
    assert all(r['ok'] for r in results), results
    assert results[1]['memories'][0]['id'] == results[0]['id']
    assert results[0]['id'] in results[1]['cited_ids']


@pytest.mark.parametrize('page', ['README.md', 'docs/agent.md'])
def test_the_docs_show_the_agent_example_as_it_is(page):
    guide = (ROOT / page).read_text().split('# Adding memory to your agent', 1)[1]
    example = (ROOT / 'examples' / 'minimal_agent.py').read_text()
    shown = guide.split('```python\n', 1)[1].split('```', 1)[0]
    assert shown.strip() and shown in example


# Separate processes ------------------------------------------------------------------------------

def executable(name):
    path = pathlib.Path(get_package_prefix('shadowhound_memory'), 'lib', 'shadowhound_memory',
                        name)
    assert path.is_file() and os.access(path, os.X_OK), f'{name} is not installed'
    return str(path)


def stop(process):
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.mark.slow
def test_example_agent_process_remembers_and_answers_with_citations_over_dds(tmp_path):
    namespace = f'agentx{os.getpid()}'
    log = tmp_path / 'processes.log'
    params = pathlib.Path(get_package_share_directory('shadowhound_memory'), 'config',
                          'memory.yaml')
    remap = ['-r', f'__ns:=/{namespace}']
    memory_node = subprocess.Popen(
        [executable('memory_node'), '--ros-args', '--params-file', str(params), *remap,
         '-p', f'store_path:={tmp_path / "store"}', '-p', 'mission_id:=xagent'],
        stdout=log.open('ab'), stderr=subprocess.STDOUT)
    agent = subprocess.Popen(
        [executable('example_agent'), '--ros-args', *remap, '-p', 'memory_timeout_s:=60.0'],
        stdout=log.open('ab'), stderr=subprocess.STDOUT)
    context = rclpy.Context()
    rclpy.init(context=context)
    probe = rclpy.create_node('agent_probe', namespace=namespace, context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(probe)
    spinner = SpinThread(executor, 'agent-probe').start()
    try:
        events, answers = [], []
        probe.create_subscription(MemoryRecord, 'memory/events', events.append, RELIABLE)
        probe.create_subscription(String, 'agent/answer', answers.append, RELIABLE)
        remember = probe.create_publisher(String, 'agent/remember', RELIABLE)
        question = probe.create_publisher(String, 'agent/question', RELIABLE)
        memory = MemoryClient(probe, timeout_s=60.0)

        def wait_for(predicate, what, timeout=90.0):
            deadline = time.monotonic() + timeout
            while not predicate():
                assert time.monotonic() < deadline, f'no {what}; log:\n{log.read_text()}'
                assert memory_node.poll() is None and agent.poll() is None, log.read_text()
                time.sleep(0.05)

        wait_for(memory.is_ready, 'memory services')
        wait_for(lambda: remember.get_subscription_count() and question.get_subscription_count()
                 and probe.count_publishers(f'/{namespace}/agent/answer'), 'example agent')
        remember.publish(String(data='The charger is behind the sofa.'))
        wait_for(lambda: events, 'memory event for the remembered text')
        assert events[0].text == 'The charger is behind the sofa.'
        question.publish(String(data='Where is the charger?'))
        wait_for(lambda: answers, 'answer on agent/answer')
        assert 'charger' in answers[0].data and events[0].id in answers[0].data
        assert f'cites: {events[0].id}' in answers[0].data

        example = subprocess.run(
            [sys.executable, str(ROOT / 'examples' / 'minimal_agent.py'), '--ros-args', *remap],
            capture_output=True, text=True, timeout=120)
        assert example.returncode == 0, example.stdout + example.stderr
        # "Where is X?" is planned as where-now: answered from the charger's latest sighting,
        # the example's own (1, 2), with the agent's earlier one as history.
        assert 'call_2: {"ok": true, "answer": "The charger was last seen at (1.0, 2.0)' in \
            example.stdout
        assert 'before that at an unknown place' in example.stdout
    finally:
        shutdown_spinning([spinner], [probe], context)
        codes = [stop(p) if p.poll() is None else p.returncode for p in (agent, memory_node)]
    assert codes == [0, 0], log.read_text()
