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
ingest_bag against the live node: the same messages, once over DDS and once from a bag.

The bag is written with rosbags (MCAP and sqlite3), ingested by the command-line tool in its own
process into a real Qdrant Edge store, and its memories (texts, poses, merged counts) must be the
ones the live memory node writes from the same odometry and observations.
"""

import math
import os
import subprocess
import sys
import time

from nav_msgs.msg import Odometry
import pytest
from rclpy.qos import QoSProfile, ReliabilityPolicy
from shadowhound_memory.domain.records import MemoryRecord as Record
from shadowhound_memory.msg import MemoryRecord, Observation
from shadowhound_memory.ros.bag_recorder import BagRecorder
from shadowhound_memory.ros.conversions import seconds_to_time
from shadowhound_memory.store.base import MemoryFilter
from shadowhound_memory.store.edge import EdgeStore
from shadowhound_memory.store.payload import read_info

pytestmark = pytest.mark.ros

RELIABLE = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
RATE_HZ = 20.0
DURATION_S = 6.0
# (seconds into the mission, text); the ball is seen three times near one place: merged.
SIGHTINGS = [(0.52, 'A red ball under the kitchen table.'),
             (0.61, 'A red ball under the kitchen table.'),
             (1.33, 'The charger is plugged in by the sofa.'),
             (2.47, 'A blue mug on the shelf.'),
             (0.70, 'A red ball under the kitchen table.'),
             (3.91, 'The garage door is open.'),
             (5.26, 'A person is waiting at the front door.')]
# Observed 2 s after the last odometry: no pose in either path.
LOST = (DURATION_S + 2.0, 'A green box somewhere in the dark.')


def path(t):
    # An arc at 0.3 m/s with a slow turn.
    return 0.3 * t * math.cos(0.1 * t), 0.3 * t * math.sin(0.1 * t), 0.1 * t


def odometry(stamp, t):
    x, y, yaw = path(t)
    msg = Odometry()
    msg.header.stamp = seconds_to_time(stamp)
    msg.header.frame_id = 'odom'
    msg.pose.pose.position.x, msg.pose.pose.position.y = x, y
    msg.pose.pose.orientation.z, msg.pose.pose.orientation.w = math.sin(yaw / 2), math.cos(yaw / 2)
    return msg


def observation(stamp, text):
    msg = Observation(text=text, source='camera', tags=['room:kitchen'])
    msg.header.stamp = seconds_to_time(stamp)
    return msg


def messages(t0):
    """Return (log time, topic, message) in recorded order: odometry, then what was seen."""
    out = [(t0 + i / RATE_HZ, 'odom', odometry(t0 + i / RATE_HZ, i / RATE_HZ))
           for i in range(int(DURATION_S * RATE_HZ) + 1)]
    # Perception reports 80 ms after the fact, as a real detector would.
    out += [(t0 + t + 0.08, 'observations', observation(t0 + t, text))
            for t, text in SIGHTINGS + [LOST]]
    return sorted(out, key=lambda item: item[0])


def final_memories(records):
    """Return text -> (pose or None, seen count) of the final state of each memory."""
    out = {}
    for record in records:
        pose = None if record.pose is None else (round(record.pose.x, 6),
                                                 round(record.pose.y, 6),
                                                 round(record.pose.yaw, 6))
        out[record.text] = (pose, record.seen_count)
    return out


def live_path(make_memory, t0):
    memory = make_memory(mission_id='bagged')
    events = {}
    memory.probe.create_subscription(MemoryRecord, 'memory/events',
                                     lambda m: events.__setitem__(m.id, m), RELIABLE)
    pubs = {topic: memory.probe.create_publisher(kind, topic, RELIABLE)
            for topic, kind in (('odom', Odometry), ('observations', Observation))}
    memory.wait_for(lambda: all(p.get_subscription_count() for p in pubs.values()),
                    what='the node subscriptions')
    expected_poses = 0
    for _, topic, msg in messages(t0):
        if topic == 'odom':
            expected_poses += 1
            # Best effort: re-send what the reader lost, as a live stream would send the next.
            for _ in range(40):
                pubs['odom'].publish(msg)
                deadline = time.monotonic() + 0.25
                while len(memory.node.poses) < expected_poses and time.monotonic() < deadline:
                    time.sleep(0.002)
                if len(memory.node.poses) >= expected_poses:
                    break
            assert len(memory.node.poses) == expected_poses
    for _, topic, msg in messages(t0):
        if topic == 'observations':
            pubs['observations'].publish(msg)
    total = len(SIGHTINGS) + 1
    memory.wait_for(lambda: memory.node.ingest.written >= total, timeout=120.0,
                    what=f'{total} observations written')
    memory.wait_for(lambda: sum(e.seen_count for e in events.values()) >= total, timeout=30.0,
                    what='the events of every observation')

    def as_record(msg):
        pose = {'x': msg.pose.x, 'y': msg.pose.y, 'yaw': msg.pose.yaw} if msg.pose.known \
            else None
        return Record(id=msg.id, event=msg.event, text=msg.text, pose=pose, tags=list(msg.tags),
                      mission_id=msg.mission_id, timestamp=1.0, seen_count=msg.seen_count)
    return final_memories(as_record(e) for e in events.values())


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_a_bag_gives_the_memories_the_live_node_writes(make_memory, tmp_path, storage):
    t0 = time.time() - 600.0
    bag = tmp_path / 'patrol-7'
    recorder = BagRecorder(bag, storage)
    for log_time, topic, msg in messages(t0):
        recorder.write(f'/{topic}', msg, log_time)
    recorder.close()

    store_path = tmp_path / 'ingested'
    env = {k: v for k, v in os.environ.items() if k != '_ROS_WHEELS_BOOTSTRAP_COMPLETE'}
    done = subprocess.run(
        [sys.executable, '-m', 'shadowhound_memory.cli.ingest_bag', str(bag), '--store-path',
         str(store_path), '--no-progress', '--map-png', str(tmp_path / 'map.png')],
        capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr + done.stdout
    assert 'mission patrol-7' in done.stdout
    assert '8 observations and 121 poses read: 6 memories stored, 2 merged' in done.stdout
    assert '1 stored without a pose' in done.stdout
    assert 'pose /odom (odometry)' in done.stdout
    assert (tmp_path / 'map.png').stat().st_size > 10_000
    assert 'map: ' in done.stdout and '5 memories (1 merged sightings, 1 without a pose' \
        in done.stdout

    store = EdgeStore(store_path)
    try:
        store.open_collection(read_info(str(store_path / 'collection.json')))
        ingested = store.scroll(MemoryFilter(mission_ids=('patrol-7',)), None)
    finally:
        store.close()
    from_bag = final_memories(ingested)
    live = live_path(make_memory, t0)
    assert from_bag == live
    assert from_bag['A red ball under the kitchen table.'][1] == 3
    assert from_bag[LOST[1]] == (None, 1)
    # Interpolated linearly between 20 Hz samples of the arc: within the chord's sag of it.
    x, y, yaw = path(1.33)
    assert from_bag['The charger is plugged in by the sofa.'][0] == pytest.approx(
        (x, y, yaw), abs=1e-4)
