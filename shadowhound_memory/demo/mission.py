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
is placed so that it ends when its playback ends, and is played faster than real time: odometry
at 30 Hz of mission time, observations when the robot passes things, every message stamped with
mission time, so the node interpolates poses exactly as on a robot. Then the agent's questions go
through the Recall service and the answers are printed with poses and citations.

    python -m shadowhound_memory.demo.mission [--speed 5] [--seed 0] [--store-path DIR] [--keep]
        [--record-bag DIR] [--map-png FILE]

--record-bag writes what the demo publishes (odometry, observations) to an MCAP bag that
`ingest_bag` turns into the same memories; --map-png draws the path, the memories and the cited
answers.
"""

import argparse
from collections.abc import Callable
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
from shadowhound_memory.retrieval.planning import QueryPlan
from shadowhound_memory.ros.bag_recorder import BagRecorder
from shadowhound_memory.ros.conversions import seconds_to_time, time_to_seconds
from shadowhound_memory.ros.spinning import shutdown_spinning, SpinThread
from shadowhound_memory.srv import Recall
from shadowhound_memory.synthetic.world import make_mission, Mission
from shadowhound_memory.viz.mission_map import draw_mission_map, MapMemory, Question

ODOM_RATE_HZ = 30.0
# Odometry of the robot standing at its start before the mission: live before any observation,
# as on a robot, so the first observation has a pose to be stamped with.
PREROLL_S = 1.0
PROGRESS_PERIOD_S = 0.1
NODE_START_TIMEOUT_S = 60.0
RECALL_TIMEOUT_S = 30.0
SETTLE_QUIET_S = 2.0
SETTLE_TIMEOUT_S = 20.0
QUESTIONS: list[tuple[str, dict[str, Any]]] = [
    ('Where did we see the red ball?', {}),
    ('What was in the kitchen?', {}),
    ('What was in the kitchen?', {'tags_any': ['room:kitchen']}),
    ('What did we see in the last minute?', {'within_last_s': 60.0}),
    # No filters: the node's query planner reads "now" and the time window from the words.
    ('Where is the red ball now?', {}),
    ('What did we see in the last two minutes?', {}),
]


class DemoError(Exception):
    """A step of the demo failed; the message says which and where to look."""


class Demo:
    """The demo's own ROS side: publishers, the events listener and the Recall client."""

    def __init__(self) -> None:
        self.node = rclpy.create_node('demo_mission')
        self.odom = self.node.create_publisher(Odometry, 'odom', qos_profile_sensor_data)
        self.observations = self.node.create_publisher(
            Observation, 'observations',
            QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE))
        self.events: dict[str, MemoryRecord] = {}
        self.event_count = 0
        self.node.create_subscription(
            MemoryRecord, 'memory/events', self._on_event,
            QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE))
        self.diagnostics: dict[str, str] = {}
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 10)
        self.recall: Any = self.node.create_client(Recall, 'recall')
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.spinner = SpinThread(self.executor, 'demo-spin').start()

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name.startswith('memory_node'):
                self.diagnostics = {kv.key: kv.value for kv in status.values}

    def _on_event(self, msg: MemoryRecord) -> None:
        # A merged sighting republishes its record: the latest copy has the seen count.
        self.events[msg.id] = msg
        self.event_count += 1

    def connected(self) -> bool:
        """Return whether the node listens to what the demo publishes and vice versa."""
        return (self.odom.get_subscription_count() > 0
                and self.observations.get_subscription_count() > 0
                and self.node.count_publishers('memory/events') > 0)

    def call(self, request: Recall.Request) -> Recall.Response:
        """Call Recall and wait for the answer on the demo's executor thread."""
        done = threading.Event()
        future = self.recall.call_async(request)
        future.add_done_callback(lambda _: done.set())
        if not done.wait(RECALL_TIMEOUT_S):
            self.recall.remove_pending_request(future)
            raise DemoError(f'recall did not answer within {RECALL_TIMEOUT_S:.0f} s')
        response: Recall.Response | None = future.result()
        if response is None:
            raise DemoError(f'recall failed: {future.exception()!r}')
        return response

    def close(self) -> None:
        """Stop spinning, destroy the demo's node and shut rclpy down, in that order."""
        shutdown_spinning([self.spinner], [self.node])


def odometry(stamp: float, x: float, y: float, yaw: float) -> Odometry:
    """Return the odometry message of a planar pose at a stamp."""
    msg = Odometry()
    msg.header.stamp = seconds_to_time(stamp)
    # The simulated robot knows its map pose; the node refuses odometry outside map_frame.
    msg.header.frame_id = 'map'
    msg.child_frame_id = 'base_link'
    msg.pose.pose.position.x = x
    msg.pose.pose.position.y = y
    msg.pose.pose.orientation.z = math.sin(yaw / 2.0)
    msg.pose.pose.orientation.w = math.cos(yaw / 2.0)
    return msg


def start_node(store: str, mission_id: str, speed: float,
               log: pathlib.Path) -> subprocess.Popen[bytes]:
    """Start memory_node as its own process, as `ros2 run` would, logging to a file."""
    params = os.path.join(get_package_share_directory('shadowhound_memory'), 'config',
                          'memory.yaml')
    # Played `speed` times faster, a wall-clock hiccup leaves a `speed` times longer gap in
    # mission-time odometry, and odometry lagging by a wall-clock moment is `speed` times
    # further behind in mission time: widen both bounds (defaults 0.5 s and 0.3 s) in proportion.
    command = [sys.executable, '-m', 'shadowhound_memory.ros.memory_node', '--ros-args',
               '-r', '__node:=memory_node', '--params-file', params,
               '-p', f'store_path:={store}', '-p', f'mission_id:={mission_id}',
               '-p', f'pose_max_gap_s:={0.5 * speed}', '-p', f'pose_wait_s:={0.3 * speed}']
    with log.open('wb') as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def log_tail(log: pathlib.Path, lines: int = 15) -> str:
    """Return the last lines of the node's log, indented, for a failure message."""
    try:
        text = log.read_text(errors='replace').splitlines()[-lines:]
    except OSError:
        return ''
    return ''.join(f'\n    {line}' for line in text)


def wait_for_node(demo: Demo, node: subprocess.Popen[bytes], log: pathlib.Path) -> float:
    """Wait for the recall service and the topics to connect; return the cold start in s."""
    started = time.monotonic()
    while not (demo.recall.service_is_ready() and demo.connected()):
        time.sleep(0.05)
        if node.poll() is not None:
            raise DemoError(f'the memory node exited with code {node.returncode} before it was '
                            f'ready; its log: {log}{log_tail(log)}')
        if time.monotonic() - started > NODE_START_TIMEOUT_S:
            raise DemoError(f'the memory node was not ready within {NODE_START_TIMEOUT_S:.0f} '
                            f's (no recall service or topics); its log: {log}{log_tail(log)}')
    return time.monotonic() - started


def play(demo: Demo, mission: Mission, speed: float, alive: Callable[[], bool],
         recorder: BagRecorder | None = None) -> int:
    """Publish the mission's odometry and observations in mission time; return how many sent."""
    start = mission.odometry_at(0.0)
    preroll = [(i / ODOM_RATE_HZ - PREROLL_S, *start)
               for i in range(int(PREROLL_S * ODOM_RATE_HZ))]
    pending = list(mission.observations)
    interactive = sys.stdout.isatty()
    wall_start = time.monotonic()
    shown_at = 0.0
    reported = 0
    sent = 0
    samples = preroll + mission.poses(rate_hz=ODOM_RATE_HZ)
    for i, (t, x, y, yaw) in enumerate(samples):
        while (delay := (t + PREROLL_S) / speed - (time.monotonic() - wall_start)) > 0.0:
            time.sleep(min(delay, 0.005))
        # Odometry first, so the node has the pose of every observation stamped at t.
        odom = odometry(mission.start_time + t, x, y, yaw)
        demo.odom.publish(odom)
        if recorder is not None:
            # Recorded at mission time, as a robot's recorder would have received it.
            recorder.write('/odom', odom, mission.start_time + t)
        while pending and pending[0].t <= t + 1e-6:
            obs = pending.pop(0)
            # The robot's semantic map knows which room it is in, as on a real robot.
            msg = Observation(text=obs.text, source=obs.source,
                              tags=list(obs.tags) + [f'room:{obs.room}'],
                              confidence=obs.confidence)
            msg.header.stamp = seconds_to_time(mission.start_time + obs.t)
            msg.header.frame_id = 'map'
            demo.observations.publish(msg)
            if recorder is not None:
                recorder.write('/observations', msg, mission.start_time + t)
            sent += 1
        if i % int(ODOM_RATE_HZ) == 0 and not alive():
            raise DemoError('the memory node exited during the mission')
        line = (f'  mission {max(t, 0.0):6.1f}/{mission.duration_s:.0f} s  '
                f'{mission.room_at(t):<12}  observations sent {sent:3d}  '
                f'memories stored {len(demo.events):3d}')
        if interactive and (time.monotonic() - shown_at >= PROGRESS_PERIOD_S or
                            i == len(samples) - 1):
            shown_at = time.monotonic()
            print('\r' + line, end='', flush=True)
        elif not interactive and int(5 * t / mission.duration_s) > reported:
            reported = int(5 * t / mission.duration_s)
            print(line, flush=True)
    if interactive:
        print()
    return sent


def wait_settled(demo: Demo, sent: int) -> None:
    """Wait until every observation has an event, or events stop arriving for a while."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    last_count, last_change = demo.event_count, time.monotonic()
    while demo.event_count < sent and time.monotonic() < deadline:
        time.sleep(0.05)
        if demo.event_count != last_count:
            last_count, last_change = demo.event_count, time.monotonic()
        elif time.monotonic() - last_change > SETTLE_QUIET_S:
            return


def show(question: str, filters: dict[str, Any], response: Recall.Response,
         rtt_ms: float) -> None:
    """Print a question, the memories found and the answer with its citations."""
    described = ', '.join(f'{k}={v}' for k, v in filters.items())
    print(f'\nQ: {question}' + (f'   [{described}]' if described else ''))
    now = time.time()
    for memory in response.memories:
        where = (f'({memory.pose.x:5.2f}, {memory.pose.y:5.2f}, yaw {memory.pose.yaw:+.2f})'
                 if memory.pose.known else 'pose unknown')
        seen = f' seen x{memory.seen_count}' if memory.seen_count > 1 else ''
        print(f'   {memory.score:.2f}  {memory.text:<55.55} {where}  '
              f'{describe_age(now - time_to_seconds(memory.timestamp))}{seen}  [{memory.id[:8]}]')
    if response.plan_json:
        print(f'   plan {QueryPlan.model_validate_json(response.plan_json).summary()}')
    print(f'A: {response.answer}')
    print(f"   cites {', '.join(i[:8] for i in response.cited_ids) or 'nothing'}; "
          f'{response.latency_ms:.1f} ms in the node, {rtt_ms:.1f} ms round trip')


def ask(demo: Demo) -> tuple[list[float], list[float], list[Question]]:
    """Ask the demo's questions; return the node's latencies, the round trips (ms), answers."""
    latencies, rtts, asked = [], [], []
    for question, filters in QUESTIONS:
        request = Recall.Request(question=question, k=4, synthesize=True, **filters)
        t0 = time.perf_counter()
        response = demo.call(request)
        rtt = (time.perf_counter() - t0) * 1000.0
        if not response.success:
            raise DemoError(f'recall refused {question!r}: {response.message}')
        show(question, filters, response, rtt)
        latencies.append(response.latency_ms)
        rtts.append(rtt)
        asked.append(Question(question, response.answer, tuple(response.cited_ids)))
    return latencies, rtts, asked


def draw_map(png: str, demo: Demo, mission: Mission, asked: list[Question]) -> None:
    """Draw the robot path, the memories the node wrote and what the answers cited."""
    memories = [MapMemory(m.id, m.text, m.pose.x if m.pose.known else None,
                          m.pose.y if m.pose.known else None, m.seen_count,
                          time_to_seconds(m.timestamp)) for m in demo.events.values()]
    path = [(x, y) for _, x, y, _ in mission.poses(rate_hz=ODOM_RATE_HZ)]
    drawn = draw_mission_map(png, path, memories, asked,
                             title=f'mission {mission.mission_id}')
    print(f'\nmap: {png} ({drawn.summary()})')


def stop_node(node: subprocess.Popen[bytes]) -> None:
    """Stop the node as Ctrl-C would, escalating if it does not exit in time."""
    for sig, wait_s in ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if node.poll() is not None:
            return
        node.send_signal(sig)
        try:
            node.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            print(f'the memory node ignored {sig.name} for {wait_s:.0f} s', file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Play the mission against a fresh node and ask it questions; return the exit code."""
    if args.record_bag and os.path.exists(args.record_bag):
        print(f'demo: {args.record_bag} exists; --record-bag makes a new bag folder',
              file=sys.stderr)
        return 2
    work = pathlib.Path(tempfile.mkdtemp(prefix='shadowhound-demo-'))
    store = args.store_path or str(work / 'store')
    log = work / 'memory_node.log'
    mission = make_mission(seed=args.seed, mission_id=f'demo-{int(time.time())}')
    things = len({obs.object_key for obs in mission.observations})
    print(f'shadowhound_memory demo: mission {mission.mission_id}, {mission.duration_s:.0f} s '
          f'through {len(mission.visits)} room visits past {things} things, played at '
          f'{args.speed:g}x; store {store}')
    node = start_node(store, mission.mission_id, args.speed, log)
    rclpy.init()
    demo = Demo()
    ok = keep_log = False
    try:
        cold_start = wait_for_node(demo, node, log)
        print(f'memory node ready in {cold_start:.1f} s (cold start)')
        # The mission ends when its playback ends, so "2 min ago" and "the last minute" in the
        # answers mean what they say when the questions are asked.
        playing_s = (PREROLL_S + mission.duration_s) / args.speed
        mission.start_time = time.time() + playing_s - mission.duration_s
        recorder = BagRecorder(args.record_bag, 'mcap') if args.record_bag else None
        try:
            sent = play(demo, mission, args.speed, lambda: node.poll() is None, recorder)
        finally:
            if recorder is not None:
                recorder.close()
                print(f'recorded {recorder.count} messages to {args.record_bag} (ingest_bag '
                      'turns them into memories)')
        wait_settled(demo, sent)
        latencies, rtts, asked = ask(demo)
        if args.map_png:
            draw_map(args.map_png, demo, mission, asked)
        merged = sum(m.seen_count - 1 for m in demo.events.values())
        print(f'\nsummary: {sent} observations sent, {len(demo.events)} memories written, '
              f'{merged} repeat sightings merged; recall p50 {statistics.median(latencies):.1f} '
              f'ms in the node, {statistics.median(rtts):.1f} ms round trip; cold start '
              f'{cold_start:.1f} s')
        unknown = demo.diagnostics.get('ingest_poses_unknown', '0')
        if unknown != '0':
            reason = demo.diagnostics.get('last_pose_problem')
            print(f'         {unknown} observations stored without a pose; last reason: {reason}')
        ok = True
    except DemoError as exc:
        print(f'demo failed: {exc}', file=sys.stderr)
        keep_log = True
    finally:
        demo.close()
        stop_node(node)
        if args.keep:
            print(f'kept the store in {store} and the node log in {log}')
        elif keep_log:
            print(f'the memory node log is kept at {log}', file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


def speed_arg(text: str) -> float:
    """Parse --speed: at least real time, at most what two cores keep up with."""
    speed = float(text)
    if not 1.0 <= speed <= 20.0:
        raise argparse.ArgumentTypeError('must be between 1 and 20 (mission seconds per wall '
                                         'second)')
    return speed


def main() -> int:
    """Parse arguments and play the demo mission."""
    parser = argparse.ArgumentParser(description='Play a demo mission against the memory node.')
    parser.add_argument('--speed', type=speed_arg, default=5.0,
                        help='mission seconds per wall-clock second, 1 to 20 (default 5)')
    parser.add_argument('--seed', type=int, default=0, help='which synthetic mission')
    parser.add_argument('--store-path', default='',
                        help='store folder (default: a fresh temporary one, removed after)')
    parser.add_argument('--keep', action='store_true',
                        help='keep the temporary store and the node log')
    parser.add_argument('--record-bag', default='', metavar='DIR',
                        help='record the published odometry and observations to this new MCAP '
                             'bag folder (for ingest_bag)')
    parser.add_argument('--map-png', default='', metavar='FILE',
                        help='draw the path, the memories and the cited answers into this PNG')
    args = parser.parse_args()
    try:
        return run(args)
    except KeyboardInterrupt:
        print('\ninterrupted', file=sys.stderr)
        return 130


if __name__ == '__main__':
    raise SystemExit(main())
