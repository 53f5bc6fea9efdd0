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
ingest_bag: memories from a recorded ROS 2 bag (MCAP or sqlite3), without a running robot.

    ros2 run shadowhound_memory ingest_bag ~/bags/patrol-7 --mission-id patrol-7
    python -m shadowhound_memory.cli.ingest_bag BAG --pose-topic /amcl_pose -p pose_max_gap_s:=30.0

The messages go through the live node's parts (pose buffer, writer, memory service) in recorded
order, as fast as they can be embedded and stored; the summary says what was stored, merged and
skipped, and why.
"""

import argparse
import pathlib
import re
import sys
import time
from typing import Any

from pydantic import ValidationError
from rosbags.highlevel import AnyReader, AnyReaderError
from rosbags.interfaces import Connection
from shadowhound_memory.cli.store_options import add_store_options
from shadowhound_memory.compose.config import MemoryConfig
from shadowhound_memory.compose.factory import build_memory_service, pose_buffer_config
from shadowhound_memory.domain.errors import InvalidRequestError, MemoryPackageError
from shadowhound_memory.domain.records import format_validation_error, MISSION_PATTERN
from shadowhound_memory.memory.bags import OBSERVATION_TYPE, POSE_TYPES, TEXT_TYPE, typestore
from shadowhound_memory.memory.replay import Replay, ReplaySummary
from shadowhound_memory.pose.buffer import PoseBuffer
from tqdm import tqdm
import yaml

POSE_PREFERENCE = ('pose_with_covariance', 'pose', 'odometry')


def _param(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition(':=')
    if not sep or not name:
        raise argparse.ArgumentTypeError(f'{text!r} is not NAME:=VALUE')
    return name, yaml.safe_load(value)


def build_parser() -> argparse.ArgumentParser:
    """Return the command line of ingest_bag."""
    parser = argparse.ArgumentParser(
        prog='ingest_bag', description='Write the memories of a recorded mission (a ROS 2 bag '
        'folder, MCAP or sqlite3) with the pose stamping and writer of the live memory node.')
    parser.add_argument('bag', type=pathlib.Path, help='the bag folder (or its .mcap file)')
    parser.add_argument('--observations-topic', default='',
                        help=f'{OBSERVATION_TYPE} topic (default: the one in the bag)')
    parser.add_argument('--text-topic', default='',
                        help=f'{TEXT_TYPE} topic of plain text observations (default: a topic '
                             'named observations_text, if the bag has one)')
    parser.add_argument('--pose-topic', default='',
                        help='Odometry, PoseStamped or PoseWithCovarianceStamped topic (default: '
                             "the bag's only one, a localizer pose before odometry)")
    parser.add_argument('--mission-id', default='',
                        help='mission of the memories (default: the bag folder name)')
    parser.add_argument('-p', '--param', action='append', type=_param, default=[],
                        metavar='NAME:=VALUE',
                        help='a memory_node parameter, e.g. -p pose_max_gap_s:=2.0 (repeatable)')
    parser.add_argument('--params-file', type=pathlib.Path,
                        help='memory_node parameters YAML (as config/memory.yaml)')
    parser.add_argument('--progress', action=argparse.BooleanOptionalAction, default=None,
                        help='show a progress bar (default: when standard error is a terminal)')
    parser.add_argument('--map-png', type=pathlib.Path, metavar='FILE',
                        help='also draw the mission (path and memories) into this PNG')
    add_store_options(parser)
    return parser


def _params_file(path: pathlib.Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    for value in (document or {}).values():
        if isinstance(value, dict) and isinstance(value.get('ros__parameters'), dict):
            return dict(value['ros__parameters'])
    raise InvalidRequestError(f'{path} has no <node>: ros__parameters: mapping')


def _mission_from(bag: pathlib.Path) -> str:
    name = re.sub(r'[^A-Za-z0-9._:\-]', '-', bag.resolve().name.removesuffix('.mcap'))
    name = name.lstrip('._:-')[:64] or 'bag'
    return name if re.match(MISSION_PATTERN, name) else 'bag'


def node_config(args: argparse.Namespace) -> MemoryConfig:
    """Return the memory node settings: file, then -p values, then the store options."""
    values = _params_file(args.params_file) if args.params_file else {}
    values.update(dict(args.param))
    values.update(store_path=args.store_path, store_url=args.store_url,
                  embedding_model=args.embedding_model,
                  mission_id=args.mission_id or values.get('mission_id') or
                  _mission_from(args.bag))
    try:
        return MemoryConfig.model_validate(values)
    except ValidationError as exc:
        raise InvalidRequestError('; '.join(format_validation_error(exc))) from exc


def _one(connections: list[Connection], what: str, option: str) -> Connection | None:
    topics = sorted({c.topic for c in connections})
    if len(topics) > 1:
        raise InvalidRequestError(f'the bag has several {what} topics {topics}: choose one '
                                  f'with {option}')
    return connections[0] if connections else None


def _named(connections: list[Connection], topic: str, option: str) -> Connection:
    for connection in connections:
        if connection.topic == topic:
            return connection
    raise InvalidRequestError(f'{option} {topic}: no such topic in the bag (it has '
                              f'{sorted({c.topic for c in connections})})')


def choose_topics(connections: list[Connection], args: argparse.Namespace
                  ) -> tuple[Connection | None, Connection | None, Connection, str]:
    """Return the observations, text and pose connections and the pose input kind."""
    observations = (_named(connections, args.observations_topic, '--observations-topic')
                    if args.observations_topic else
                    _one([c for c in connections if c.msgtype == OBSERVATION_TYPE],
                         'observation', '--observations-topic'))
    text = (_named(connections, args.text_topic, '--text-topic') if args.text_topic else
            _one([c for c in connections if c.msgtype == TEXT_TYPE and
                  c.topic.endswith('observations_text')], 'text observation', '--text-topic'))
    if args.pose_topic:
        pose = _named(connections, args.pose_topic, '--pose-topic')
        if pose.msgtype not in POSE_TYPES:
            raise InvalidRequestError(f'{pose.topic} is a {pose.msgtype}, not one of '
                                      f'{sorted(POSE_TYPES)}')
    else:
        by_kind = {kind: [c for c in connections if POSE_TYPES.get(c.msgtype) == kind]
                   for kind in POSE_PREFERENCE}
        found = next((by_kind[kind] for kind in POSE_PREFERENCE if by_kind[kind]), [])
        chosen = _one(found, 'pose', '--pose-topic')
        if chosen is None:
            raise InvalidRequestError('the bag has no Odometry, PoseStamped or '
                                      'PoseWithCovarianceStamped topic: memories would have no '
                                      'place; record one or give --pose-topic')
        pose = chosen
    if observations is None and text is None:
        raise InvalidRequestError(f'the bag has no {OBSERVATION_TYPE} topic and no '
                                  'observations_text topic: nothing to remember')
    return observations, text, pose, POSE_TYPES[pose.msgtype]


def ingest(args: argparse.Namespace) -> tuple[ReplaySummary, MemoryConfig, dict[str, Any]]:
    """Replay the bag into the store; return the summary, the settings and facts for printing."""
    reader = AnyReader([args.bag], default_typestore=typestore())
    try:
        reader.open()
    except AnyReaderError as exc:
        raise InvalidRequestError(f'cannot read the bag {args.bag}: {exc}') from exc
    try:
        observations, text, pose, kind = choose_topics(list(reader.connections), args)
        config = node_config(args).model_copy(update={'pose_input': kind})
        service = build_memory_service(config)
        drawn: dict[str, Any] = {'path': [], 'records': {}}
        try:
            poses = PoseBuffer(pose_buffer_config(config))

            def written(outcomes: Any) -> None:
                for outcome in outcomes:
                    if outcome.record is not None:
                        drawn['records'][outcome.record.id] = outcome.record

            replay = Replay(service, poses, pose_input=kind, map_frame=config.map_frame,
                            mission_id=config.mission_id, batch_size=config.ingest_batch_size,
                            pose_wait_s=config.pose_wait_s, on_written=written)
            chosen = [c for c in (observations, text, pose) if c is not None]
            total = sum(c.msgcount for c in chosen)
            show = sys.stderr.isatty() if args.progress is None else args.progress
            started = time.monotonic()
            for connection, log_ns, raw in tqdm(reader.messages(connections=chosen),
                                                total=total, unit='msg', disable=not show,
                                                desc='ingest_bag', file=sys.stderr):
                msg = reader.deserialize(raw, connection.msgtype)
                log_time = log_ns * 1e-9
                if connection is pose:
                    replay.add_pose(msg, log_time)
                    latest = poses.latest()
                    if latest is not None:
                        drawn['path'].append((latest.x, latest.y))
                elif connection is observations:
                    replay.add_observation_message(msg, log_time)
                else:
                    replay.add_text(getattr(msg, 'data'), log_time)
            summary = replay.finish()
            elapsed = time.monotonic() - started
            recorded_s = (reader.end_time - reader.start_time) * 1e-9
        finally:
            service.close()
    finally:
        reader.close()
    facts = {'topics': {'observations': observations.topic if observations else None,
                        'text': text.topic if text else None, 'pose': f'{pose.topic} ({kind})'},
             'recorded_s': recorded_s,
             'elapsed_s': elapsed, 'jumps': poses.jumps, **drawn}
    return summary, config, facts


def main(argv: list[str] | None = None) -> int:
    """Ingest the bag; return 0, or 1 with the reason on standard error."""
    args = build_parser().parse_args(argv)
    if not args.bag.exists():
        print(f'ingest_bag: {args.bag} does not exist', file=sys.stderr)
        return 1
    try:
        summary, config, facts = ingest(args)
    except MemoryPackageError as exc:
        print(f'ingest_bag: {exc}', file=sys.stderr)
        return 1
    topics = ', '.join(f'{k} {v}' for k, v in facts['topics'].items() if v)
    print(f'ingest_bag: mission {config.mission_id} from {args.bag} ({topics})')
    for line in summary.lines():
        print(line)
    speed = facts['recorded_s'] / facts['elapsed_s'] if facts['elapsed_s'] > 0 else 0.0
    print(f"{facts['recorded_s']:.1f} s of recording ingested in {facts['elapsed_s']:.1f} s "
          f'({speed:.0f}x real time); {facts["jumps"]} pose jumps; store '
          f'{config.store_url or config.resolved_store_path()}')
    if args.map_png:
        from shadowhound_memory.viz.mission_map import draw_mission_map, MapMemory
        drawn = draw_mission_map(args.map_png, facts['path'],
                                 [MapMemory.of(r) for r in facts['records'].values()],
                                 title=f'mission {config.mission_id} (from {args.bag.name})')
        print(f'map: {args.map_png} ({drawn.summary()})')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
