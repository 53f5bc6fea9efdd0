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
Query planning: a question becomes a plan of search texts, tags, a time window, a place, an intent.

A literal question embedded as it is ("Where is the red ball now?") retrieves by wording alone:
it cannot tell that "now" asks for the latest sighting, that "in the last ten minutes" is a
filter, or that "the red ball" is a tag the store holds. A plan says those things explicitly, and
the retriever applies them. Tags are drawn only from the store's vocabulary (the tags actually
stored for the mission), so a plan never filters on a label no memory carries.

Two planners share the ``QueryPlanner`` protocol: ``RulePlanner`` here (deterministic, no model, a
millisecond or so) and the LLM planner in ``llm/planner.py``, which falls back to this one.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
import math
import re
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shadowhound_memory.domain.records import MAX_COORDINATE_M
from shadowhound_memory.domain.vocabulary import COLOURS, OBJECTS, ROOMS

Intent = Literal['where', 'where_now', 'when', 'when_last', 'list', 'count', 'describe',
                 'yes_no']
INTENTS: tuple[Intent, ...] = ('where', 'where_now', 'when', 'when_last', 'list', 'count',
                               'describe', 'yes_no')
# Intents whose answer is the latest sighting: only these weigh recency in the ranking.
RECENCY_INTENTS: tuple[Intent, ...] = ('where_now', 'when_last')
PLANNERS = ('none', 'rules', 'llm')
# The first note of a plan the LLM planner could not write: recall responses repeat it.
FALLBACK_NOTE_PREFIX = 'LLM planner fell back to rules'

MAX_SEARCH_TEXTS = 3
SEARCH_TEXT_CHARS = 200
MAX_PLAN_TAGS = 8
PLAN_TAG_CHARS = 64
PLACE_CHARS = 64
MAX_NOTES = 8
NOTE_CHARS = 160
# A place named without a radius ("near the charger", "here") means about a room's width.
DEFAULT_RADIUS_M = 3.0
# "At the start of the mission": the first minutes, or the first tenth of a long mission.
MISSION_START_S = 120.0
# Bounded like the record's tags, so a constrained model cannot ramble through a tag.
PLAN_TAG_PATTERN = r'^[a-z0-9][a-z0-9_.\-]{0,30}(:[a-z0-9][a-z0-9_.\-]{0,30})?$'


class Near(BaseModel):
    """A circle on the map: the place a question asks about."""

    model_config = ConfigDict(extra='forbid')

    x: float = Field(ge=-MAX_COORDINATE_M, le=MAX_COORDINATE_M, description='Map x, metres.')
    y: float = Field(ge=-MAX_COORDINATE_M, le=MAX_COORDINATE_M, description='Map y, metres.')
    radius: float = Field(DEFAULT_RADIUS_M, gt=0.0, le=MAX_COORDINATE_M,
                          description='Radius, metres.')


class QueryPlan(BaseModel):
    """
    What a recall should search for, decided from the question before searching.

    ``since``/``until`` are absolute (epoch seconds), resolved against the ``now`` of the
    question. ``place`` names the place asked about: a room tag (``room:kitchen``), the tag of a
    thing with a known position (``object:charger``), ``here`` (the robot's pose) or
    ``coordinates``; ``near`` is the circle it resolved to, when it has one. ``missing`` lists
    things the question names that no memory of the store is tagged with: their only evidence
    can be a memory's words.
    """

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    planner: str = Field('rules', max_length=32, description='Who made the plan.')
    intent: Intent = Field('describe', description='What kind of answer is asked for.')
    search_texts: list[str] = Field(min_length=1, max_length=MAX_SEARCH_TEXTS,
                                    description='What to embed and search for, best first.')
    tags_any: list[str] = Field(default_factory=list, max_length=MAX_PLAN_TAGS,
                                description='Things asked about (any of them), from the store.')
    tags_all: list[str] = Field(default_factory=list, max_length=MAX_PLAN_TAGS,
                                description='Tags every answer must carry, from the store.')
    since: float | None = Field(None, description='Observed at or after (epoch s).')
    until: float | None = Field(None, description='Observed at or before (epoch s).')
    place: str | None = Field(None, max_length=PLACE_CHARS,
                              description="room:<name>, a thing's tag, here, or coordinates.")
    near: Near | None = Field(None, description='The circle the place resolved to.')
    recency: bool = Field(False, description='Whether newer memories should rank higher.')
    missing: list[str] = Field(default_factory=list, max_length=MAX_PLAN_TAGS,
                               description='Things named in the question that the store has '
                                           'no tag for.')
    notes: list[str] = Field(default_factory=list, max_length=MAX_NOTES,
                             description='Why the plan is what it is, one reason a line.')

    @field_validator('search_texts')
    @classmethod
    def _texts(cls, texts: list[str]) -> list[str]:
        cleaned = [' '.join(t.split())[:SEARCH_TEXT_CHARS] for t in texts]
        if not all(cleaned):
            raise ValueError('search texts must not be empty')
        return cleaned

    @field_validator('tags_any', 'tags_all', 'missing')
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        out: list[str] = []
        for tag in (t.strip().lower() for t in tags):
            if not re.match(PLAN_TAG_PATTERN, tag):
                raise ValueError(f'tag {tag!r} must look like kind:value, e.g. object:red_ball')
            if tag not in out:
                out.append(tag)
        return out

    @field_validator('notes')
    @classmethod
    def _notes(cls, notes: list[str]) -> list[str]:
        return [n[:NOTE_CHARS] for n in notes]

    @model_validator(mode='after')
    def _window(self) -> 'QueryPlan':
        for bound in (self.since, self.until):
            if bound is not None and not math.isfinite(bound):
                raise ValueError('time bounds must be finite')
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError('since must not be after until')
        return self

    @property
    def wants_recency(self) -> bool:
        """Tell whether newer memories should rank higher for this question."""
        return self.recency or self.intent in RECENCY_INTENTS

    def entity_tags(self) -> list[str]:
        """Return the object and person tags the question is about."""
        return [t for t in self.tags_any + self.tags_all
                if t.startswith(('object:', 'person:'))]

    def summary(self) -> str:
        """Say the plan in one short line, for logs and the demo."""
        parts = [f'{self.planner}: intent={self.intent}', f'search={self.search_texts[0]!r}']
        if self.tags_any:
            parts.append(f'tags_any={self.tags_any}')
        if self.tags_all:
            parts.append(f'tags_all={self.tags_all}')
        if self.since is not None or self.until is not None:
            parts.append(f'time=[{_clock(self.since)}, {_clock(self.until)}]')
        if self.place:
            parts.append(f'place={self.place}')
        if self.near is not None:
            parts.append(f'near=({self.near.x:.1f}, {self.near.y:.1f}, r={self.near.radius:g})')
        if self.recency:
            parts.append('recent first')
        if self.missing:
            parts.append(f'not in store={self.missing}')
        return ' '.join(parts)


def _clock(stamp: float | None) -> str:
    return '-' if stamp is None else datetime.fromtimestamp(stamp).strftime('%H:%M:%S')


def plan_json_schema(tags: Sequence[str] = ()) -> dict[str, Any]:
    """
    Return the JSON Schema of the plan a model writes (a plan draft), for constrained decoding.

    Times are seconds before now (``since_s_ago``, ``until_s_ago``): a small model copying a
    ten-digit timestamp is where wrong plans come from, and code resolves them against ``now``
    (``plan_from_draft``). Strings and arrays are bounded, so a model under the schema cannot
    ramble into truncation. Given ``tags`` (the store's vocabulary), tags are an enum of them:
    a constrained model cannot name a tag no memory carries.
    """
    tag: dict[str, Any] = {'type': 'string', 'enum': sorted(set(tags))} if tags else \
        {'type': 'string', 'pattern': PLAN_TAG_PATTERN}
    seconds = {'type': 'number', 'minimum': 0, 'maximum': 1e7}
    return {
        'type': 'object',
        'properties': {
            'intent': {'type': 'string', 'enum': list(INTENTS)},
            'search_texts': {'type': 'array', 'minItems': 1, 'maxItems': MAX_SEARCH_TEXTS,
                             'items': {'type': 'string', 'minLength': 1,
                                       'maxLength': SEARCH_TEXT_CHARS}},
            'tags_any': {'type': 'array', 'maxItems': MAX_PLAN_TAGS, 'items': tag},
            'tags_all': {'type': 'array', 'maxItems': MAX_PLAN_TAGS, 'items': tag},
            'since_s_ago': seconds,
            'until_s_ago': seconds,
            'place': {'type': 'string', 'maxLength': PLACE_CHARS},
            'near': {'type': 'object', 'properties': {
                'x': {'type': 'number', 'minimum': -MAX_COORDINATE_M,
                      'maximum': MAX_COORDINATE_M},
                'y': {'type': 'number', 'minimum': -MAX_COORDINATE_M,
                      'maximum': MAX_COORDINATE_M},
                'radius': {'type': 'number', 'minimum': 0.1, 'maximum': 1000}},
                'required': ['x', 'y', 'radius'], 'additionalProperties': False},
            'recency': {'type': 'boolean'},
        },
        'required': ['intent', 'search_texts', 'tags_any'],
        'additionalProperties': False,
    }


def plan_from_draft(draft: Mapping[str, Any], now: float, vocabulary: 'Vocabulary',
                    robot_pose: tuple[float, float] | None = None,
                    planner: str = 'llm') -> QueryPlan:
    """
    Resolve a model's plan draft against ``now``, the vocabulary and the robot pose.

    Raises pydantic's ValidationError (or ValueError) when the draft is not a valid plan; tags
    not in the vocabulary are dropped with a note rather than filtered on.
    """
    known = [k for k in draft if k not in plan_json_schema()['properties']]
    if known:
        raise ValueError(f'unexpected fields {sorted(known)}')
    notes: list[str] = []
    tags: dict[str, list[str]] = {}
    for name in ('tags_any', 'tags_all'):
        given = [str(t).strip().lower() for t in draft.get(name) or []]
        tags[name] = [t for t in given if t in vocabulary.tags]
        dropped = [t for t in given if t not in vocabulary.tags]
        if dropped:
            notes.append(f'{name}: not in the store, dropped: {", ".join(dropped[:4])}')
    since = draft.get('since_s_ago')
    until = draft.get('until_s_ago')
    place = draft.get('place') or None
    near = draft.get('near')
    if place == 'here':
        if robot_pose is not None:
            near = {'x': robot_pose[0], 'y': robot_pose[1], 'radius': DEFAULT_RADIUS_M}
        else:
            notes.append('"here": the robot pose is unknown, no place filter')
    elif place and place in vocabulary.positions and near is None and \
            not place.startswith('room:'):
        x, y = vocabulary.positions[place]
        near = {'x': x, 'y': y, 'radius': DEFAULT_RADIUS_M}
    if place and place.startswith('room:') and place in vocabulary.tags and \
            place not in tags['tags_any']:
        tags['tags_any'].append(place)
    return QueryPlan(
        planner=planner, intent=draft.get('intent', 'describe'),
        search_texts=list(draft.get('search_texts') or []), tags_any=tags['tags_any'],
        tags_all=tags['tags_all'],
        since=None if since is None else now - float(since),
        until=None if until is None else now - float(until),
        place=place, near=None if near is None else Near.model_validate(near),
        recency=bool(draft.get('recency', False)), notes=notes)


def draft_from_plan(plan: QueryPlan, now: float) -> dict[str, Any]:
    """Return the draft a model should write for ``plan`` (training targets use it)."""
    draft: dict[str, Any] = {'intent': plan.intent, 'search_texts': plan.search_texts,
                             'tags_any': plan.tags_any}
    if plan.tags_all:
        draft['tags_all'] = plan.tags_all
    if plan.since is not None:
        draft['since_s_ago'] = round(max(0.0, now - plan.since), 1)
    if plan.until is not None:
        draft['until_s_ago'] = round(max(0.0, now - plan.until), 1)
    if plan.place:
        draft['place'] = plan.place
    if plan.near is not None and plan.place not in ('here',) and \
            not (plan.place or '').startswith(('object:', 'person:')):
        draft['near'] = plan.near.model_dump()
    if plan.recency:
        draft['recency'] = True
    return draft


@dataclass(frozen=True)
class Vocabulary:
    """
    What the store holds for a mission: its tags, where things were last seen, when rooms began.

    ``positions`` maps an object, person or room tag to the (x, y) of its latest sighting with a
    pose; ``first_seen`` maps a tag to the earliest time it was observed; ``start`` and ``end``
    are the times of the mission's first and last memories.
    """

    tags: frozenset[str] = frozenset()
    positions: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    first_seen: Mapping[str, float] = field(default_factory=dict)
    start: float | None = None
    end: float | None = None

    def of_kind(self, kind: str) -> list[str]:
        """Return the tags of one kind (object, person, room), sorted."""
        return sorted(t for t in self.tags if t.startswith(kind + ':'))


class QueryPlanner(Protocol):
    """Turns a question into a plan; every planner answers, none raises on odd wording."""

    name: str

    def plan(self, question: str, now: float, vocabulary: Vocabulary,
             robot_pose: tuple[float, float] | None = None) -> QueryPlan:
        """Return the plan of ``question`` asked at ``now`` against the store's ``vocabulary``."""


# The rule planner ---------------------------------------------------------------------------

_NUMBERS = {
    'a': 1, 'an': 1, 'one': 1, 'two': 2, 'three': 3, 'four': 4, 'five': 5, 'six': 6,
    'seven': 7, 'eight': 8, 'nine': 9, 'ten': 10, 'eleven': 11, 'twelve': 12, 'thirteen': 13,
    'fourteen': 14, 'fifteen': 15, 'sixteen': 16, 'seventeen': 17, 'eighteen': 18,
    'nineteen': 19, 'couple of': 2, 'a couple of': 2, 'couple': 2, 'a couple': 2,
    'pair of': 2, 'a pair of': 2, 'few': 3, 'a few': 3, 'several': 5, 'half an': 0.5,
    'half a': 0.5, 'half': 0.5, 'quarter of an': 0.25, 'a quarter of an': 0.25,
    'quarter': 0.25, 'a quarter': 0.25, 'dozen': 12, 'a dozen': 12}
for _tens, _value in (('twenty', 20), ('thirty', 30), ('forty', 40), ('fifty', 50),
                      ('sixty', 60), ('seventy', 70), ('eighty', 80), ('ninety', 90)):
    _NUMBERS[_tens] = _value
    for _unit, _add in (('one', 1), ('two', 2), ('three', 3), ('four', 4), ('five', 5),
                        ('six', 6), ('seven', 7), ('eight', 8), ('nine', 9)):
        _NUMBERS[f'{_tens}-{_unit}'] = _NUMBERS[f'{_tens} {_unit}'] = _value + _add
_UNITS = {'s': 1, 'sec': 1, 'secs': 1, 'second': 1, 'seconds': 1, 'm': 60, 'min': 60,
          'mins': 60, 'minute': 60, 'minutes': 60, 'h': 3600, 'hr': 3600, 'hrs': 3600,
          'hour': 3600, 'hours': 3600, 'day': 86400, 'days': 86400}
_NUMBER = (r'(\d+(?:\.\d+)?|'
           + '|'.join(sorted((re.escape(k) for k in _NUMBERS), key=len, reverse=True)) + r')')
_UNIT = r'(' + '|'.join(sorted(_UNITS, key=len, reverse=True)) + r')\b'
_WINDOW_RE = re.compile(
    r'\b(?:in|during|within|over|for)?\s*(?:the\s+)?(?:last|past|previous|recent)\s+'
    + _NUMBER + r'?\s*' + _UNIT)
# The mission's own span: "the first 20 minutes of the patrol", "the closing ten minutes".
_RUN = r'(?:mission|patrol|run|tour|shift|sweep|round|trip|session|survey|walk|inspection)'
_OF_RUN = r'(?:\s+(?:of|into|in)\s+(?:the|our|this|today\'s)\s+' + _RUN + r')'
_FIRST_SPAN_RE = re.compile(
    r'\b(?:in|during|within|over|for|across)?\s*(?:the\s+)?(?:first|opening|initial|earliest)\s+'
    + _NUMBER + r'?\s*' + _UNIT + _OF_RUN + '?')
_LAST_SPAN_RE = re.compile(
    r'\b(?:in|during|within|over|for|across)?\s*(?:the\s+)?(?:(?:final|closing|concluding|'
    r'ending)\s+' + _NUMBER + r'?\s*' + _UNIT + _OF_RUN + r'?|(?:last|past)\s+' + _NUMBER
    + r'?\s*' + _UNIT + _OF_RUN + ')')
_INTO_RUN_RE = re.compile(r'\b(?:about\s+|around\s+|roughly\s+)?' + _NUMBER + r'\s*' + _UNIT
                          + r'\s+(?:into|after the start of)\s+(?:the|our|this)\s+' + _RUN)
# Clock times, read on the calendar day of ``now`` in local time: "before 10:20", "since 9am".
_CLOCK = (r'(?:(\d{1,2}):(\d{2})(?:\s*([ap])\.?m\b\.?)?|(\d{1,2})\s*(?:([ap])\.?m\b\.?|'
          r"o'clock\b)|(noon|midday|midnight)\b)")
_CLOCK_BETWEEN_RE = re.compile(r'\b(?:between|from)\s+' + _CLOCK
                               + r'\s*(?:and|to|until|till|-)\s*' + _CLOCK)
_CLOCK_BEFORE_RE = re.compile(r'\b(?:before|prior to|until|till|up to|up until|by|earlier than)'
                              r'\s+' + _CLOCK)
_CLOCK_AFTER_RE = re.compile(r'\b(?:after|since|from|later than|starting at|beginning at)\s+'
                             + _CLOCK)
_CLOCK_AT_RE = re.compile(r'\b(?:(?:at|around|about|circa|approximately|roughly|near)\s+)?'
                          r'(?:(around|about|approximately|roughly)\s+)?' + _CLOCK)
# "At 14:30" is a moment: the memories of the minutes around it ("around" widens it).
CLOCK_AT_SLACK_S = 600.0
CLOCK_AROUND_SLACK_S = 900.0
_AGO_RE = re.compile(r'\b(?:about\s+|around\s+|roughly\s+)?' + _NUMBER + r'\s*' + _UNIT
                     + r'\s+ago\b')
_DAYPARTS = {'morning': (6, 12), 'afternoon': (12, 18), 'evening': (18, 24), 'night': (18, 30)}
_DAYPART_RE = re.compile(r'\b(this|yesterday|last)\s+(morning|afternoon|evening|night)\b'
                         r'|\btonight\b')
_TODAY_RE = re.compile(r'\btoday\b|\bso far\b')
_YESTERDAY_RE = re.compile(r'\byesterday\b')
_START_RE = re.compile(r'\b(?:at|near|in|during|around)?\s*the\s+(?:very\s+)?'
                       r'(?:start|beginning|outset)\b|\bearly (?:on|in the mission)\b'
                       r'|\bfirst (?:few )?minutes?\b|\bwhen we (?:started|began|set off)\b')
_END_RE = re.compile(r'\b(?:at|near|towards?|by)\s+the\s+end\b|\blate in the mission\b')
_RECENT_RE = re.compile(r'\b(?:recently|lately|latest|just now|a moment ago|moments ago|'
                        r'most recent(?:ly)?|newest|just saw|just seen|last saw|last seen|'
                        r'last time|last spotted|last noticed|final time|currently|right now|'
                        r'at the moment|these days|nowadays|at present|presently)\b')
_NOW_WORDS = (r'(?:now|currently|at the moment|right now|these days|at present|presently|'
              r'nowadays|anymore|as of now|at this point|today)')
# "before we went into the kitchen", "after entering the office", "since we left the hall".
_MOVES = ('went', 'go', 'going', 'got', 'entered', 'enter', 'entering', 'came', 'come',
          'arrived', 'arriving', 'walked', 'moved', 'visited', 'visiting', 'reached', 'reaching',
          'were', 'was', 'left', 'leaving', 'drove', 'headed', 'stepped', 'passed', 'checked')
_ROOM_EVENT_RE = re.compile(
    r'\b(before|after|since|until|till)\s+(?:we|you|i|the robot)?\s*(?:'
    + '|'.join(sorted(_MOVES, key=len, reverse=True)) + r')?\s*'
    r'(?:into|in to|inside|in|to|at|through|out of|by)?\s*(?:the\s+)?([a-z_ ]+?)'
    r'(?=[?.!,]|$|\s(?:and|or|did|we|was|were|is|what|who|how)\b)')
_COORD_RE = re.compile(
    r'\(\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*\)'
    r'|\bx\s*[=:]?\s*(-?\d+(?:\.\d+)?)\s*,?\s*(?:and\s+)?y\s*[=:]?\s*(-?\d+(?:\.\d+)?)'
    r'|\b(?:at|near|around|coordinates?|position|point)\s+(-?\d+(?:\.\d+)?)\s*,\s*'
    r'(-?\d+(?:\.\d+)?)\b')
_RADIUS_RE = re.compile(r'\b(?:within|in a radius of|radius(?: of)?)\s+(\d+(?:\.\d+)?)\s*'
                        r'(?:m|meters?|metres?)\b')
_HERE_RE = re.compile(r'\b(?:around here|near here|over here|right here|here|nearby|near me|'
                      r'around me|close to me|where i am|where you are|where we are now|'
                      r'your current (?:position|location)|this spot|this place)\b')
_NEAR_RE = re.compile(r'\b(?:near|next to|close to|beside|by|around|behind|in front of|'
                      r'at|under)\s+(?:the\s+|a\s+|an\s+)?$')

_INTENT_RULES: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    ('count', re.compile(r'\bhow (?:many|often|much)\b|\bnumber of\b|\bcount\b|'
                         r'\bhow many times\b')),
    ('when_last', re.compile(r'\bwhen\b.*\b(?:last|latest|most recent(?:ly)?|final(?:ly)?)\b|'
                             r'\b(?:last|latest|most recent|final|newest) (?:time|sighting|'
                             r'glimpse|encounter|appearance|record)\b.*\b(?:see|saw|seen|'
                             r'spot|spotted|notice|noticed|meet|met|when|time)\b|'
                             r'\b(?:what time|at what point|what moment|at which point)\b.*'
                             r'\b(?:last|latest|final(?:ly)?|most recent(?:ly)?)\b|'
                             r'\bhow long ago\b|\bhow recently\b|'
                             r'\bhow long (?:has it been|since)\b')),
    ('when', re.compile(r'^\s*(?:when|what time|at what time)\b|\bwhen (?:did|was|were|'
                        r'have|had)\b|\bwhat time\b|\bat what point\b|\btime (?:of|when)\b')),
    ('where_now', re.compile(
        r"\bwhere(?:'s| is| are| can i find| would i find| could i find| do i find| to find|"
        r' might i find| should i look| do i look| would i look| does .* live| do .* live|'
        r' does .* sit| do .* sit| is .* kept| are .* kept| has .* ended up| did .* end up)\b'
        r'|\bwhere\b.*\b(?:' + _NOW_WORDS[3:-1] + r'|last|latest|most recent(?:ly)?|'
        r'final(?:ly)?)\b'
        r'|^(?!\s*(?:what|who|which|how|did|do|does|was|were|is|are)\b).*'
        r'\b(?:find|locate|location of|whereabouts)\b'
        r'|\bcurrent (?:location|position|place|room|spot|whereabouts)\b'
        r'|\b' + _NOW_WORDS + r'\b.*\bwhere\b'
        r'|\b(?:which|what|in which|in what) (?:room|place|part|area|spot|location)\b.*\b'
        + _NOW_WORDS + r'\b'
        r'|\b(?:which|what) (?:room|place|area|spot|location)\b.*\b(?:last|latest|final|most '
        r'recent(?:ly)?)\b')),
    ('where', re.compile(r'\bwhere\b|\bwhich (?:room|place|part)\b|\bin what (?:room|place)\b'
                         r'|\bwhat (?:room|place)\b')),
    ('yes_no', re.compile(r'^\s*(?:is|are|was|were|did|do|does|have|has|had|can|could|will|'
                          r'would|should|any)\b')),
    ('list', re.compile(r'^\s*(?:list|name|enumerate|show|give me)\b|\bwhat (?:was|were|is|'
                        r'are|did|have|things|objects|items|else)\b|\bwhich (?:things|objects|'
                        r'items)\b|\bwho\b|\banything\b|\beverything\b|\bwhat all\b')),
)

_FILLER = frozenset((
    'a an the of to in on at by for from with about into onto over under near is are was were '
    'be been being am do does did done have has had having can could would should will shall '
    'may might must i me my we us our you your it its they them their he she his her this that '
    'these those there here what which who whom whose where when why how please tell show give '
    'list name find locate know remember recall see saw seen seeing spot spotted notice noticed '
    'observe observed any anything something everything all some just now currently still last '
    'latest recently recent lately ever time times many much often number count again okay ok '
    'hey robot memory memories mission ago happened happen happening long currently moment '
    'right presently nowadays days final most sighting sighted holds hold holding kept '
    'patrol run tour shift '
).split())
# Colour words of everyday English, beyond the synthetic world's: a question naming a colour the
# store never had ("the lilac kettle") must not be matched to another colour's thing.
_COLOUR_WORDS = frozenset(COLOURS) | frozenset((
    'gold golden beige tan teal turquoise cyan aqua navy maroon burgundy crimson scarlet '
    'magenta violet lilac lavender indigo olive lime mint khaki cream ivory charcoal amber coral '
    'mustard ochre rust copper bronze mauve fuchsia emerald jade sapphire cobalt azure '
    'cerulean ruby taupe chartreuse aubergine periwinkle sepia vermilion umber sienna saffron '
    'mahogany platinum ebony onyx aquamarine cerise maize fawn ecru'
).split())
# A colour word and the (up to three) words after it, overlapping: "red ball and teal ball".
_COLOUR_RE = re.compile(r'\b(' + '|'.join(sorted(_COLOUR_WORDS, key=len, reverse=True))
                        + r')\b(?=(?:\s+|-)([a-z]+(?:\s+[a-z]+){0,2}))')
_NOT_A_THING = frozenset(('one', 'ones', 'coloured', 'colored', 'colour', 'color', 'and', 'or',
                          'tinted', 'ish'))
# Room names of everyday English: one the store never had ("the pantry") is reported missing,
# not silently searched for everywhere.
_ROOM_WORDS = tuple(sorted(set(ROOMS) | set((
    'kitchen kitchenette pantry larder scullery laundry cellar basement attic loft garage '
    'nursery library gym gymnasium workshop storeroom stockroom warehouse archive archives '
    'studio lab laboratory lobby foyer vestibule atrium porch balcony patio terrace garden '
    'yard courtyard bathroom restroom washroom toilet lavatory '
    'bedroom hallway corridor stairwell staircase office canteen cafeteria greenhouse shed '
    'conservatory sunroom cloakroom mudroom playroom auditorium classroom reception '
    'boardroom lounge'
).split()) | {
    'loading bay', 'loading dock', 'server room', 'conference room', 'meeting room',
    'break room', 'utility room', 'boiler room', 'mail room', 'mailroom', 'copy room',
    'control room', 'clean room', 'plant room', 'laundry room', 'guest room', 'spare room',
    'dining room', 'living room', 'storage room', 'engine room', 'waiting room',
    'sitting room', 'family room', 'games room', 'tv room', 'store room', 'print room',
    'locker room', 'changing room', 'staff room', 'break area', 'reading room'},
    key=len, reverse=True))
_ROOM_RE = re.compile(r'\b(?:' + '|'.join(re.escape(r) for r in _ROOM_WORDS)
                      + r'|[a-z]+ room)s?\b')
_NOT_A_ROOM = frozenset((
    'every each other another same next big small whole empty different new first previous '
    'current adjacent neighbouring neighboring nearby whichever single one own dark quiet '
    'main large tiny'
).split())
_PERSON_WORDS = frozenset(('person', 'people', 'someone', 'somebody', 'anyone', 'anybody',
                           'human', 'humans', 'visitor', 'visitors', 'who', 'man', 'woman'))
_COMMON_CAPITALIZED = frozenset(('i', 'where', 'when', 'what', 'which', 'who', 'how', 'did',
                                 'do', 'is', 'are', 'was', 'were', 'have', 'has', 'can', 'could',
                                 'tell', 'list', 'show', 'name', 'give', 'any', 'the', 'a',
                                 'robot', 'please', 'hey', 'ok', 'okay', 'in', 'at', 'on', 'near',
                                 'and', 'or', 'so', 'since', 'before', 'after', 'then', 'count',
                                 'find', 'locate', 'describe', 'does', 'would', 'should', 'will',
                                 'let', 'remind', 'between', 'during', 'over', 'this', 'that',
                                 'from', 'to', 'was', 'we', 'you', 'your', 'our', 'my', 'now',
                                 'yesterday', 'today', 'earlier', 'recently', 'last', 'x', 'y'))


def _normalize(text: str) -> str:
    """Lowercase, unify dashes and underscores to spaces, keep digits, dots and commas."""
    lowered = text.lower().replace('_', ' ').replace('\u2019', "'")
    lowered = re.sub(r"[^a-z0-9'.,()=:\-?!\s]", ' ', lowered)
    return ' '.join(lowered.split())


def _plural(word: str) -> list[str]:
    if word.endswith(('s', 'x', 'ch', 'sh')):
        return [word, word + 'es']
    if word.endswith('y') and len(word) > 2 and word[-2] not in 'aeiou':
        return [word, word[:-1] + 'ies']
    return [word, word + 's']


def _variants(tag: str) -> list[str]:
    """Return the phrases that name a tag in a question: 'red ball', 'red balls', 'redball'."""
    kind, _, value = tag.partition(':')
    words = value.replace('_', ' ').replace('-', ' ').split()
    if not words:
        return []
    out = {' '.join(words[:-1] + [form]) for form in _plural(words[-1])}
    if len(words) > 1:
        out.add(''.join(words))
    if kind == 'room' and value in ('hallway',):
        out.update(('hall', 'corridor'))
    if kind == 'room' and value == 'living_room':
        out.update(('lounge',))
    return sorted(out, key=len, reverse=True)


@dataclass(frozen=True)
class _Index:
    """The vocabulary's tags as one pattern of phrases (longest first) and one of bare nouns."""

    phrases: re.Pattern[str] | None
    tag_of: dict[str, str]
    nouns: re.Pattern[str] | None
    tags_of_noun: dict[str, list[str]]


def _alternation(phrases: Sequence[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r'\b(?:' + '|'.join(re.escape(p) for p in ordered) + r')\b')


@lru_cache(maxsize=16)
def _index(tags: frozenset[str]) -> _Index:
    """Build the patterns once per vocabulary: a plan then costs a few regex scans."""
    tag_of: dict[str, str] = {}
    tags_of_noun: dict[str, list[str]] = {}
    for tag in sorted(tags):
        kind = tag.partition(':')[0]
        if kind not in ('object', 'person', 'room', 'place'):
            continue
        for phrase in _variants(tag):
            tag_of.setdefault(phrase, tag)
        words = tag.partition(':')[2].split('_')
        if kind == 'object' and len(words) > 1:
            # "the ball" names every coloured ball the store holds, "the tape measure" every
            # coloured tape measure.
            for first in range(1, len(words)):
                for form in _plural(words[-1]):
                    tags_of_noun.setdefault(' '.join(words[first:-1] + [form]), []).append(tag)
    nouns = {n: t for n, t in tags_of_noun.items() if n not in tag_of}
    return _Index(_alternation(list(tag_of)), tag_of, _alternation(list(nouns)), nouns)


class _Spans:
    """Character spans of the question already explained by a rule."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.spans)

    def take(self, start: int, end: int) -> None:
        self.spans.append((start, end))

    def blank(self, text: str) -> str:
        chars = list(text)
        for start, end in self.spans:
            chars[start:end] = ' ' * (end - start)
        return ''.join(chars)


def _number(token: str | None) -> float:
    if token is None:
        return 1.0
    token = token.strip()
    return float(token) if token[0].isdigit() else float(_NUMBERS.get(token, 1))


def _clock_stamp(groups: Sequence[str | None], now: float, past: bool = True,
                 span: tuple[float | None, float | None] = (None, None)) -> float | None:
    """
    Return the epoch time of a clock reading on the local calendar day of ``now``.

    ``groups`` are _CLOCK's six groups. A 12-hour reading without am/pm is the one inside the
    mission's ``span`` (first, last memory) when only one is, else the latest of its two
    readings not after ``now`` ("after 3:15" asked at 15:30 is 15:15). With ``past``, a
    reading later than ``now`` is taken from the day before ("since 9pm" asked at 8am).
    """
    hh, mm, half, bare, bare_half, word = groups[:6]
    suffix: str | None
    if word is not None:
        hour, minute, suffix = (12 if word in ('noon', 'midday') else 0), 0, 'x'
    elif hh is not None:
        hour, minute, suffix = int(hh), int(mm or 0), half
        if hh.startswith('0') or hour > 12:
            suffix = suffix or 'x'
    elif bare is not None:
        hour, minute, suffix = int(bare), 0, bare_half
    else:
        return None
    if hour > 23 or minute > 59 or (suffix in ('a', 'p') and not 1 <= hour <= 12):
        return None
    day = _day_start(now)
    if suffix == 'p' and hour < 12:
        hour += 12
    elif suffix == 'a' and hour == 12:
        hour = 0
    stamp = day + hour * 3600.0 + minute * 60.0
    later = stamp + 12 * 3600.0
    if suffix is None and hour < 12:
        first, last = span
        inside = [t for t in (stamp, later) if first is not None and last is not None
                  and first - 3600.0 <= t <= last + 3600.0]
        if len(inside) == 1:
            return inside[0]
        if later <= now:
            stamp = later
    if past and stamp > now + 60.0:
        stamp -= 86400.0
    return stamp


def _day_start(now: float, days_back: int = 0) -> float:
    moment = datetime.fromtimestamp(now)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - timedelta(days=days_back)).timestamp()


class RulePlanner:
    """
    The deterministic planner: wording rules over the store's vocabulary, no model.

    It reads the intent from the question's wording, the things asked about by matching the
    vocabulary's labels (plurals, spaces for underscores, "the ball" for every coloured ball),
    time phrases against ``now``, and places (a room, "near the X" for a thing with a known
    position, "here", coordinates). What it cannot place it leaves to the search text, which
    keeps every content word of the question.
    """

    name = 'rules'

    def plan(self, question: str, now: float, vocabulary: Vocabulary,
             robot_pose: tuple[float, float] | None = None) -> QueryPlan:
        """Return the plan of ``question``; never raises on wording it does not understand."""
        text = _normalize(question)
        spans = _Spans()
        notes: list[str] = []
        intent = self._intent(text)
        since, until, recency = self._time(text, now, vocabulary, spans, notes)
        near, place = self._place(text, vocabulary, robot_pose, spans, notes)
        tags, missing, place_tag = self._entities(question, text, vocabulary, spans, notes)
        if place is None and place_tag is not None:
            place = place_tag
        if intent in RECENCY_INTENTS:
            notes.append(f'{intent}: the latest sighting answers it')
        texts = self._search_texts(question, spans.blank(text))
        return QueryPlan(planner=self.name, intent=intent, search_texts=texts,
                         tags_any=tags[:MAX_PLAN_TAGS], since=since, until=until, place=place,
                         near=near, recency=recency, missing=missing[:MAX_PLAN_TAGS],
                         notes=notes[:MAX_NOTES])

    # Intent -----------------------------------------------------------------------------------

    @staticmethod
    def _intent(text: str) -> Intent:
        for intent, pattern in _INTENT_RULES:
            if pattern.search(text):
                return intent
        return 'describe'

    # Time -------------------------------------------------------------------------------------

    def _time(self, text: str, now: float, vocabulary: Vocabulary, spans: _Spans,
              notes: list[str]) -> tuple[float | None, float | None, bool]:
        since: float | None = None
        until: float | None = None
        recency = False
        since, until = self._clock_window(text, now, vocabulary, spans, notes)
        if since is None and until is None:
            since, until = self._mission_span(text, now, vocabulary, spans, notes)
        match = _WINDOW_RE.search(text) if since is None and until is None else None
        if match:
            seconds = _number(match.group(1)) * _UNITS[match.group(2)]
            since = now - seconds
            spans.take(*match.span())
            notes.append(f'"{match.group(0).strip()}": since {seconds:g} s before now')
        match = _AGO_RE.search(text) if since is None and until is None else None
        if match:
            seconds = _number(match.group(1)) * _UNITS[match.group(2)]
            slack = max(60.0, seconds / 2.0)
            since, until = now - seconds - slack, now - seconds + slack
            spans.take(*match.span())
            notes.append(f'"{match.group(0).strip()}": around {seconds:g} s before now')
        match = _DAYPART_RE.search(text) if since is None and until is None else None
        if match:
            if match.group(0) == 'tonight':
                which, part = 'this', 'night'
            else:
                which, part = match.group(1), match.group(2)
            back = 1 if which in ('yesterday',) or (which == 'last' and part == 'night') else 0
            first_hour, last_hour = _DAYPARTS[part]
            day = _day_start(now, back)
            since, until = day + first_hour * 3600.0, min(now, day + last_hour * 3600.0)
            if since > until:
                since, until = until, since
            spans.take(*match.span())
            notes.append(f'"{match.group(0)}": {part} of {"yesterday" if back else "today"}')
        if since is None and until is None:
            if (match := _YESTERDAY_RE.search(text)):
                since, until = _day_start(now, 1), _day_start(now, 0)
                spans.take(*match.span())
                notes.append('"yesterday": the previous calendar day')
            elif (match := _TODAY_RE.search(text)):
                since = _day_start(now, 0)
                spans.take(*match.span())
                notes.append(f'"{match.group(0)}": since midnight')
        if since is None and until is None and (match := _START_RE.search(text)):
            start = vocabulary.start
            if start is not None:
                span = (vocabulary.end or now) - start
                since, until = start, start + max(MISSION_START_S, 0.1 * span)
                notes.append('"the start of the mission": its first memories')
            else:
                notes.append('"the start of the mission": the store holds no memory yet')
            spans.take(*match.span())
        if since is None and until is None and (match := _END_RE.search(text)):
            end = vocabulary.end
            if end is not None and vocabulary.start is not None:
                span = end - vocabulary.start
                since, until = end - max(MISSION_START_S, 0.1 * span), end
                notes.append('"the end": the mission\'s last memories')
            spans.take(*match.span())
        for match in _ROOM_EVENT_RE.finditer(text):
            room = self._room_named(match.group(2), vocabulary)
            if room is None:
                continue
            first = vocabulary.first_seen.get(room)
            spans.take(*match.span())
            if first is None:
                notes.append(f'"{match.group(0)}": {room} has no memory, no time bound')
                continue
            if match.group(1) in ('before', 'until', 'till'):
                until = first if until is None else min(until, first)
                notes.append(f'"{match.group(0)}": until the first memory in {room}')
            else:
                since = first if since is None else max(since, first)
                notes.append(f'"{match.group(0)}": since the first memory in {room}')
        if since is not None and until is not None and since > until:
            notes.append('time window empty after combining phrases: dropped')
            since = until = None
        match = _RECENT_RE.search(text)
        if match:
            recency = True
            notes.append(f'"{match.group(0)}": newer memories first')
        return since, until, recency

    @staticmethod
    def _clock_window(text: str, now: float, vocabulary: Vocabulary, spans: _Spans,
                      notes: list[str]) -> tuple[float | None, float | None]:
        """Read clock times ("before 10:20", "between 10:00 and 10:15", "since 9am")."""
        span = (vocabulary.start, vocabulary.end)
        match = _CLOCK_BETWEEN_RE.search(text)
        if match:
            first = _clock_stamp(match.groups()[:6], now, span=span)
            second = _clock_stamp(match.groups()[6:], now, span=span)
            if first is not None and second is not None:
                if second < first:
                    # "between 11:50 and 12:10" read as am/pm the wrong way round, or a span
                    # across midnight: the earlier end starts the window.
                    first, second = second, first
                spans.take(*match.span())
                notes.append(f'"{match.group(0)}": between {_clock(first)} and {_clock(second)}')
                return first, second
        match = _CLOCK_BEFORE_RE.search(text)
        if match and (stamp := _clock_stamp(match.groups(), now, False, span)) is not None:
            spans.take(*match.span())
            notes.append(f'"{match.group(0)}": until {_clock(stamp)} (local time)')
            return None, stamp
        match = _CLOCK_AFTER_RE.search(text)
        if match and (stamp := _clock_stamp(match.groups(), now, span=span)) is not None:
            spans.take(*match.span())
            notes.append(f'"{match.group(0)}": since {_clock(stamp)} (local time)')
            return stamp, None
        match = _CLOCK_AT_RE.search(text)
        if match and (stamp := _clock_stamp(match.groups()[1:], now, span=span)) is not None:
            slack = CLOCK_AROUND_SLACK_S if match.group(1) or re.match(
                r'(?:around|about|circa|approximately|roughly|near)\b', match.group(0)) \
                else CLOCK_AT_SLACK_S
            spans.take(*match.span())
            notes.append(f'"{match.group(0)}": {slack / 60:g} min either side of {_clock(stamp)}')
            return stamp - slack, stamp + slack
        return None, None

    @staticmethod
    def _mission_span(text: str, now: float, vocabulary: Vocabulary, spans: _Spans,
                      notes: list[str]) -> tuple[float | None, float | None]:
        """Read the mission's own span: its first or last N minutes, N minutes into it."""
        start, end = vocabulary.start, vocabulary.end
        match = _FIRST_SPAN_RE.search(text)
        if match:
            spans.take(*match.span())
            if start is None:
                notes.append(f'"{match.group(0).strip()}": the store holds no memory yet')
                return None, None
            seconds = _number(match.group(1)) * _UNITS[match.group(2)]
            notes.append(f'"{match.group(0).strip()}": the mission\'s first {seconds:g} s')
            return start, start + seconds
        match = _LAST_SPAN_RE.search(text)
        if match:
            groups = match.groups()
            count, unit = (groups[0], groups[1]) if groups[1] is not None else \
                (groups[2], groups[3])
            seconds = _number(count) * _UNITS[unit]
            spans.take(*match.span())
            if end is None:
                notes.append(f'"{match.group(0).strip()}": the store holds no memory yet')
                return None, None
            notes.append(f'"{match.group(0).strip()}": the mission\'s last {seconds:g} s')
            return end - seconds, end
        match = _INTO_RUN_RE.search(text)
        if match and start is not None:
            seconds = _number(match.group(1)) * _UNITS[match.group(2)]
            slack = max(60.0, seconds / 4.0)
            spans.take(*match.span())
            notes.append(f'"{match.group(0).strip()}": around {seconds:g} s after the start')
            return start + seconds - slack, start + seconds + slack
        return None, None

    @staticmethod
    def _room_named(words: str, vocabulary: Vocabulary) -> str | None:
        words = ' '.join(words.split())
        for tag in vocabulary.of_kind('room'):
            if words in _variants(tag) or words.replace(' ', '_') == tag.partition(':')[2]:
                return tag
        known = ROOMS.get(words)
        return f'room:{known}' if known and f'room:{known}' in vocabulary.tags else None

    # Place ------------------------------------------------------------------------------------

    def _place(self, text: str, vocabulary: Vocabulary, robot_pose: tuple[float, float] | None,
               spans: _Spans, notes: list[str]) -> tuple[Near | None, str | None]:
        radius = DEFAULT_RADIUS_M
        match = _RADIUS_RE.search(text)
        if match:
            radius = max(0.1, min(float(match.group(1)), MAX_COORDINATE_M))
            spans.take(*match.span())
        match = _COORD_RE.search(text)
        if match:
            values = [g for g in match.groups() if g is not None]
            x, y = float(values[0]), float(values[1])
            if abs(x) <= MAX_COORDINATE_M and abs(y) <= MAX_COORDINATE_M:
                spans.take(*match.span())
                notes.append(f'coordinates ({x:g}, {y:g}), radius {radius:g} m')
                return Near(x=x, y=y, radius=radius), 'coordinates'
        match = _HERE_RE.search(text)
        if match:
            spans.take(*match.span())
            if robot_pose is None:
                notes.append(f'"{match.group(0)}": the robot pose is unknown, no place filter')
                return None, None
            notes.append(f'"{match.group(0)}": within {radius:g} m of the robot')
            return Near(x=robot_pose[0], y=robot_pose[1], radius=radius), 'here'
        index = _index(vocabulary.tags)
        for hit in index.phrases.finditer(text) if index.phrases is not None else ():
            tag = index.tag_of[hit.group(0)]
            preposition = _NEAR_RE.search(text[:hit.start()])
            position = vocabulary.positions.get(tag)
            if tag.startswith('room:') or preposition is None or position is None or \
                    not spans.free(*hit.span()):
                continue
            spans.take(preposition.start(), hit.end())
            notes.append(f'"{hit.group(0)}": within {radius:g} m of where {tag} was last seen')
            return Near(x=position[0], y=position[1], radius=radius), tag
        return None, None

    # Entities ---------------------------------------------------------------------------------

    def _entities(self, question: str, text: str, vocabulary: Vocabulary, spans: _Spans,
                  notes: list[str]) -> tuple[list[str], list[str], str | None]:
        index = _index(vocabulary.tags)
        tags: list[str] = []
        room: str | None = None
        claimed = _Spans()
        for hit in index.phrases.finditer(text) if index.phrases is not None else ():
            if not spans.free(*hit.span()):
                continue
            claimed.take(*hit.span())
            tag = index.tag_of[hit.group(0)]
            if tag.startswith('room:'):
                room = room or tag
            if tag not in tags:
                tags.append(tag)
        unknown = self._unknown_colours(text, vocabulary, claimed, spans)
        unknown += self._unknown_rooms(text, vocabulary, claimed, spans)
        for hit in index.nouns.finditer(text) if index.nouns is not None else ():
            if claimed.free(*hit.span()) and spans.free(*hit.span()):
                claimed.take(*hit.span())
                nouned = index.tags_of_noun[hit.group(0)]
                fresh = [t for t in nouned if t not in tags]
                tags += fresh
                if fresh:
                    notes.append(f'"{hit.group(0)}": any of {len(nouned)} stored kinds')
        missing = unknown + [t for t in self._missing(question, text, vocabulary, claimed, spans)
                             if t not in unknown]
        if 'person:unknown' in vocabulary.tags and \
                any(w in _PERSON_WORDS for w in text.replace('?', ' ').split()) and \
                'person:unknown' not in tags:
            tags.append('person:unknown')
        if tags:
            notes.append('tags from the store: ' + ', '.join(tags[:MAX_PLAN_TAGS]))
        if missing:
            notes.append('named but not in the store: ' + ', '.join(missing))
        return tags, missing, room

    @staticmethod
    def _unknown_colours(text: str, vocabulary: Vocabulary, claimed: _Spans,
                         spans: _Spans) -> list[str]:
        """Return colour+thing phrases the store has no tag for ("the lilac kettle")."""
        items: dict[str, str] = {}
        plain: set[str] = set()
        for tag in vocabulary.of_kind('object'):
            words = tag.partition(':')[2].split('_')
            if len(words) == 1:
                plain.add(words[0])
            start = 1 if len(words) > 1 and words[0] in _COLOUR_WORDS else 0
            for first in range(start, len(words)):
                for form in _plural(words[-1]):
                    items[' '.join(words[first:-1] + [form])] = '_'.join(words[first:])
        for noun in OBJECTS:
            for form in _plural(noun):
                items.setdefault(form, noun)
        out: list[str] = []
        for hit in _COLOUR_RE.finditer(text):
            colour = hit.group(1)
            whole = (hit.start(), hit.end(2))
            if not claimed.free(*whole) or not spans.free(*whole):
                continue
            words = hit.group(2).split()
            if any(' '.join([colour] + words[:n]) in items for n in range(len(words), 0, -1)):
                continue
            thing = next((items[' '.join(words[:n])] for n in range(len(words), 0, -1)
                          if ' '.join(words[:n]) in items), None)
            if thing is None:
                if words[0] in _FILLER or words[0] in _NOT_A_THING or \
                        words[0] in _COLOUR_WORDS or words[0] in _PERSON_WORDS:
                    continue
                thing = words[0]
            tag = f'object:{colour}_{thing}'
            if tag in vocabulary.tags or thing in plain or not re.match(PLAN_TAG_PATTERN, tag):
                continue
            claimed.take(hit.start(), hit.start() + len(colour) + 1 + len(thing))
            if tag not in out:
                out.append(tag)
        return out

    @staticmethod
    def _unknown_rooms(text: str, vocabulary: Vocabulary, claimed: _Spans,
                       spans: _Spans) -> list[str]:
        """Return rooms the question names that no memory of the store is in."""
        out: list[str] = []
        for hit in _ROOM_RE.finditer(text):
            if not claimed.free(*hit.span()) or not spans.free(*hit.span()):
                continue
            words = hit.group(0).split()
            if words[0] in _FILLER or words[0] in _NOT_A_THING or words[0].isdigit() or \
                    words[0] in _NOT_A_ROOM:
                continue
            name = ' '.join(words)
            if name.endswith('s') and name[:-1] in _ROOM_WORDS:
                name = name[:-1]
            value = ROOMS.get(name, name.replace(' ', '_'))
            tag = f'room:{value}'
            if tag in vocabulary.tags or not re.match(PLAN_TAG_PATTERN, tag):
                continue
            claimed.take(*hit.span())
            if tag not in out:
                out.append(tag)
        return out

    @staticmethod
    def _missing(question: str, text: str, vocabulary: Vocabulary, claimed: _Spans,
                 spans: _Spans) -> list[str]:
        """Return tags of things the question names that the store has never tagged."""
        missing: list[str] = []
        pattern = re.compile(r'\b(?:(' + '|'.join(COLOURS) + r')\s+)?(' +
                             '|'.join(sorted(OBJECTS, key=len, reverse=True)) + r')(?:e?s)?\b')
        for hit in pattern.finditer(text):
            if not claimed.free(*hit.span()) or not spans.free(*hit.span()):
                continue
            colour, noun = hit.group(1), hit.group(2)
            tag = f'object:{colour}_{noun}' if colour else f'object:{noun}'
            known = tag in vocabulary.tags or (
                not colour and any(t.endswith('_' + noun) for t in vocabulary.of_kind('object')))
            if not known and colour:
                missing.append(tag)
        # Capitalized words after the first that are not known words: names of people.
        words = re.findall(r"[A-Za-z][a-z'\-]+|[A-Z]{2,}", question)
        for position, word in enumerate(words):
            if position == 0 or not word[0].isupper():
                continue
            name = word.lower().rstrip("'s").removesuffix("'")
            if name in _COMMON_CAPITALIZED or name in _FILLER or name in COLOURS or \
                    name in OBJECTS or name in ROOMS or name.rstrip('s') in OBJECTS:
                continue
            tag = f'person:{name}'
            if tag not in vocabulary.tags and not any(
                    name in t.partition(':')[2].split('_') for t in vocabulary.tags) and \
                    re.match(PLAN_TAG_PATTERN, tag):
                missing.append(tag)
        return missing

    # Search texts -----------------------------------------------------------------------------

    @staticmethod
    def _search_texts(question: str, remaining: str) -> list[str]:
        words = [w.strip(".,?!'()=:-") for w in remaining.split()]
        kept = [w for w in words if w and w not in _FILLER and not w.isdigit()]
        core = ' '.join(kept)
        literal = ' '.join(question.split())[:SEARCH_TEXT_CHARS] or '?'
        if not core or core == literal.lower():
            return [literal]
        return [core[:SEARCH_TEXT_CHARS], literal]


class NoPlanner:
    """Today's behaviour: the literal question, no filters, the configured ranking."""

    name = 'none'

    def plan(self, question: str, now: float, vocabulary: Vocabulary,
             robot_pose: tuple[float, float] | None = None) -> QueryPlan:
        """Return a plan that searches the question as written."""
        literal = ' '.join(question.split())[:SEARCH_TEXT_CHARS] or '?'
        return QueryPlan(planner=self.name, intent='describe', search_texts=[literal])


def describe_vocabulary(vocabulary: Vocabulary, limit: int = 60) -> dict[str, list[str]]:
    """Return the vocabulary grouped by kind, for prompts and traces (bounded)."""
    return {kind: vocabulary.of_kind(kind)[:limit] for kind in ('object', 'person', 'room')}
