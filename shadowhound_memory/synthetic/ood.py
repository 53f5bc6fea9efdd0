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
An out-of-distribution world that only tests the adapters and is never used to train them.

The training data comes from world.py: one house, its colours and nouns, six sentence templates
and two question shapes. An adapter evaluated on more of that world is measured on the
generator's wording. This module is a second, independent world written apart from it: a
workshop building with other rooms, objects, colours and places, perception styles the training
data never shows (detector labels with confidences, tracker lines, operator notes) and other
question shapes. Nothing here may feed a training pair; the leak check in
shadowhound_memory.training.leakage fails the dataset when any of these texts appears in a
training file. The gold memory is what the node should store either way: the event kind, one
plain sentence (thing, place, room) and the object or person and room labels.
"""

from dataclasses import dataclass
import math
import random

from shadowhound_memory.domain.errors import InvalidRequestError

# A workshop building: rooms as (x_min, y_min, x_max, y_max) in metres, a corridor between rows.
ROOMS: dict[str, tuple[float, float, float, float]] = {
    'garage': (0.0, 0.0, 6.0, 5.0),
    'workshop': (6.0, 0.0, 12.0, 5.0),
    'laundry_room': (12.0, 0.0, 16.0, 5.0),
    'corridor': (0.0, 5.0, 16.0, 7.0),
    'greenhouse': (0.0, 7.0, 6.0, 12.0),
    'server_room': (6.0, 7.0, 10.0, 12.0),
    'storeroom': (10.0, 7.0, 16.0, 12.0),
}
PLACES: dict[str, tuple[str, ...]] = {
    'garage': ('beside the workbench', 'on the tool rack', 'next to the van',
               'on the concrete floor'),
    'workshop': ('on the lathe', 'by the vice', 'on the pegboard', 'next to the band saw'),
    'laundry_room': ('on top of the dryer', 'beside the washing machine',
                     'on the ironing board', 'under the drying rack'),
    'corridor': ('by the fire door', 'along the wall', 'near the lift'),
    'greenhouse': ('between the tomato plants', 'on the potting bench', 'by the water barrel',
                   'under the seed trays'),
    'server_room': ('on rack four', 'beside the cooling unit', 'on the cable tray',
                    'by the battery cabinet'),
    'storeroom': ('on the top shelf', 'behind the pallets', 'next to the freezer',
                  'in the corner bin'),
}
COLOURS = ('teal', 'purple', 'grey', 'brown', 'pink', 'navy', 'beige', 'maroon', 'turquoise',
           'cream', 'olive', 'lime')
NOUNS = ('toolbox', 'drill', 'helmet', 'ladder', 'watering can', 'tablet', 'headphones',
         'thermos', 'flashlight', 'suitcase', 'clipboard', 'extension cord', 'bucket', 'kettle',
         'scarf', 'tape measure', 'traffic cone', 'first aid kit', 'fan', 'stool')
PLURAL_NOUNS = ('headphones',)
# (name in a sentence, person tag); person:unknown for someone perception cannot name.
PEOPLE = (('Bob', 'person:bob'), ('Priya', 'person:priya'), ('a technician', 'person:unknown'),
          ('a visitor', 'person:unknown'))
PERSON_PLACES = ('checking the meters', 'carrying a crate', 'at the doorway',
                 'talking on a radio')

# Perception styles: (source, template). Detector and tracker lines carry a confidence.
OBJECT_STYLES: tuple[tuple[str, str], ...] = (
    ('detector', 'detector: {key} ({conf:.2f}) {place}'),
    ('detector', '[yolo] class={noun_key} colour={colour} score={conf:.2f} loc="{place}"'),
    ('detector', 'object detected -> {name} | confidence {pct}% | {place}, {room}'),
    ('camera', 'There is {phrase} sitting {place}.'),
    ('camera', 'The robot passed {phrase} {place}.'),
    ('camera', '{Phrase}, {place}, {room}.'),
    ('camera', 'Heads up: {phrase} {place}.'),
    ('camera', 'Visual confirmation of {phrase} {place} in the {room} area.'),
    ('camera', 'Passing through the {room}; {phrase} is {place}.'),
    ('operator', 'Operator note: someone left {phrase} {place} in the {room}.'),
    ('operator', 'Note from the operator - the {name} is {place}.'),
    ('operator', 'op> confirm {name} {place} ({room})'),
)
PERSON_STYLES: tuple[tuple[str, str], ...] = (
    ('detector', 'detector: person ({conf:.2f}) {place}'),
    ('camera', '{Phrase} seen {place} in the {room}.'),
    ('camera', 'Came across {phrase} {place}.'),
    ('operator', 'Operator note: {phrase} was {place} in the {room}.'),
)
OBJECT_QUESTIONS = ('Any sign of the {name}?', 'In which room did the robot find the {name}?',
                    'Where was the {name} spotted?', 'Have you come across the {name}?',
                    'Do you remember where the {name} is?')
PERSON_QUESTIONS = ('Have you come across {phrase}?', 'Where did the robot meet {phrase}?')
ROOM_QUESTIONS = ('Which items turned up in the {room}?', 'List what you found in the {room}.',
                  'What is lying around the {room}?')

OBSERVATIONS_PER_MISSION = 20
QUESTIONS_PER_MISSION = 10
ROOM_QUESTIONS_PER_MISSION = 3
ROBOT_STANDOFF_M = 1.0


@dataclass(frozen=True)
class OodObservation:
    """
    One report as perception sends it, with the memory the node should make of it.

    text, source, tags and confidence are the input; room and pose are what the node knows from
    its map and odometry; event, gold_text and gold_tags are the expected draft.
    """

    t: float
    text: str
    source: str
    tags: tuple[str, ...]
    confidence: float
    room: str
    pose: tuple[float, float, float]
    event: str
    gold_text: str
    gold_tags: tuple[str, ...]


@dataclass(frozen=True)
class OodQuestion:
    """A question in this world's words and the observations that answer it."""

    question: str
    observations: tuple[int, ...]
    room: str | None
    object_key: str | None


@dataclass(frozen=True)
class OodMission:
    """A mission of the out-of-distribution world: observations in time order and questions."""

    mission_id: str
    start_time: float
    observations: tuple[OodObservation, ...]
    questions: tuple[OodQuestion, ...]


def _article(name: str) -> str:
    if name.split()[-1] in PLURAL_NOUNS:
        return name
    return ('an ' if name[0] in 'aeiou' else 'a ') + name


def _spot(rng: random.Random, room: str) -> tuple[float, float, float]:
    """Return a robot pose 1 m from a random spot in the room, facing it."""
    x0, y0, x1, y1 = ROOMS[room]
    ox, oy = rng.uniform(x0 + 0.5, x1 - 0.5), rng.uniform(y0 + 0.5, y1 - 0.5)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    heading = math.atan2(cy - oy, cx - ox) if math.dist((ox, oy), (cx, cy)) > 1e-6 else 0.0
    rx = min(max(ox + ROBOT_STANDOFF_M * math.cos(heading), x0 + 0.3), x1 - 0.3)
    ry = min(max(oy + ROBOT_STANDOFF_M * math.sin(heading), y0 + 0.3), y1 - 0.3)
    return round(rx, 2), round(ry, 2), round(math.atan2(oy - ry, ox - rx), 2)


def _object_report(rng: random.Random, colour: str, noun: str, room: str, place: str
                   ) -> tuple[str, str, tuple[str, ...], float]:
    source, template = rng.choice(OBJECT_STYLES)
    name = f'{colour} {noun}'
    key = name.replace(' ', '_')
    conf = 1.0 if source == 'operator' else round(rng.uniform(0.41, 0.98), 2)
    phrase = _article(name)
    text = template.format(key=key, noun_key=noun.replace(' ', '_'), colour=colour, name=name,
                           phrase=phrase, Phrase=phrase[0].upper() + phrase[1:], place=place,
                           room=room.replace('_', ' '), conf=conf, pct=round(conf * 100))
    tags = (f'object:{key}',) if source != 'operator' and rng.random() < 0.4 else ()
    return text, source, tags, conf


def _person_report(rng: random.Random, phrase: str, tag: str, room: str, place: str
                   ) -> tuple[str, str, tuple[str, ...], float]:
    source, template = rng.choice(PERSON_STYLES)
    conf = 1.0 if source == 'operator' else round(rng.uniform(0.5, 0.97), 2)
    text = template.format(phrase=phrase, Phrase=phrase[0].upper() + phrase[1:], place=place,
                           room=room.replace('_', ' '), conf=conf)
    tags = (tag,) if tag != 'person:unknown' and rng.random() < 0.5 else ()
    return text, source, tags, conf


def make_ood_mission(seed: int, mission_id: str, start_time: float) -> OodMission:
    """
    Build one mission: 20 sightings in four or five rooms, then 10 questions about them.

    Each thing is seen once (the repeat-merging of the node is not what this set measures), so
    every observation is one writing item; questions ask about 7 things and 3 rooms.
    """
    if not start_time > 0.0:
        raise InvalidRequestError(f'start_time must be positive (got {start_time})')
    rng = random.Random(seed)
    rooms = rng.sample(sorted(ROOMS), rng.randint(4, 5))
    names = [(c, n) for c in COLOURS for n in NOUNS]
    rng.shuffle(names)
    people = rng.sample(PEOPLE, 2)
    things: list[tuple[str, str | None]] = [('object', None)] * (OBSERVATIONS_PER_MISSION - 2)
    things += [('person', None)] * 2
    rng.shuffle(things)
    observations: list[OodObservation] = []
    keys: list[tuple[str, str]] = []
    t = rng.uniform(5.0, 30.0)
    for kind, _ in things:
        room = rooms[min(len(rooms) - 1, len(observations) * len(rooms)
                         // OBSERVATIONS_PER_MISSION)]
        pose = _spot(rng, room)
        words = room.replace('_', ' ')
        if kind == 'person':
            phrase, tag = people.pop()
            place = rng.choice(PERSON_PLACES)
            text, source, tags, conf = _person_report(rng, phrase, tag, room, place)
            capital = phrase[0].upper() + phrase[1:]
            gold = OodObservation(t, text, source, tags, conf, room, pose, 'person_seen',
                                  f'{capital} {place} in the {words}.', (tag, f'room:{room}'))
            keys.append(('person', phrase))
        else:
            colour, noun = names.pop()
            place = rng.choice(PLACES[room])
            text, source, tags, conf = _object_report(rng, colour, noun, room, place)
            phrase = _article(f'{colour} {noun}')
            key = f'{colour}_{noun}'.replace(' ', '_')
            gold = OodObservation(t, text, source, tags, conf, room, pose, 'object_seen',
                                  f'{phrase[0].upper() + phrase[1:]} {place} in the {words}.',
                                  (f'object:{key}', f'room:{room}'))
            keys.append(('object', f'{colour} {noun}'))
        observations.append(gold)
        t += rng.uniform(12.0, 45.0)
    questions = _questions(rng, observations, keys)
    return OodMission(mission_id, start_time, tuple(observations), tuple(questions))


def _questions(rng: random.Random, observations: list[OodObservation],
               keys: list[tuple[str, str]]) -> list[OodQuestion]:
    about = rng.sample(range(len(observations)),
                       QUESTIONS_PER_MISSION - ROOM_QUESTIONS_PER_MISSION)
    questions = []
    for i in sorted(about):
        kind, name = keys[i]
        key = observations[i].gold_tags[0].split(':', 1)[1]
        if kind == 'person':
            text = rng.choice(PERSON_QUESTIONS).format(phrase=name)
        else:
            text = rng.choice(OBJECT_QUESTIONS).format(name=name)
        questions.append(OodQuestion(text, (i,), None, key))
    rooms = sorted({o.room for o in observations})
    for room in rng.sample(rooms, min(ROOM_QUESTIONS_PER_MISSION, len(rooms))):
        indices = tuple(i for i, o in enumerate(observations) if o.room == room)
        text = rng.choice(ROOM_QUESTIONS).format(room=room.replace('_', ' '))
        questions.append(OodQuestion(text, indices, room, None))
    return questions


def make_ood_missions(seed: int, count: int, start_time: float) -> list[OodMission]:
    """Return count missions named ood-<seed>-<n>, a day apart from start_time."""
    if count < 0:
        raise InvalidRequestError(f'count must not be negative (got {count})')
    rng = random.Random(f'ood-{seed}')
    return [make_ood_mission(rng.randrange(2 ** 31), f'ood-{seed}-{n}',
                             start_time + 86_400.0 * n + 60.0 * rng.randrange(8 * 60, 17 * 60))
            for n in range(count)]
