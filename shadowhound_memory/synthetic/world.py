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
A synthetic mission: a small house, objects and people in its rooms, a robot route, observations.

Deterministic from a seed, so the demo, the tests and the adapter pipeline's training and
evaluation data all see the same missions. Every observation keeps its gold truth (room, object,
true robot pose, true object position) beside the wording that perception would send, and the
gold questions say which observations answer them.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
import math
import random

from shadowhound_memory.domain.errors import InvalidRequestError

# Rooms as (x_min, y_min, x_max, y_max) in the map frame, metres. Every room opens onto the
# hallway, the strip across the middle, through one door on their shared wall.
ROOMS: dict[str, tuple[float, float, float, float]] = {
    'kitchen': (0.0, 0.0, 5.0, 4.0),
    'living_room': (5.0, 0.0, 12.0, 4.0),
    'hallway': (0.0, 4.0, 12.0, 6.0),
    'bedroom': (0.0, 6.0, 5.0, 10.0),
    'office': (5.0, 6.0, 9.0, 10.0),
    'bathroom': (9.0, 6.0, 12.0, 10.0),
}
HALLWAY = 'hallway'
DOORS: dict[str, tuple[float, float]] = {
    'kitchen': (2.5, 4.0),
    'living_room': (8.5, 4.0),
    'bedroom': (2.5, 6.0),
    'office': (7.0, 6.0),
    'bathroom': (10.5, 6.0),
}
HALLWAY_Y = 5.0
DOCK = (1.0, HALLWAY_Y)

SPEED_MPS = 0.5
SENSING_RANGE_M = 3.0
# Perception is checked at this rate along the route; the demo's 30 Hz odometry has a sample at
# every one of these times.
SENSING_RATE_HZ = 10.0
# Distance kept from walls when placing things and choosing where the robot looks from.
WALL_MARGIN_M = 0.4
VIEW_DISTANCE_M = 1.0
# A detector firing again this soon leaves the robot within the node's default merge radius.
REPEAT_PROBABILITY = 0.3
REPEAT_DELAY_S = (1.0, 1.6)
LAST_MINUTE_S = 60.0

COLOURS = ('red', 'blue', 'green', 'yellow', 'black', 'white', 'orange', 'silver')
# Nouns as the writer knows them; keys is plural, which the wording has to respect.
NOUNS = ('ball', 'mug', 'backpack', 'laptop', 'plant', 'charger', 'book', 'box', 'bottle',
         'umbrella', 'wallet', 'lamp', 'shoe', 'phone', 'keys')
PLURAL_NOUNS = ('keys',)
FURNITURE: dict[str, tuple[str, ...]] = {
    'kitchen': ('on the table', 'on the counter', 'next to the fridge', 'by the sink'),
    'living_room': ('near the sofa', 'on the coffee table', 'by the window', 'next to the tv'),
    'hallway': ('by the front door', 'on the floor', 'next to the coat rack'),
    'bedroom': ('on the bed', 'on the nightstand', 'under the window', 'by the wardrobe'),
    'office': ('on the desk', 'under the desk', 'on the shelf', 'by the printer'),
    'bathroom': ('by the sink', 'on the shelf', 'next to the bathtub'),
}
PERSON_PLACES = ('standing by the door', 'sitting down', 'by the window', 'walking past')
OBJECT_TEMPLATES = ('{Bare} {place}.', 'I see {phrase} {place}.',
                    'Spotted {phrase} in the {room}.', 'Found {phrase} {place} in the {room}.',
                    'Looks like {phrase} {place}.', 'Camera shows {phrase} {place}.')
PERSON_TEMPLATES = ('{Phrase} is {place}.', 'I see {phrase} {place}.',
                    'Spotted {phrase} in the {room}.', '{Phrase} is in the {room}.')


@dataclass(frozen=True)
class PlacedObject:
    """Something in the house: an object (colour and noun) or a person."""

    name: str
    key: str
    room: str
    x: float
    y: float
    place: str
    person: bool = False

    @property
    def phrase(self) -> str:
        """Return how a sentence names it: 'a red ball', 'an orange mug', 'silver keys'."""
        if self.person:
            return self.name
        if self.name.split()[-1] in PLURAL_NOUNS:
            return self.name
        return ('an ' if self.name[0] in 'aeiou' else 'a ') + self.name


@dataclass(frozen=True)
class Visit:
    """A stay in one room, from entering it to leaving it (seconds from mission start)."""

    room: str
    t_start: float
    t_end: float


@dataclass(frozen=True)
class SyntheticObservation:
    """
    What the robot reports at t seconds from mission start, with the gold truth beside it.

    text, source, tags and confidence are what perception sends; the rest is the truth an
    evaluation checks against: the room and object, the true robot pose at t, the true object
    position, which visit it was seen in, and whether it repeats a sighting moments earlier.
    """

    t: float
    text: str
    source: str
    tags: tuple[str, ...]
    confidence: float
    room: str
    object_key: str
    robot_pose: tuple[float, float, float]
    object_xy: tuple[float, float]
    visit: int
    repeat: bool = False


@dataclass(frozen=True)
class GoldQuestion:
    """A question about the mission and the observations that answer it."""

    question: str
    object_key: str | None
    room: str | None
    within_last_s: float
    observation_indices: tuple[int, ...]


@dataclass
class Mission:
    """
    A route through the house at constant speed, and what the robot observed along it.

    The route is a polyline of waypoints; segment i (waypoint i to i+1) lies in
    segment_rooms[i]. Odometry (poses) may carry a slow drift of up to pose_noise_m, while the
    observations' gold poses are the true ones.
    """

    mission_id: str
    start_time: float
    duration_s: float
    waypoints: list[tuple[float, float]]
    segment_rooms: list[str]
    objects: list[PlacedObject]
    observations: list[SyntheticObservation] = field(default_factory=list)
    pose_noise_m: float = 0.0
    noise_phases: tuple[float, float, float] = (0.0, 0.0, 0.0)
    visits: list[Visit] = field(init=False)

    def __post_init__(self) -> None:
        self._cumulative = [0.0]
        self._segment_visit: list[int] = []
        self.visits = []
        for (a, b), room in zip(zip(self.waypoints, self.waypoints[1:]), self.segment_rooms):
            start = self._cumulative[-1] / SPEED_MPS
            self._cumulative.append(self._cumulative[-1] + math.dist(a, b))
            end = self._cumulative[-1] / SPEED_MPS
            if self.visits and self.visits[-1].room == room:
                self.visits[-1] = Visit(room, self.visits[-1].t_start, end)
            else:
                self.visits.append(Visit(room, start, end))
            self._segment_visit.append(len(self.visits) - 1)

    def _segment(self, t: float) -> tuple[int, float]:
        travelled = min(max(t, 0.0) * SPEED_MPS, self._cumulative[-1])
        # On a waypoint the robot already faces its next segment; the last one ends the route.
        index = min(bisect_right(self._cumulative, travelled) - 1, len(self.waypoints) - 2)
        return index, travelled - self._cumulative[index]

    def pose_at(self, t: float) -> tuple[float, float, float]:
        """Return the true (x, y, yaw) t seconds into the mission, heading along the route."""
        index, along = self._segment(t)
        (x0, y0), (x1, y1) = self.waypoints[index], self.waypoints[index + 1]
        length = self._cumulative[index + 1] - self._cumulative[index]
        f = along / length
        return x0 + f * (x1 - x0), y0 + f * (y1 - y0), math.atan2(y1 - y0, x1 - x0)

    def visit_at(self, t: float) -> int:
        """Return the index in visits of the room stay the robot is in at t."""
        return self._segment_visit[self._segment(t)[0]]

    def room_at(self, t: float) -> str:
        """Return the room the robot is in (or entering, on a door) at t."""
        return self.visits[self.visit_at(t)].room

    def odometry_at(self, t: float) -> tuple[float, float, float]:
        """Return the pose odometry reports at t: the true pose plus the slow drift, if any."""
        x, y, yaw = self.pose_at(t)
        if self.pose_noise_m == 0.0:
            return x, y, yaw
        px, py, pyaw = self.noise_phases
        x += self.pose_noise_m * math.sin(2.0 * math.pi * t / 31.0 + px)
        y += self.pose_noise_m * math.sin(2.0 * math.pi * t / 23.0 + py)
        yaw += 0.1 * self.pose_noise_m * math.sin(2.0 * math.pi * t / 17.0 + pyaw)
        return x, y, math.atan2(math.sin(yaw), math.cos(yaw))

    def poses(self, rate_hz: float) -> list[tuple[float, float, float, float]]:
        """Return odometry samples (t, x, y, yaw) over the whole mission at rate_hz."""
        if not rate_hz > 0.0:
            raise InvalidRequestError(f'rate_hz must be positive (got {rate_hz})')
        count = int(self.duration_s * rate_hz + 1e-9) + 1
        return [(i / rate_hz, *self.odometry_at(i / rate_hz)) for i in range(count)]


def in_room(x: float, y: float, room: str, margin: float = 0.0) -> bool:
    """Return whether a point is inside a room's rectangle (walls included at margin 0)."""
    x0, y0, x1, y1 = ROOMS[room]
    return x0 + margin <= x <= x1 - margin and y0 + margin <= y <= y1 - margin


def room_of(x: float, y: float) -> str:
    """Return the room containing a point; the hallway wins on its walls, 'outside' if none."""
    if in_room(x, y, HALLWAY):
        return HALLWAY
    return next((name for name in ROOMS if in_room(x, y, name)), 'outside')


def make_mission(seed: int = 0, mission_id: str = 'demo-mission', start_time: float = 0.0,
                 n_rooms: int = 5, duration_s: float | None = None,
                 pose_noise_m: float = 0.0) -> Mission:
    """
    Build a mission: furnish the house, drive through n_rooms rooms, observe what is in range.

    The kitchen is always visited and a red ball always lies in a visited room, so the demo's
    questions have answers. With duration_s the route goes on through more rooms as needed and
    stops at that time, which may cut the last visit short.
    """
    if n_rooms < 1:
        raise InvalidRequestError(f'n_rooms must be at least 1 (got {n_rooms})')
    if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0.0):
        raise InvalidRequestError(f'duration_s must be a positive number of seconds or None '
                                  f'(got {duration_s})')
    if not (math.isfinite(pose_noise_m) and 0.0 <= pose_noise_m <= 5.0):
        raise InvalidRequestError(f'pose_noise_m must be within [0, 5] m (got {pose_noise_m})')
    rng = random.Random(seed)
    rooms = _room_sequence(rng, n_rooms)
    objects = _furnish(rng, rooms)
    waypoints, segment_rooms = _route(rooms, objects)
    length_s = sum(math.dist(a, b) for a, b in zip(waypoints, waypoints[1:])) / SPEED_MPS
    while duration_s is not None and length_s < duration_s:
        rooms += _room_sequence(rng, len(ROOMS) - 1, after=rooms[-1])
        waypoints, segment_rooms = _route(rooms, objects)
        length_s = sum(math.dist(a, b) for a, b in zip(waypoints, waypoints[1:])) / SPEED_MPS
    if duration_s is not None:
        waypoints, segment_rooms = _cut(waypoints, segment_rooms, duration_s * SPEED_MPS)
    phases = (rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi),
              rng.uniform(0, 2 * math.pi))
    mission = Mission(mission_id, start_time, duration_s or length_s, waypoints, segment_rooms,
                      objects, pose_noise_m=pose_noise_m, noise_phases=phases)
    mission.observations = _observe(mission, rng)
    return mission


def _room_sequence(rng: random.Random, count: int, after: str = '') -> list[str]:
    rooms = [name for name in ROOMS if name != HALLWAY]
    sequence: list[str] = []
    while len(sequence) < count:
        cycle = rng.sample(rooms, len(rooms))
        if not sequence and not after:
            # The first pass visits the kitchen among its first `count` rooms.
            cycle.remove('kitchen')
            cycle.insert(rng.randrange(min(count, len(rooms))), 'kitchen')
        previous = sequence[-1] if sequence else after
        if cycle[0] == previous:
            cycle[0], cycle[1] = cycle[1], cycle[0]
        sequence += cycle
    return sequence[:count]


def _free_spot(rng: random.Random, room: str,
               taken: list[tuple[float, float]]) -> tuple[float, float]:
    x0, y0, x1, y1 = ROOMS[room]
    spot = (0.0, 0.0)
    for _ in range(50):
        spot = (rng.uniform(x0 + WALL_MARGIN_M, x1 - WALL_MARGIN_M),
                rng.uniform(y0 + WALL_MARGIN_M, y1 - WALL_MARGIN_M))
        if all(math.dist(spot, other) >= 0.8 for other in taken):
            break
    taken.append(spot)
    return spot


def _furnish(rng: random.Random, visited: list[str]) -> list[PlacedObject]:
    names = [f'{c} {n}' for c in COLOURS for n in NOUNS if (c, n) != ('red', 'ball')]
    rng.shuffle(names)
    per_room: dict[str, list[str]] = {room: [] for room in ROOMS}
    per_room[rng.choice(sorted(set(visited)))].append('red ball')
    for room in ROOMS:
        for _ in range(1 if room == HALLWAY else rng.randint(1, 3)):
            per_room[room].append(names.pop())
    people = {'a person': rng.choice(sorted(set(visited)) + [HALLWAY]),
              'Alice': rng.choice(sorted(set(visited)))}
    objects = []
    for room in ROOMS:
        taken: list[tuple[float, float]] = []
        things = [(name, False) for name in per_room[room]]
        things += [(name, True) for name, where in people.items() if where == room]
        for name, person in things:
            x, y = _free_spot(rng, room, taken)
            key = ('person' if name == 'a person' else name.lower()) if person else \
                name.replace(' ', '_')
            place = rng.choice(PERSON_PLACES if person else FURNITURE[room])
            objects.append(PlacedObject(name, key, room, x, y, place, person))
    return objects


def _viewpoint(obj: PlacedObject) -> tuple[float, float]:
    x0, y0, x1, y1 = ROOMS[obj.room]
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    dx, dy = cx - obj.x, cy - obj.y
    if math.hypot(dx, dy) < 1e-6:
        dx, dy = DOORS[obj.room][0] - obj.x, DOORS[obj.room][1] - obj.y
    norm = math.hypot(dx, dy)
    m = WALL_MARGIN_M
    return (min(max(obj.x + VIEW_DISTANCE_M * dx / norm, x0 + m), x1 - m),
            min(max(obj.y + VIEW_DISTANCE_M * dy / norm, y0 + m), y1 - m))


def _route(rooms: list[str],
           objects: list[PlacedObject]) -> tuple[list[tuple[float, float]], list[str]]:
    waypoints = [DOCK]
    segment_rooms: list[str] = []

    def go(point: tuple[float, float], room: str) -> None:
        if math.dist(point, waypoints[-1]) > 1e-9:
            waypoints.append(point)
            segment_rooms.append(room)

    for room in rooms:
        door = DOORS[room]
        go((door[0], HALLWAY_Y), HALLWAY)
        go(door, HALLWAY)
        # Nearest first from the door: the robot looks at each thing in the room from 1 m.
        todo = [_viewpoint(o) for o in objects if o.room == room]
        here = door
        while todo:
            here = min(todo, key=lambda p: math.dist(p, here))
            todo.remove(here)
            go(here, room)
        go(door, room)
        go((door[0], HALLWAY_Y), HALLWAY)
    go(DOCK, HALLWAY)
    return waypoints, segment_rooms


def _cut(waypoints: list[tuple[float, float]], segment_rooms: list[str],
         length: float) -> tuple[list[tuple[float, float]], list[str]]:
    kept = [waypoints[0]]
    for (a, b), room in zip(zip(waypoints, waypoints[1:]), segment_rooms):
        step = math.dist(a, b)
        if step >= length:
            f = length / step
            kept.append((a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])))
            return kept, segment_rooms[:len(kept) - 1]
        kept.append(b)
        length -= step
    return kept, segment_rooms


def _wording(rng: random.Random, obj: PlacedObject) -> str:
    templates = PERSON_TEMPLATES if obj.person else OBJECT_TEMPLATES
    return rng.choice(templates).format(
        phrase=obj.phrase, Phrase=obj.phrase[0].upper() + obj.phrase[1:],
        Bare=obj.name[0].upper() + obj.name[1:], place=obj.place,
        room=obj.room.replace('_', ' '))


def _report(rng: random.Random, obj: PlacedObject) -> tuple[str, tuple[str, ...], float]:
    if obj.person:
        tags: tuple[str, ...] = ('person:alice',) if obj.key == 'alice' else \
            (('person:unknown',) if rng.random() < 0.5 else ())
        return rng.choice(('camera', 'detector')), tags, round(rng.uniform(0.6, 0.95), 2)
    source = rng.choices(('camera', 'detector', 'operator'), weights=(0.45, 0.45, 0.1))[0]
    tags = (f'object:{obj.key}',) if rng.random() < 0.5 else ()
    return source, tags, (1.0 if source == 'operator' else round(rng.uniform(0.55, 0.99), 2))


def _observe(mission: Mission, rng: random.Random) -> list[SyntheticObservation]:
    observations = []
    seen: set[tuple[str, int]] = set()
    steps = int(mission.duration_s * SENSING_RATE_HZ + 1e-9)
    for step in range(steps + 1):
        t = step / SENSING_RATE_HZ
        visit = mission.visit_at(t)
        room = mission.visits[visit].room
        x, y, yaw = mission.pose_at(t)
        for obj in mission.objects:
            if obj.room != room or (obj.key, visit) in seen or \
                    math.dist((x, y), (obj.x, obj.y)) > SENSING_RANGE_M:
                continue
            seen.add((obj.key, visit))
            text = _wording(rng, obj)
            source, tags, confidence = _report(rng, obj)
            observations.append(SyntheticObservation(
                t, text, source, tags, confidence, room, obj.key, (x, y, yaw), (obj.x, obj.y),
                visit))
            if rng.random() >= REPEAT_PROBABILITY:
                continue
            # The detector fires again a moment later with the same words: a duplicate that
            # the node's near-duplicate merge should fold into the first sighting.
            later = (step + round(rng.uniform(*REPEAT_DELAY_S) * SENSING_RATE_HZ)) / \
                SENSING_RATE_HZ
            later_pose = mission.pose_at(later)
            if later <= mission.duration_s and mission.visit_at(later) == visit and \
                    math.dist(later_pose[:2], (obj.x, obj.y)) <= SENSING_RANGE_M:
                observations.append(SyntheticObservation(
                    later, text, source, tags, confidence, room, obj.key, later_pose,
                    (obj.x, obj.y), visit, repeat=True))
    observations.sort(key=lambda o: o.t)
    return observations


def gold_questions(mission: Mission) -> list[GoldQuestion]:
    """Return a question per observed thing, per room with sightings, and the last minute."""
    names = {obj.key: obj for obj in mission.objects}
    by_object: dict[str, list[int]] = {}
    by_room: dict[str, list[int]] = {}
    for i, obs in enumerate(mission.observations):
        by_object.setdefault(obs.object_key, []).append(i)
        by_room.setdefault(obs.room, []).append(i)
    questions = []
    for key, indices in by_object.items():
        obj = names[key]
        what = obj.phrase if obj.person else f'the {obj.name}'
        questions.append(GoldQuestion(f'Where did we see {what}?', key, None, 0.0,
                                      tuple(indices)))
    for room, indices in by_room.items():
        questions.append(GoldQuestion(f"What was in the {room.replace('_', ' ')}?", None, room,
                                      0.0, tuple(indices)))
    recent = tuple(i for i, obs in enumerate(mission.observations)
                   if obs.t >= mission.duration_s - LAST_MINUTE_S)
    if recent:
        questions.append(GoldQuestion('What did we see in the last minute?', None, None,
                                      LAST_MINUTE_S, recent))
    return questions
