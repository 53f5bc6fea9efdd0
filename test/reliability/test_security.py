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
Security through a real node process: API keys, mission isolation, forgetting, anonymization.

API keys are only read from the environment (there is no parameter for them) and must never
appear in the node's log, its ROS log files, /diagnostics, its parameters or a service answer.
"""

import json
import os
import pathlib
import threading
import time

from backend import free_port, start_stand_in
from common import dump_store, NodeProcess
from diagnostic_msgs.msg import DiagnosticArray
import pytest
from rcl_interfaces.srv import GetParameters, ListParameters
from shadowhound_memory.msg import MemoryPose
from shadowhound_memory.srv import Forget, Recall, WriteMemory

pytestmark = [pytest.mark.ros, pytest.mark.slow]

QDRANT_SECRET = 'qdrant-secret-7f3a9c1e'
OPENAI_SECRET = 'sk-openai-secret-52be04d9'
# Generous, for a machine whose cores are all busy.
DIAGNOSTICS_S = 60.0


def everything_under(folder):
    text = []
    for path in pathlib.Path(folder).rglob('*'):
        if path.is_file():
            text.append(path.read_text(errors='replace'))
    return '\n'.join(text)


def test_api_keys_come_from_the_environment_and_are_never_logged_or_echoed(probe, tmp_path):
    port = free_port()
    seen = tmp_path / 'requests.jsonl'
    stand_in = start_stand_in('503', port, seen)
    namespace = 'sec_keys'
    node = NodeProcess(namespace, tmp_path / 'node.log',
                       {'store_path': tmp_path / 'store', 'store_url': f'http://127.0.0.1:{port}',
                        'mission_id': 'sec'},
                       env={'QDRANT_API_KEY': QDRANT_SECRET, 'OPENAI_API_KEY': OPENAI_SECRET})
    diagnostics = []
    lock = threading.Lock()

    def on_diagnostics(msg):
        with lock:
            diagnostics.append(str(msg))

    probe.node.create_subscription(DiagnosticArray, '/diagnostics', on_diagnostics, 10)
    answers = []
    try:
        node.start()
        write = WriteMemory.Request(text='The charger is behind the sofa.',
                                    pose=MemoryPose(x=1.0, y=2.0, known=True))
        probe.wait_ready(WriteMemory, f'/{namespace}/write_memory', write, node)
        answers.append(probe.call(Recall, f'/{namespace}/recall',
                                  Recall.Request(question='where is the charger?')))
        names = probe.call(ListParameters, f'/{namespace}/memory_node/list_parameters',
                           ListParameters.Request())
        values = probe.call(GetParameters, f'/{namespace}/memory_node/get_parameters',
                            GetParameters.Request(names=names.result.names))
        # The node's own diagnostics (published every second), however busy the machine.
        deadline = time.monotonic() + DIAGNOSTICS_S
        while not any('qdrant-server' in text for text in list(diagnostics)):
            assert time.monotonic() < deadline, f'no /diagnostics within {DIAGNOSTICS_S} s'
            time.sleep(0.1)
    finally:
        node.stop()
        stand_in.kill()
        stand_in.wait()
    # The key is used: the server got it, from the environment, in Qdrant's api-key header.
    headers = [json.loads(line)['headers'] for line in seen.read_text().splitlines()]
    assert any(h.get('api-key') == QDRANT_SECRET for h in headers)
    assert not any(n.endswith('api_key') or n.endswith('token') for n in names.result.names)
    with lock:
        assert diagnostics, 'no /diagnostics received'
        published = '\n'.join(diagnostics)
    exposed = '\n'.join([published, str(values), str(answers), node.log.read_text(),
                         everything_under(os.environ['ROS_LOG_DIR'])])
    for secret in (QDRANT_SECRET, OPENAI_SECRET):
        assert secret not in exposed
    assert 'qdrant-server' in published


def start(probe, folder, namespace):
    made = NodeProcess(namespace, folder / 'node.log',
                       {'store_path': folder / 'store', 'mission_id': 'home',
                        'anonymize': 'true'})
    made.start()
    probe.wait_ready(Recall, f'/{namespace}/recall', Recall.Request(question='ready?'), made)
    return made


@pytest.fixture(scope='module')
def shared(tmp_path_factory):
    """One node for the tests that need no restart (each node start costs seconds)."""
    from common import Probe
    probe = Probe('security_probe')
    folder = tmp_path_factory.mktemp('shared')
    made = start(probe, folder, 'sec_node')
    yield probe, folder
    made.kill()
    probe.close()


def write(probe, text, mission, x, namespace='sec_node'):
    response = probe.call(WriteMemory, f'/{namespace}/write_memory', WriteMemory.Request(
        text=text, mission_id=mission, pose=MemoryPose(x=x, y=0.0, known=True)))
    assert response.success, response.message
    return response.record


def recall_ids(probe, **fields):
    response = probe.call(Recall, '/sec_node/recall',
                          Recall.Request(question='Where is the golden key?', k=10, **fields))
    assert response.success, response.message
    return {m.id for m in response.memories}


def test_missions_stay_isolated_through_the_node_unless_a_recall_asks_across(shared):
    probe, _ = shared
    secret = write(probe, 'The golden key is in the blue vase.', 'alpha', 1.0)
    other = write(probe, 'The golden key of the neighbours is under the mat.', 'beta', 9.0)
    assert recall_ids(probe, mission_id='beta') == {other.id}
    assert recall_ids(probe) == set()
    assert recall_ids(probe, all_missions=True) >= {secret.id, other.id}
    deleted = probe.call(Forget, '/sec_node/forget', Forget.Request(mission_id='beta'))
    assert deleted.success and deleted.deleted == 1
    assert recall_ids(probe, mission_id='alpha') == {secret.id}


def test_with_anonymize_on_no_personal_data_reaches_the_disk(shared):
    probe, folder = shared
    response = probe.call(WriteMemory, '/sec_node/write_memory', WriteMemory.Request(
        text='Erin Novak (erin@example.com, +44 20 7946 0958) left her bag by the door.',
        tags=['person:erin_novak'], pose=MemoryPose(x=1.0, y=1.0, known=True)))
    assert response.success, response.message
    assert response.record.text == '[person] ([email], [phone]) left her bag by the door.'
    assert 'person' in response.record.tags and response.record.event == 'person_seen'
    # Acknowledged means in the WAL: every byte under the store, not only what a read returns.
    raw = b''.join(p.read_bytes() for p in (folder / 'store').rglob('*') if p.is_file())
    for personal in (b'Erin', b'Novak', b'example.com', b'7946'):
        assert personal not in raw


def test_forget_removes_memories_from_the_store_a_new_process_opens(probe, tmp_path):
    node = start(probe, tmp_path, 'sec_forget')
    try:
        gone = write(probe, 'The spare key is taped under the desk.', 'home', 1.0, 'sec_forget')
        kept = write(probe, 'The plant in the hall needs water.', 'home', 5.0, 'sec_forget')
        other = write(probe, 'The door code is on the fridge.', 'visit', 9.0, 'sec_forget')
        answers = [probe.call(Forget, '/sec_forget/forget', Forget.Request(ids=[gone.id])),
                   probe.call(Forget, '/sec_forget/forget', Forget.Request(mission_id='visit'))]
    finally:
        node.kill()
    assert [(a.success, a.deleted) for a in answers] == [(True, 1), (True, 1)]
    stored = dump_store(tmp_path / 'store')
    assert [r['id'] for r in stored] == [kept.id]
    raw = b''.join(p.read_bytes() for p in (tmp_path / 'store').rglob('*') if p.is_file())
    assert b'spare key' not in raw and b'door code' not in raw
    assert {other.id, gone.id}.isdisjoint(r['id'] for r in stored)
