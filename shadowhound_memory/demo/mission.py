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
The demo mission: start the memory node, drive a synthetic robot through a house, ask questions.

The node runs as its own process, as `ros2 run` starts it, on a fresh embedded store. The mission
is placed so that it ends now and is played faster than real time: odometry at 30 Hz of mission
time, observations when the robot passes objects, every message stamped with mission time, so
the node interpolates poses exactly as on a robot. Then the agent's questions go through the
Recall service and the answers are printed with poses and citations.

    python -m shadowhound_memory.demo.mission [--speed 5] [--seed 0] [--store-path DIR] [--keep]
"""

import argparse
import math
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from ament_index_python.packages import get_package_share_directory
from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
from shadowhound_memory.msg import MemoryRecord, Observation
from shadowhound_memory.retrieval.answer import describe_age
from shadowhound_memory.ros.conversions import seconds_to_time, time_to_seconds
from shadowhound_memory.srv import Recall
from shadowhound_memory.synthetic.world import make_mission, Mission, room_of

QUESTIONS: list[tuple[str, dict[str, Any]]] = [
    ('Where did we see the red ball?', {}),
    ('What was in the kitchen?', {}),
    ('What was in the kitchen?', {'tags_any': ['room:kitchen']}),
    ('What did we see in the last minute?', {'within_last_s': 60.0}),
]


class Demo:
    """The demo's own ROS side: publishers, the events listener and the Recall client."""

    def __init__(self) -> None:
        self.node = rclpy.create_node('demo_mission')
        self.odom = self.node.create_publisher(Odometry, 'odom', qos_profile_sensor_data)
        self.observations = self.node.create_publisher(
            Observation, 'observations', QoSProfile(depth=100,
                                                    reliability=ReliabilityPolicy.RELIABLE))
        self.events: dict[str, MemoryRecord] = {}
        self.event_count = 0
        self.node.create_subscription(MemoryRecord, 'memory/events', self._on_event,
                                      QoSProfile(depth=1000,
                                                 reliability=ReliabilityPolicy.RELIABLE))
        self.recall: Any = self.node.create_client(Recall, 'recall')
        self.diagnostics: dict[str, str] = {}
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 10)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name.startswith('memory_node'):
                self.diagnostics = {kv.key: kv.value for kv in status.values}

    def _on_event(self, msg: MemoryRecord) -> None:
        self.events[msg.id] = msg
        self.event_count += 1

    def call(self, request: Recall.Request, timeout: float = 60.0) -> Recall.Response:
        done = threading.Event()
        future = self.recall.call_async(request)
        future.add_done_callback(lambda _: done.set())
        if not done.wait(timeout) or future.result() is None:
            raise RuntimeError('the recall service did not answer in time')
        response: Recall.Response = future.result()
        return response

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


def odometry(stamp: float, x: float, y: float, yaw: float) -> Odometry:
    msg = Odometry()
    msg.header.stamp = seconds_to_time(stamp)
    msg.header.frame_id = 'odom'
    msg.child_frame_id = 'base_link'
    msg.pose.pose.position.x = x
    msg.pose.pose.position.y = y
    msg.pose.pose.orientation.z = math.sin(yaw / 2.0)
    msg.pose.pose.orientation.w = math.cos(yaw / 2.0)
    return msg


def start_node(store: str, mission_id: str, speed: float,
               log: pathlib.Path) -> subprocess.Popen:
    params = os.path.join(get_package_share_directory('shadowhound_memory'), 'config',
                          'memory.yaml')
    # Played `speed` times faster, a wall-clock hiccup leaves a `speed` times longer gap in
    # mission-time odometry: widen the gap bound in proportion.
    return subprocess.Popen(
        [sys.executable, '-m', 'shadowhound_memory.ros.memory_node', '--ros-args',
         '-r', '__node:=memory_node', '--params-file', params, '-p', f'store_path:={store}',
         '-p', f'mission_id:={mission_id}', '-p', f'pose_max_gap_s:={0.5 * max(1.0, speed)}'],
        stdout=log.open('w'), stderr=subprocess.STDOUT)


def play(demo: Demo, mission: Mission, speed: float) -> int:
    """Publish the mission's odometry and observations in mission time; return observations."""
    poses = mission.poses(rate_hz=30.0)
    pending = list(mission.observations)
    interactive = sys.stdout.isatty()
    wall_start = time.monotonic()
    next_report = 0.2
    sent = 0
    for t, x, y, yaw in poses:
        while time.monotonic() - wall_start < t / speed:
            time.sleep(0.002)
        demo.odom.publish(odometry(mission.start_time + t, x, y, yaw))
        while pending and pending[0].t <= t:
            obs = pending.pop(0)
            # The robot's semantic map knows which room it is in, as on a real robot.
            msg = Observation(text=obs.text, source=obs.source,
                              tags=list(obs.tags) + [f'room:{obs.room}'],
                              confidence=obs.confidence)
            msg.header.stamp = seconds_to_time(mission.start_time + obs.t)
            msg.header.frame_id = 'map'
            demo.observations.publish(msg)
            sent += 1
        progress = t / mission.duration_s
        line = (f'  mission {t:6.1f}/{mission.duration_s:.0f} s  {room_of(x, y):<12}  '
                f'observations sent {sent:3d}  memory events {demo.event_count:3d}')
        if interactive:
            print('\r' + line, end='', flush=True)
        elif progress >= next_report:
            print(line, flush=True)
            next_report += 0.2
    if interactive:
        print()
    return sent


def wait_settled(demo: Demo, timeout: float = 20.0) -> None:
    """Wait until memory events stop arriving for 2 s."""
    deadline = time.monotonic() + timeout
    last_count, last_change = demo.event_count, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if demo.event_count != last_count:
            last_count, last_change = demo.event_count, time.monotonic()
        elif time.monotonic() - last_change > 2.0:
            return


def show(question: str, filters: dict[str, Any], response: Recall.Response,
         rtt_ms: float) -> None:
    described = ', '.join(f'{k}={v}' for k, v in filters.items())
    print(f'\nQ: {question}' + (f'   [{described}]' if described else ''))
    if not response.success:
        print(f'   failed: {response.message}')
        return
    now = time.time()
    for memory in response.memories:
        where = (f'({memory.pose.x:5.2f}, {memory.pose.y:5.2f}, yaw {memory.pose.yaw:+.2f})'
                 if memory.pose.known else 'pose unknown')
        seen = f' seen x{memory.seen_count}' if memory.seen_count > 1 else ''
        print(f'   {memory.score:.2f}  {memory.text:<55.55} {where}  '
              f'{describe_age(now - time_to_seconds(memory.timestamp))}{seen}  [{memory.id[:8]}]')
    print(f'A: {response.answer}')
    print(f"   cites {', '.join(i[:8] for i in response.cited_ids) or 'nothing'}; "
          f'{response.latency_ms:.1f} ms in the node, {rtt_ms:.1f} ms round trip')


def run(args: argparse.Namespace) -> int:
    store = args.store_path or tempfile.mkdtemp(prefix='shadowhound-demo-store-')
    log = pathlib.Path(tempfile.mkdtemp(prefix='shadowhound-demo-log-')) / 'memory_node.log'
    probe_mission = make_mission(seed=args.seed)
    mission = make_mission(seed=args.seed, mission_id=f'demo-{int(time.time())}',
                           start_time=time.time() - probe_mission.duration_s)
    print(f'shadowhound_memory demo: mission {mission.mission_id}, '
          f'{mission.duration_s:.0f} s route through {len(mission.objects)} objects, '
          f'played at {args.speed:g}x; store {store}')
    started = time.monotonic()
    node = start_node(store, mission.mission_id, args.speed, log)
    rclpy.init()
    demo = Demo()
    code = 1
    try:
        while not demo.recall.wait_for_service(timeout_sec=0.2):
            if node.poll() is not None or time.monotonic() - started > 90:
                print(f'the memory node did not come up; its log: {log}', file=sys.stderr)
                return 1
        print(f'memory node ready in {time.monotonic() - started:.1f} s (cold start)')
        # Play the mission so that it ends now: shift its start by the playing time.
        mission.start_time += mission.duration_s / args.speed
        sent = play(demo, mission, args.speed)
        wait_settled(demo)
        latencies, rtts = [], []
        for question, filters in QUESTIONS:
            request = Recall.Request(question=question, k=4, synthesize=True, **filters)
            t0 = time.perf_counter()
            response = demo.call(request)
            rtt = (time.perf_counter() - t0) * 1000.0
            show(question, filters, response, rtt)
            if not response.success:
                return 1
            latencies.append(response.latency_ms)
            rtts.append(rtt)
        merged = sum(max(0, m.seen_count - 1) for m in demo.events.values())
        print(f'\nsummary: {sent} observations sent, {len(demo.events)} memories written, '
              f'{merged} repeat sightings merged; recall p50 {statistics.median(latencies):.1f} '
              f'ms in the node, {statistics.median(rtts):.1f} ms round trip')
        unknown = demo.diagnostics.get('ingest_poses_unknown', '?')
        if unknown not in ('0', '?'):
            reason = demo.diagnostics.get('last_pose_problem')
            print(f'         {unknown} observations without a pose; last reason: {reason}')
        code = 0
    finally:
        demo.close()
        rclpy.try_shutdown()
        node.send_signal(signal.SIGINT)
        try:
            node.wait(timeout=20)
        except subprocess.TimeoutExpired:
            node.kill()
        if not args.keep and not args.store_path:
            shutil.rmtree(store, ignore_errors=True)
    return code


def main() -> int:
    """Parse arguments and play the demo mission."""
    parser = argparse.ArgumentParser(description='Play a demo mission against the memory node.')
    parser.add_argument('--speed', type=float, default=5.0,
                        help='mission time per wall-clock second (default 5)')
    parser.add_argument('--seed', type=int, default=0, help='which synthetic mission')
    parser.add_argument('--store-path', default='',
                        help='store folder (default: a fresh temporary one, removed after)')
    parser.add_argument('--keep', action='store_true', help='keep the temporary store')
    return run(parser.parse_args())


if __name__ == '__main__':
    raise SystemExit(main())
