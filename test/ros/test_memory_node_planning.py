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
Query planning and tracks through the real memory node.

The plan in the trace and the answer, the recall_planner parameter, the locate service, the
client and the agent tools.
"""

import json
import time

import pytest
from rclpy.qos import QoSProfile, ReliabilityPolicy
from shadowhound_memory.agent.tools import ToolExecutor
from shadowhound_memory.msg import MemoryPose, RecallTrace
from shadowhound_memory.retrieval.planning import QueryPlan
from shadowhound_memory.ros.conversions import seconds_to_time
from shadowhound_memory.ros.memory_client import MemoryClient
from shadowhound_memory.srv import Locate, Recall, WriteMemory
from test_memory_node import set_parameter

pytestmark = pytest.mark.ros

RELIABLE = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)


def write(harness, text, pose, age_s, tags=()):
    request = WriteMemory.Request(text=text, tags=list(tags),
                                  stamp=seconds_to_time(time.time() - age_s))
    request.pose = MemoryPose(x=pose[0], y=pose[1], yaw=0.0, known=True)
    response = harness.call(WriteMemory, 'write_memory', request)
    assert response.success, response.message
    return response.record


def moved_ball(harness):
    """Write a red ball seen in the kitchen, then in the office; Alice seen once."""
    return [write(harness, 'Red ball under the kitchen table.', (1.0, 1.0), 1800,
                  ['object:red_ball', 'room:kitchen']),
            write(harness, 'Alice is standing by the door.', (6.0, 4.0), 1200,
                  ['person:alice']),
            write(harness, 'Spotted a red ball next to the printer.', (7.5, 8.0), 600,
                  ['object:red_ball', 'room:office'])]


def test_the_plan_is_in_the_answer_and_the_trace_and_where_now_is_the_latest_sighting(
        make_memory):
    memory = make_memory()
    traces = []
    memory.probe.create_subscription(RecallTrace, 'memory/recall_trace', traces.append,
                                     RELIABLE)
    kitchen, _, office = moved_ball(memory)
    response = memory.call(Recall, 'recall', Recall.Request(question='Where is the red ball now?'))
    assert response.success, response.message
    plan = QueryPlan.model_validate_json(response.plan_json)
    assert (plan.planner, plan.intent, plan.tags_any) == ('rules', 'where_now',
                                                          ['object:red_ball'])
    assert response.memories[0].id == office.id
    assert response.cited_ids[0] == office.id and kitchen.id in response.cited_ids
    assert 'last seen' in response.answer and 'office' in response.answer
    tracks = json.loads(response.tracks_json)
    assert tracks[0]['last']['memory_id'] == office.id
    assert tracks[0]['rooms'] == ['kitchen', 'office']
    memory.wait_for(lambda: traces, what='a recall trace')
    assert json.loads(traces[-1].plan_json) == json.loads(response.plan_json)


def test_recall_planner_is_set_live_and_bad_values_are_refused_with_a_reason(make_memory):
    memory = make_memory()
    _, alice, office = moved_ball(memory)
    assert set_parameter(memory, 'recall_planner', 'none').successful
    response = memory.call(Recall, 'recall', Recall.Request(question='Where is the red ball now?'))
    assert QueryPlan.model_validate_json(response.plan_json).planner == 'none'
    assert response.tracks_json == ''
    rejected = set_parameter(memory, 'recall_planner', 'magic')
    assert not rejected.successful and 'recall_planner' in rejected.reason
    rejected = set_parameter(memory, 'recall_planner', 'llm')
    assert not rejected.successful and 'llm_url' in rejected.reason
    assert set_parameter(memory, 'recall_planner', 'rules').successful
    response = memory.call(Recall, 'recall', Recall.Request(question='Where is the red ball now?'))
    assert QueryPlan.model_validate_json(response.plan_json).planner == 'rules'
    assert response.memories[0].id == office.id
    # A request's own filters win over the plan: the tag asked for is Alice's.
    request = Recall.Request(question='Where is the red ball now?', tags_any=['person:alice'])
    asked = memory.call(Recall, 'recall', request)
    assert [m.id for m in asked.memories] == [alice.id]


def test_locate_answers_the_latest_sighting_by_tag_or_name(make_memory):
    memory = make_memory()
    kitchen, alice, office = moved_ball(memory)
    found = memory.call(Locate, 'locate', Locate.Request(name='red ball'))
    assert found.success and found.found and found.tag == 'object:red_ball'
    assert (found.last.id, found.first.id) == (office.id, kitchen.id)
    assert (found.seen_count, found.memories, list(found.rooms)) == (2, 2, ['kitchen', 'office'])
    assert [m.id for m in found.history] == [office.id, kitchen.id]
    assert memory.call(Locate, 'locate', Locate.Request(name='person:alice')).last.id == alice.id
    never = memory.call(Locate, 'locate', Locate.Request(name='purple unicorn'))
    assert never.success and not never.found and 'no object or person' in never.message
    bad = memory.call(Locate, 'locate', Locate.Request(name='red ball', mission_id='bad id!'))
    assert not bad.success and 'mission_id' in bad.message


def test_the_client_and_the_tools_carry_the_plan_and_the_tracks(make_memory):
    memory = make_memory()
    kitchen, alice, office = moved_ball(memory)
    client = MemoryClient(memory.probe)
    answer = client.recall('When did we last see Alice?')
    assert answer.plan['intent'] == 'when_last' and answer.tracks[0]['tag'] == 'person:alice'
    located = client.locate('red ball')
    assert located.found and located.last.id == office.id
    assert located.rooms == ('kitchen', 'office')
    tools = ToolExecutor(client)
    where = tools.execute('locate', {'name': 'red ball'})
    assert where['ok'] and where['found'] and where['id'] == office.id
    assert where['where'] == '(7.50, 8.00)' and where['room'] == 'office'
    assert [s['id'] for s in where['earlier']] == [kitchen.id]
    when = tools.execute('last_seen', {'name': 'Alice'})
    assert when['ok'] and when['id'] == alice.id and when['seen_count'] == 1
    assert tools.execute('last_seen', {'name': 'purple unicorn'})['found'] is False
    recalled = tools.execute('recall', {'question': 'Where is the red ball now?'})
    assert recalled['plan']['intent'] == 'where_now'
    assert recalled['memories'][0]['id'] == office.id
