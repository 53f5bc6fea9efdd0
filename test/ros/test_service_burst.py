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
A burst of concurrent requests through real DDS: every one answered, done or refused as busy.

Before admission, requests beyond the service's DDS history were overwritten unseen: never
answered, never carried out, nothing logged.
"""

import threading
import time

import pytest
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from shadowhound_memory.srv import Recall, WriteMemory

pytestmark = pytest.mark.ros

KEEP_ALL = QoSProfile(history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE)
REQUESTS = 120


def test_a_burst_is_answered_in_full_with_busy_refusals_counted(make_memory):
    memory = make_memory(service_queue_size=8, service_workers=1)
    writes = memory.probe.create_client(WriteMemory, 'write_memory', qos_profile=KEEP_ALL)
    recalls = memory.probe.create_client(Recall, 'recall', qos_profile=KEEP_ALL)
    assert writes.wait_for_service(timeout_sec=60) and recalls.wait_for_service(timeout_sec=60)
    answers: dict[int, object] = {}
    lock = threading.Lock()
    all_done = threading.Event()

    def answered(index, future):
        with lock:
            answers[index] = future.result()
            if len(answers) == REQUESTS:
                all_done.set()
    for i in range(REQUESTS):
        if i % 2:
            future = recalls.call_async(Recall.Request(question=f'crate {i}?'))
        else:
            future = writes.call_async(WriteMemory.Request(
                text=f'Crate number {i} stands in aisle {i}.', mission_id=f'burst{i}'))
        future.add_done_callback(lambda f, i=i: answered(i, f))
    # Generous: 120 requests need a few seconds; the deadline only ends a test that would hang.
    all_done.wait(300)
    assert len(answers) == REQUESTS, f'{REQUESTS - len(answers)} requests never answered'
    busy = [a for a in answers.values() if not a.success and a.message.startswith('busy:')]
    other_failures = [a.message for a in answers.values()
                      if not a.success and not a.message.startswith('busy:')]
    assert not other_failures
    assert busy, 'a burst of 120 against a queue of 8 should refuse some as busy'
    stored = [a for i, a in answers.items() if i % 2 == 0 and a.success]
    assert memory.node.service.count() == len(stored)
    values = {kv.key: kv.value for kv in memory.node.diagnostics_status().values}
    assert int(values['service_busy_refusals']) == len(busy)
    deadline = time.monotonic() + 30
    while int(values['service_pending']) and time.monotonic() < deadline:
        time.sleep(0.05)
        values = {kv.key: kv.value for kv in memory.node.diagnostics_status().values}
    assert values['service_pending'] == '0'
