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
Held-out recall missions: a facility patrol written apart from every training generator.

The synthetic house (``synthetic/world.py``) and the training pairs made from it share their
rooms, nouns, colours and sentence shapes; an evaluation drawn from them measures how well a
model learned that wording. These missions share none of it: another building (a workshop,
a greenhouse, a loading bay...), other things and colours, other people, other perception
styles (detector lines with confidences, operator notes, terse log lines, captions) and their
own question wording. Nothing here imports the training side, and ``evaluation/leak.py`` fails
when any text of this set appears in the training generators' output.

A mission is a robot patrolling the facility in rounds, so rooms are revisited; each visit
reports what is in the room, each thing often twice in different words; some things move
between rooms mid-mission; people come and go; a share of reports carry no tag, or no room, or
no pose. Questions carry their gold: the observations that answer them (for "where now" and
"when last", only the latest sighting) and the fact a correct answer states.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
import math
import random

# Rooms as (x_min, y_min, x_max, y_max), metres, in the map frame.
FACILITY: dict[str, tuple[float, float, float, float]] = {
    'workshop': (0.0, 0.0, 6.0, 5.0),
    'pantry': (6.0, 0.0, 10.0, 5.0),
    'greenhouse': (10.0, 0.0, 16.0, 5.0),
    'server_room': (0.0, 5.0, 5.0, 10.0),
    'laundry': (5.0, 5.0, 9.0, 10.0),
    'loading_bay': (9.0, 5.0, 16.0, 10.0),
    'archive': (0.0, 10.0, 7.0, 14.0),
    'studio': (7.0, 10.0, 16.0, 14.0),
}
# Fixtures that things are left at, with their position as fractions of the room's box.
LANDMARKS: dict[str, dict[str, tuple[float, float]]] = {
    'workshop': {'workbench': (0.2, 0.3), 'pegboard': (0.8, 0.8), 'vise': (0.6, 0.2)},
    'pantry': {'spice rack': (0.2, 0.7), 'chest freezer': (0.8, 0.3)},
    'greenhouse': {'potting bench': (0.25, 0.25), 'seed trays': (0.75, 0.7),
                   'irrigation valve': (0.5, 0.9)},
    'server_room': {'server rack': (0.3, 0.5), 'ups cabinet': (0.8, 0.2)},
    'laundry': {'dryer': (0.25, 0.75), 'folding counter': (0.75, 0.3)},
    'loading_bay': {'roller door': (0.9, 0.5), 'pallet jack': (0.3, 0.3),
                    'dock leveller': (0.6, 0.8)},
    'archive': {'filing cabinets': (0.2, 0.5), 'map chest': (0.75, 0.6)},
    'studio': {'easel': (0.3, 0.3), 'drafting table': (0.7, 0.7)},
}
HUES = ('teal', 'maroon', 'beige', 'navy', 'olive', 'crimson', 'amber', 'ivory', 'lilac',
        'copper', 'charcoal', 'mustard')
ITEMS = ('toolbox', 'drill', 'helmet', 'clipboard', 'thermos', 'tablet', 'flashlight', 'crate',
         'ladder', 'kettle', 'scanner', 'headset', 'stapler', 'vase', 'basket', 'radio',
         'tripod', 'blanket', 'jacket', 'suitcase', 'multimeter', 'tape measure')
NAMES = ('Priya', 'Tomasz', 'Keiko', 'Mateo', 'Oluwaseun', 'Svetlana', 'Farid', 'Ingrid',
         'Dagny', 'Rafael', 'Yusuf', 'Noor')

MISSION_COUNT = 5
ROOMS_PER_MISSION = 7
ROUNDS = 11
THINGS_PER_MISSION = 18
TWINS = 4
MOVERS = 6
PEOPLE_PER_MISSION = 4
VISIT_S = (80.0, 120.0)
TRANSIT_S = (20.0, 40.0)
SECOND_SIGHTING = 0.5
SEEN = 0.9
TAGGED = 0.45
UNKNOWN_ROOM = 0.1
UNKNOWN_POSE = 0.05
ENTRY_NOTE = 0.7
DISTRACTOR_NOTE = 0.35
NEAR_RADIUS_M = 2.0
# Mission starts: one a day at 08:30 local time, from this day on.
FIRST_DAY = datetime(2026, 6, 8, 8, 30)

CATEGORIES = ('object_location', 'where_now', 'when_last', 'temporal', 'spatial', 'person',
              'counting', 'multi_hop', 'unanswerable')

# Sentence shapes of the reports. {thing} is 'teal toolbox', {spot} a landmark.
OBJECT_SHAPES = (
    ('detector', True, 'det[{thing}] conf={conf:.2f} near {spot}'),
    ('detector', True, 'yolo: {thing} ({conf:.2f}), bbox by {spot}'),
    ('camera', False, "There's a {thing} resting by the {spot}."),
    ('camera', False, 'The {thing} is still sitting at the {spot}.'),
    ('camera', False, '{Thing} noted beside the {spot}, looks untouched.'),
    ('operator', False, 'Operator note: someone left the {thing} at the {spot}.'),
    ('camera', False, 'Passing the {spot}: {thing} in view.'),
    ('camera', False, 'Caught sight of a {thing} over by the {spot}.'),
    ('logger', False, '{thing} @ {spot}'),
    ('camera', False, 'Visual confirms {thing} close to the {spot}.'),
    ('operator', False, 'Per the operator, the {thing} belongs at the {spot} in the {area}.'),
    ('camera', False, 'Snapshot of the {area}: {thing} near the {spot}.'),
)
PERSON_SHAPES = (
    ('camera', False, '{Name} walked in and went over to the {spot}.'),
    ('detector', True, 'det[person] conf={conf:.2f} id={name} near {spot}'),
    ('camera', False, '{Name} is busy at the {spot}.'),
    ('camera', False, 'Said hello to {Name} near the {spot}.'),
    ('operator', False, 'Operator says {Name} is on shift in the {area}.'),
    ('detector', True, 'Face match: {Name}, by the {spot}.'),
)
ENTRY_SHAPES = ('Checkpoint reached: {area}.', 'Rolled into the {area}.',
                'Patrol leg begins in the {area}.', 'Docking camera sweep of the {area}.')
NOTE_SHAPES = ('Temperature by the {spot} reads {n} C.', 'Light flickering above the {spot}.',
               'Floor looks freshly mopped around the {spot}.',
               'Wi-Fi drops to {n} percent next to the {spot}.',
               'Humming noise coming from the {spot}.')


@dataclass(frozen=True)
class Thing:
    """An object (hue and item) or a person, and where it is over the mission."""

    key: str
    label: str
    person: bool
    # (from t, room, landmark); the first entry starts at 0.
    places: tuple[tuple[float, str, str], ...]

    def place_at(self, t: float) -> tuple[str, str]:
        """Return the (room, landmark) the thing is at, t seconds into the mission."""
        current = self.places[0]
        for entry in self.places:
            if entry[0] <= t:
                current = entry
        return current[1], current[2]

    @property
    def tag(self) -> str:
        """Return the tag a detector gives it."""
        return ('person:' if self.person else 'object:') + self.key


@dataclass(frozen=True)
class EvalObservation:
    """One report and its truth: when, what words, which thing, where the robot was."""

    t: float
    text: str
    source: str
    tags: tuple[str, ...]
    confidence: float
    room: str
    room_known: bool
    pose: tuple[float, float, float] | None
    subject: str | None
    kind: str
    landmark: str | None


@dataclass(frozen=True)
class EvalQuestion:
    """
    A question with its gold.

    ``gold`` holds one tuple of observation indices per hop (two for multi_hop, none for
    unanswerable); a hit on any observation of a hop answers that hop. ``answer`` is the fact a
    correct answer states; ``answer_keys`` are words of which one must appear in it (a room, a
    name, a count), empty when citing a gold memory is the whole of it.
    """

    qid: str
    mission_id: str
    category: str
    question: str
    now: float
    gold: tuple[tuple[int, ...], ...]
    answer: str
    answer_keys: tuple[str, ...] = ()
    count: int | None = None


@dataclass
class EvalMission:
    """A mission's rooms, things, reports and questions."""

    mission_id: str
    start_time: float
    rooms: tuple[str, ...]
    things: tuple[Thing, ...]
    observations: list[EvalObservation] = field(default_factory=list)
    questions: list[EvalQuestion] = field(default_factory=list)

    @property
    def end_t(self) -> float:
        """Return the time of the last report, seconds from the start."""
        return self.observations[-1].t if self.observations else 0.0

    def clock(self, t: float) -> str:
        """Return the local wall-clock time (HH:MM) of t seconds into the mission."""
        return datetime.fromtimestamp(self.start_time + t).strftime('%H:%M')


def landmark_xy(room: str, landmark: str) -> tuple[float, float]:
    """Return the map position of a landmark."""
    x0, y0, x1, y1 = FACILITY[room]
    fx, fy = LANDMARKS[room][landmark]
    return x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)


def words(key: str) -> str:
    """Return a tag value or room key as words: 'loading_bay' -> 'loading bay'."""
    return key.replace('_', ' ')


# World -----------------------------------------------------------------------------------------

def _things(rng: random.Random, rooms: list[str], duration: float) -> list[Thing]:
    items = rng.sample(ITEMS, THINGS_PER_MISSION - TWINS)
    labels = [(rng.choice(HUES), item) for item in items]
    for item in rng.sample(items, TWINS):
        used = {h for h, i in labels if i == item}
        labels.append((rng.choice([h for h in HUES if h not in used]), item))
    movers = set(rng.sample(range(len(labels)), MOVERS))
    things = []
    for n, (hue, item) in enumerate(labels):
        room = rng.choice(rooms)
        places = [(0.0, room, rng.choice(sorted(LANDMARKS[room])))]
        if n in movers:
            for when in sorted(rng.uniform(0.25, 0.8) * duration
                               for _ in range(rng.choice((1, 1, 2)))):
                other = rng.choice([r for r in rooms if r != places[-1][1]])
                places.append((when, other, rng.choice(sorted(LANDMARKS[other]))))
        key = f'{hue}_{item}'.replace(' ', '_')
        things.append(Thing(key, f'{hue} {item}', False, tuple(places)))
    return things


def _people(rng: random.Random, names: list[str], rooms: list[str],
            duration: float) -> list[Thing]:
    people = []
    for name in names:
        # Shifts: two to four stays in rooms; between them the person is away.
        stays = []
        for _ in range(rng.randint(2, 4)):
            room = rng.choice(rooms)
            start = rng.uniform(0.0, duration * 0.9)
            stays.append((start, room, rng.choice(sorted(LANDMARKS[room]))))
        stays.sort()
        people.append(Thing(name.lower(), name, True, tuple(stays)))
    return people


def _present(person: Thing, t: float) -> tuple[str, str] | None:
    """Return where a person is at t, or None while away (each stay lasts 15 minutes)."""
    for start, room, spot in person.places:
        if start <= t <= start + 900.0:
            return room, spot
    return None


def _pose_near(rng: random.Random, room: str, spot: str) -> tuple[float, float, float]:
    x, y = landmark_xy(room, spot)
    x0, y0, x1, y1 = FACILITY[room]
    angle = rng.uniform(-math.pi, math.pi)
    reach = rng.uniform(0.4, 1.2)
    px = min(x1 - 0.2, max(x0 + 0.2, x + reach * math.cos(angle)))
    py = min(y1 - 0.2, max(y0 + 0.2, y + reach * math.sin(angle)))
    return round(px, 3), round(py, 3), round(math.atan2(y - py, x - px), 3)


def _report(rng: random.Random, thing: Thing, room: str, spot: str
            ) -> tuple[str, str, tuple[str, ...], float]:
    conf = round(rng.uniform(0.55, 0.98), 2)
    if thing.person:
        source, tagged, shape = rng.choice(PERSON_SHAPES)
        text = shape.format(Name=thing.label, name=thing.key, spot=spot, area=words(room),
                            conf=conf)
    else:
        source, tagged, shape = rng.choice(OBJECT_SHAPES)
        text = shape.format(thing=thing.label, Thing=thing.label[0].upper() + thing.label[1:],
                            spot=spot, area=words(room), conf=conf)
    # Detector lines always carry their label; a share of the other reports is labelled too
    # (a perception pipeline that tags some frames), the rest only says it in words.
    tagged = tagged or rng.random() < TAGGED
    return text, source, (thing.tag,) if tagged else (), conf if source == 'detector' else 1.0


def _patrol(rng: random.Random, rooms: list[str], things: list[Thing]
            ) -> list[EvalObservation]:
    observations: list[EvalObservation] = []
    t = 0.0
    for _ in range(ROUNDS):
        order = rooms[:]
        rng.shuffle(order)
        for room in order:
            start, end = t, t + rng.uniform(*VISIT_S)
            room_known = rng.random() >= UNKNOWN_ROOM

            def add(when: float, text: str, source: str, tags: tuple[str, ...], conf: float,
                    spot: str, subject: str | None, kind: str) -> None:
                pose = None if rng.random() < UNKNOWN_POSE else _pose_near(rng, room, spot)
                observations.append(EvalObservation(
                    round(when, 1), text, source, tags, conf, room, room_known, pose, subject,
                    kind, spot if kind in ('object', 'person', 'note') else None))

            spots = sorted(LANDMARKS[room])
            if rng.random() < ENTRY_NOTE:
                add(start + 1.0, rng.choice(ENTRY_SHAPES).format(area=words(room)), 'navigation',
                    (), 1.0, spots[0], None, 'entry')
            for thing in things:
                where = _present(thing, start) if thing.person else thing.place_at(start)
                if where is None or where[0] != room or rng.random() >= SEEN:
                    continue
                sightings = 2 if rng.random() < SECOND_SIGHTING else 1
                for _ in range(sightings):
                    text, source, tags, conf = _report(rng, thing, room, where[1])
                    add(rng.uniform(start + 3.0, end - 3.0), text, source, tags, conf, where[1],
                        thing.key, 'person' if thing.person else 'object')
            if rng.random() < DISTRACTOR_NOTE:
                spot = rng.choice(spots)
                add(rng.uniform(start + 3.0, end - 3.0),
                    rng.choice(NOTE_SHAPES).format(spot=spot, n=rng.randint(18, 64)), 'sensor',
                    (), 1.0, spot, None, 'note')
            t = end + rng.uniform(*TRANSIT_S)
    observations.sort(key=lambda o: o.t)
    return observations


# Questions -------------------------------------------------------------------------------------

class _Asker:
    """Builds one mission's questions from its observations."""

    def __init__(self, mission: EvalMission, rng: random.Random, absent_names: list[str],
                 absent_labels: list[str], unvisited: str) -> None:
        self.m = mission
        self.rng = rng
        self.absent_names = absent_names
        self.absent_labels = absent_labels
        self.unvisited = unvisited
        self.now = mission.end_t + 60.0
        self.by_subject: dict[str, list[int]] = {}
        for i, obs in enumerate(mission.observations):
            if obs.subject is not None:
                self.by_subject.setdefault(obs.subject, []).append(i)
        self.things = {t.key: t for t in mission.things}
        self.count = 0

    def ask(self, category: str, question: str, gold: tuple[tuple[int, ...], ...], answer: str,
            keys: tuple[str, ...] = (), count: int | None = None) -> None:
        self.count += 1
        self.m.questions.append(EvalQuestion(
            f'{self.m.mission_id}-q{self.count:03d}', self.m.mission_id, category, question,
            self.m.start_time + self.now, gold, answer, keys, count))

    def seen(self, person: bool) -> list[Thing]:
        return [t for t in self.m.things if t.person == person and t.key in self.by_subject]

    def obs(self, i: int) -> EvalObservation:
        return self.m.observations[i]

    def pick(self, shapes: tuple[str, ...]) -> str:
        return self.rng.choice(shapes)

    def object_location(self, n: int) -> None:
        still = [t for t in self.seen(False) if len(t.places) == 1]
        for thing in self.rng.sample(still, min(n, len(still))):
            room, spot = thing.places[0][1], thing.places[0][2]
            question = self.pick((
                'In which spot did the robot come across the {x}?',
                'Any idea where the {x} was left?', 'Locate the {x} for me.',
                'Where could I pick up the {x}?', 'Which corner of the building has the {x}?'))
            self.ask('object_location', question.format(x=thing.label),
                     (tuple(self.by_subject[thing.key]),), f'by the {spot} in the {words(room)}',
                     (words(room), spot))

    def where_now(self, n_people: int) -> None:
        movers = [t for t in self.seen(False) if len(t.places) > 1]
        for thing in movers:
            last = self.by_subject[thing.key][-1]
            o = self.obs(last)
            question = self.pick((
                'Where is the {x} at this point?',
                'The {x} got moved around; where does it sit now?',
                'Which room currently holds the {x}?',
                'If I went to grab the {x} right now, where should I go?'))
            self.ask('where_now', question.format(x=thing.label), ((last,),),
                     f'by the {o.landmark} in the {words(o.room)}', (words(o.room),))
        for person in self.rng.sample(self.seen(True), min(n_people, len(self.seen(True)))):
            last = self.by_subject[person.key][-1]
            o = self.obs(last)
            question = self.pick(('Where is {x} hanging out these days?',
                                  'Where would I find {x} at the moment?'))
            self.ask('where_now', question.format(x=person.label), ((last,),),
                     f'in the {words(o.room)}', (words(o.room),))

    def when_last(self, n: int) -> None:
        pool = self.seen(True) + self.rng.sample(self.seen(False), 5)
        for thing in self.rng.sample(pool, min(n, len(pool))):
            last = self.by_subject[thing.key][-1]
            name = thing.label if thing.person else f'the {thing.label}'
            question = self.pick((
                'What time did the robot last spot {x}?', 'When was {x} most recently observed?',
                'How long ago did we last lay eyes on {x}?',
                'At what point was {x} seen for the final time?'))
            self.ask('when_last', question.format(x=name), ((last,),),
                     f'at {self.m.clock(self.obs(last).t)}')

    def temporal(self, n: int) -> None:
        end = self.m.end_t
        made = 0
        movers = [t for t in self.seen(False) if len(t.places) > 1]
        for thing in movers:
            if made >= n // 2:
                break
            moved_at = thing.places[1][0]
            before = [i for i in self.by_subject[thing.key] if self.obs(i).t < moved_at]
            if not before:
                continue
            o = self.obs(before[-1])
            question = self.pick((
                'Which room was the {x} in before {clock}?',
                'Prior to {clock}, where had the {x} been kept?'))
            self.ask('temporal', question.format(x=thing.label, clock=self.m.clock(moved_at)),
                     (tuple(before),), f'in the {words(o.room)}', (words(o.room),))
            made += 1
        windows = (('during the opening {m} minutes of the patrol', 0.0, None),
                   ('over the final {m} minutes', None, end),
                   ('in the past {m} minutes', None, self.now))
        attempts = 0
        while made < n and attempts < 200:
            attempts += 1
            phrase, start, stop = self.rng.choice(windows)
            minutes = self.rng.choice((15, 20, 25, 30))
            lo = start if start is not None else (stop or 0.0) - minutes * 60.0
            hi = lo + minutes * 60.0
            room = self.rng.choice(self.m.rooms)
            gold = tuple(i for i, o in enumerate(self.m.observations)
                         if o.room == room and lo <= o.t <= hi and o.kind in ('object', 'person'))
            if not gold:
                continue
            question = self.pick(('What turned up in the {room} {window}?',
                                  'Which things did the robot log in the {room} {window}?'))
            self.ask('temporal', question.format(room=words(room),
                                                 window=phrase.format(m=minutes)),
                     (gold,), f'{len(gold)} reports in the {words(room)}')
            made += 1

    def spatial(self, n: int) -> None:
        for k in range(n):
            room = self.rng.choice(self.m.rooms)
            if k % 2 == 0:
                gold = tuple(i for i, o in enumerate(self.m.observations)
                             if o.room == room and o.kind == 'object')
                question = self.pick(('What is stored in the {room}?',
                                      'List what the robot noticed lying around the {room}.'))
                text = question.format(room=words(room))
            else:
                spot = self.rng.choice(sorted(LANDMARKS[room]))
                x, y = landmark_xy(room, spot)
                gold = tuple(i for i, o in enumerate(self.m.observations)
                             if o.kind == 'object' and o.pose is not None
                             and math.hypot(o.pose[0] - x, o.pose[1] - y) <= NEAR_RADIUS_M)
                question = self.pick(('Name the things within a couple of metres of the {spot}.',
                                      'Anything interesting close to the {spot}?'))
                text = question.format(spot=spot)
            if gold:
                self.ask('spatial', text, (gold,), f'{len(gold)} reports')

    def person(self, n: int) -> None:
        people = self.seen(True)
        for k in range(n):
            if k % 2 == 0:
                room = self.rng.choice(self.m.rooms)
                gold = tuple(i for i, o in enumerate(self.m.observations)
                             if o.room == room and o.kind == 'person')
                names = sorted({self.things[self.obs(i).subject or ''].label for i in gold})
                question = self.pick(('Who showed up in the {room}?',
                                      'Which colleagues passed through the {room}?'))
                if gold:
                    self.ask('person', question.format(room=words(room)), (gold,),
                             ', '.join(names), tuple(n.lower() for n in names))
            else:
                person = self.rng.choice(people)
                question = self.pick(('What was {x} up to?', 'What do we know about {x}?'))
                self.ask('person', question.format(x=person.label),
                         (tuple(self.by_subject[person.key]),), person.label,
                         (person.label.lower(),))

    def counting(self, n: int) -> None:
        people = self.seen(True)
        for k in range(n):
            if k % 2 == 0:
                person = self.rng.choice(people)
                gold = tuple(self.by_subject[person.key])
                question = self.pick(('How many times was {x} spotted?',
                                      'On how many occasions did the robot run into {x}?'))
                self.ask('counting', question.format(x=person.label), (gold,),
                         f'{len(gold)} times', count=len(gold))
            else:
                room = self.rng.choice(self.m.rooms)
                gold = tuple(i for i, o in enumerate(self.m.observations)
                             if o.room == room and o.kind == 'person')
                distinct = len({self.obs(i).subject for i in gold})
                if not gold:
                    continue
                question = self.pick(('How many different people did the robot meet in the '
                                      '{room}?', 'Count the distinct visitors of the {room}.'))
                self.ask('counting', question.format(room=words(room)), (gold,),
                         f'{distinct} people', count=distinct)

    def multi_hop(self, n: int) -> None:
        made = 0
        things = self.seen(False)
        self.rng.shuffle(things)
        for thing in things:
            if made >= n:
                break
            if made % 2 == 0:
                last = self.by_subject[thing.key][-1]
                room = self.obs(last).room
                second = tuple(i for i, o in enumerate(self.m.observations)
                               if o.room == room and o.kind == 'person')
                if not second:
                    continue
                names = sorted({self.things[self.obs(i).subject or ''].label for i in second})
                self.ask('multi_hop',
                         f'Who spent time in the room where the {thing.label} ended up?',
                         ((last,), second), ', '.join(names), tuple(n.lower() for n in names))
            else:
                first = self.by_subject[thing.key][0]
                spot = self.obs(first).landmark
                second = tuple(i for i, o in enumerate(self.m.observations)
                               if o.landmark == spot and o.kind == 'object'
                               and o.subject != thing.key)
                if not second:
                    continue
                labels = sorted({self.things[self.obs(i).subject or ''].label for i in second})
                self.ask('multi_hop',
                         f'What else was kept at the spot where the {thing.label} first '
                         'turned up?', ((first,), second), ', '.join(labels))
            made += 1

    def unanswerable(self, n: int) -> None:
        shapes = [
            ('When did the robot last run into {p}?', 'name'),
            ('Where has {p} been working today?', 'name'),
            ('Where is the {o} stored?', 'label'),
            ('When was the {o} last spotted?', 'label'),
            ('What did the robot find in the {r}?', 'room'),
        ]
        for k in range(n):
            shape, kind = shapes[k % len(shapes)]
            text = shape.format(p=self.absent_names[k % len(self.absent_names)],
                                o=self.absent_labels[k % len(self.absent_labels)],
                                r=words(self.unvisited))
            self.ask('unanswerable', text, (), 'no such memory')


# Missions --------------------------------------------------------------------------------------

def make_mission(number: int, seed: int = 0) -> EvalMission:
    """Return held-out mission ``number`` (0-based): a patrol, its reports and questions."""
    rng = random.Random(f'recall-eval/{seed}/{number}')
    rooms = sorted(FACILITY)
    unvisited = rng.choice(rooms)
    rooms = sorted(r for r in rooms if r != unvisited)
    names = rng.sample(NAMES, PEOPLE_PER_MISSION + 2)
    duration = ROUNDS * len(rooms) * (sum(VISIT_S) + sum(TRANSIT_S)) / 2
    things = _things(rng, rooms, duration) + _people(rng, names[:PEOPLE_PER_MISSION], rooms,
                                                     duration)
    day = FIRST_DAY.replace(day=FIRST_DAY.day + number)
    mission = EvalMission(f'patrol-{seed}-{number}', day.timestamp(), tuple(rooms),
                          tuple(things))
    mission.observations = _patrol(rng, rooms, things)
    used = {t.label for t in things}
    items = {t.label.split(' ', 1)[1] for t in things if not t.person}
    # Absent things share a noun with a present one where possible: cosine alone finds the twin.
    absent = [f'{h} {i}' for i in sorted(items) for h in HUES if f'{h} {i}' not in used]
    rng.shuffle(absent)
    asker = _Asker(mission, rng, names[PEOPLE_PER_MISSION:], absent[:4], unvisited)
    asker.object_location(9)
    asker.where_now(2)
    asker.when_last(8)
    asker.temporal(8)
    asker.spatial(8)
    asker.person(8)
    asker.counting(6)
    asker.multi_hop(6)
    asker.unanswerable(8)
    return mission


def make_missions(count: int = MISSION_COUNT, seed: int = 0) -> list[EvalMission]:
    """Return the held-out missions."""
    return [make_mission(n, seed) for n in range(count)]


def texts(missions: list[EvalMission]) -> Iterator[str]:
    """Yield every text of the set a model could have seen in training: reports, questions."""
    for mission in missions:
        for obs in mission.observations:
            yield obs.text
        for question in mission.questions:
            yield question.question
