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
A synthetic mission: a small house, objects in its rooms, a robot route, and what it observes.

Deterministic from a seed. The demo plays it to a running node, and the adapter pipeline uses
the same missions for training and evaluation data, with the gold room, object and poses of
every observation kept beside the wording.
"""

from dataclasses import dataclass, field
import math
import random

# Rooms as (x_min, y_min, x_max, y_max) in the map frame, metres; all open onto the hallway.
ROOMS = {
    'kitchen': (0.0, 0.0, 5.0, 4.0),
    'living_room': (5.0, 0.0, 12.0, 4.0),
    'hallway': (0.0, 4.0, 12.0, 6.0),
    'bedroom': (0.0, 6.0, 5.0, 10.0),
    'office': (5.0, 6.0, 9.0, 10.0),
    'bathroom': (9.0, 6.0, 12.0, 10.0),
}
COLOURS = ('red', 'blue', 'green', 'yellow', 'black', 'white', 'orange', 'silver')
THINGS = ('ball', 'mug', 'backpack', 'laptop', 'plant', 'charger', 'book', 'box', 'bottle',
          'umbrella', 'wallet', 'lamp', 'shoe', 'key ring')
PLACES = ('on the table', 'on the floor', 'by the wall', 'on the shelf', 'near the window',
          'in the corner')
TEMPLATES = ('{C} {t} {p}.', 'I see a {c} {t} {p}.', 'Spotted a {c} {t} in the {room}.',
             'There is a {c} {t} {p} in the {room}.', 'Found a {c} {t} {p}.')
SENSING_RANGE_M = 2.5
SPEED_MPS = 0.6


@dataclass(frozen=True)
class PlacedObject:
    """An object somewhere in the house."""

    name: str
    room: str
    x: float
    y: float
    place: str

    @property
    def key(self) -> str:
        """Return the tag value, e.g. red_ball."""
        return self.name.replace(' ', '_')


@dataclass(frozen=True)
class SyntheticObservation:
    """What the robot reports at time t (seconds from mission start), with the gold truth."""

    t: float
    text: str
    source: str
    tags: tuple[str, ...]
    confidence: float
    room: str
    object_key: str
    robot_pose: tuple[float, float, float]
    object_xy: tuple[float, float]


@dataclass(frozen=True)
class GoldQuestion:
    """A question about the mission and what answers it."""

    question: str
    room: str | None
    object_key: str | None
    observation_indices: tuple[int, ...]


@dataclass
class Mission:
    """A route through the house and the observations made along it."""

    mission_id: str
    start_time: float
    waypoints: list[tuple[float, float]]
    objects: list[PlacedObject]
    observations: list[SyntheticObservation] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """Return how long the route takes at the robot's speed."""
        return sum(math.dist(a, b) for a, b in zip(self.waypoints, self.waypoints[1:])) / \
            SPEED_MPS

    def pose_at(self, t: float) -> tuple[float, float, float]:
        """Return the robot pose t seconds into the mission (heading along the route)."""
        remaining = max(0.0, t) * SPEED_MPS
        for a, b in zip(self.waypoints, self.waypoints[1:]):
            length = math.dist(a, b)
            yaw = math.atan2(b[1] - a[1], b[0] - a[0])
            if remaining <= length or length == 0.0:
                f = remaining / length if length else 0.0
                return a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), yaw
            remaining -= length
        a, b = self.waypoints[-2], self.waypoints[-1]
        return b[0], b[1], math.atan2(b[1] - a[1], b[0] - a[0])

    def poses(self, rate_hz: float) -> list[tuple[float, float, float, float]]:
        """Return (t, x, y, yaw) samples along the whole route at rate_hz."""
        count = int(self.duration_s * rate_hz) + 1
        return [(i / rate_hz, *self.pose_at(i / rate_hz)) for i in range(count)]


def room_of(x: float, y: float) -> str:
    """Return the room containing a point (the hallway wins on shared walls)."""
    if ROOMS['hallway'][1] <= y <= ROOMS['hallway'][3]:
        return 'hallway'
    for name, (x0, y0, x1, y1) in ROOMS.items():
        if x0 <= x <= x1 and y0 <= y <= y1:
            return name
    return 'outside'


def _centre(room: str) -> tuple[float, float]:
    x0, y0, x1, y1 = ROOMS[room]
    return (x0 + x1) / 2.0, (y0 + y1) / 2.0


def _door(room: str) -> tuple[float, float]:
    x, _ = _centre(room)
    y0, y1 = ROOMS[room][1], ROOMS[room][3]
    return x, (y1 if y1 <= ROOMS['hallway'][1] else y0)


def _place_objects(rng: random.Random, rooms: list[str]) -> list[PlacedObject]:
    names = [f'{c} {t}' for c in COLOURS for t in THINGS if f'{c} {t}' != 'red ball']
    rng.shuffle(names)
    objects = []
    for i, room in enumerate(rooms):
        x0, y0, x1, y1 = ROOMS[room]
        count = 2 if room != 'living_room' else 1
        chosen = (['red ball'] if room == 'living_room' else []) + names[i * 3:i * 3 + count]
        for name in chosen:
            objects.append(PlacedObject(name, room, rng.uniform(x0 + 0.5, x1 - 0.5),
                                        rng.uniform(y0 + 0.5, y1 - 0.5), rng.choice(PLACES)))
    return objects


def make_mission(seed: int = 0, mission_id: str = 'demo-mission', start_time: float = 0.0,
                 rooms: tuple[str, ...] = ('kitchen', 'living_room', 'bedroom', 'office',
                                           'bathroom')) -> Mission:
    """Build a mission visiting rooms in order, observing the objects it passes."""
    rng = random.Random(seed)
    objects = _place_objects(rng, list(rooms))
    waypoints = [_centre('hallway')]
    for room in rooms:
        door = _door(room)
        waypoints += [(door[0], _centre('hallway')[1]), door]
        waypoints += [(o.x + 0.6, o.y) for o in objects if o.room == room]
        waypoints += [_centre(room), door, (door[0], _centre('hallway')[1])]
    mission = Mission(mission_id, start_time, waypoints, objects)
    _observe(mission, rng)
    return mission


def _observe(mission: Mission, rng: random.Random) -> None:
    seen_this_visit: set[str] = set()
    previous_room = ''
    for t, x, y, yaw in mission.poses(rate_hz=2.0):
        room = room_of(x, y)
        if room != previous_room:
            seen_this_visit.clear()
            previous_room = room
        for obj in mission.objects:
            if obj.room != room or obj.key in seen_this_visit or \
                    math.dist((x, y), (obj.x, obj.y)) > SENSING_RANGE_M:
                continue
            seen_this_visit.add(obj.key)
            colour, thing = obj.name.split(' ', 1)
            text = rng.choice(TEMPLATES).format(
                C=colour.capitalize(), c=colour, t=thing, p=obj.place,
                room=room.replace('_', ' '))
            tags = (f'object:{obj.key}',) if rng.random() < 0.5 else ()
            source = rng.choice(('camera', 'detector'))
            confidence = round(rng.uniform(0.6, 0.99), 2)
            mission.observations.append(SyntheticObservation(
                t, text, source, tags, confidence, room, obj.key, (x, y, yaw), (obj.x, obj.y)))
            if rng.random() < 0.3:
                # The detector fires again a moment later: near-duplicate merging should catch it.
                later = t + 1.5
                mission.observations.append(SyntheticObservation(
                    later, text, source, tags, confidence, room, obj.key,
                    mission.pose_at(later), (obj.x, obj.y)))
    mission.observations.sort(key=lambda o: o.t)


def gold_questions(mission: Mission) -> list[GoldQuestion]:
    """Return questions about each observed object and each visited room, with their answers."""
    questions = []
    by_object: dict[str, list[int]] = {}
    by_room: dict[str, list[int]] = {}
    for i, obs in enumerate(mission.observations):
        by_object.setdefault(obs.object_key, []).append(i)
        by_room.setdefault(obs.room, []).append(i)
    for key, indices in by_object.items():
        questions.append(GoldQuestion(f"Where did we see the {key.replace('_', ' ')}?",
                                      None, key, tuple(indices)))
    for room, indices in by_room.items():
        questions.append(GoldQuestion(f"What was in the {room.replace('_', ' ')}?",
                                      room, None, tuple(indices)))
    return questions
