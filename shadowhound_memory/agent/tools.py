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
The memory as LLM tools: definitions as plain data, and an executor that validates and runs them.

An LLM produces tool arguments, so they are checked against the same JSON Schema the LLM was
shown before anything reaches the memory, and every failure comes back as ``{'ok': False,
'error': ...}`` for the LLM to read and correct, never as an exception that ends the agent loop.
Results are compact and carry the memory ids, so the LLM can cite what it used.
"""

from collections.abc import Callable, Mapping, Sequence
import copy
from dataclasses import dataclass
from datetime import datetime, timezone
import json
import math
import re
from typing import Any, Protocol

from shadowhound_memory.agent.results import Located, Memory, RecallAnswer, WriteResult
from shadowhound_memory.domain.errors import MemoryPackageError
from shadowhound_memory.domain.records import (EVENT_PATTERN, MAX_COORDINATE_M, MAX_TAG_CHARS,
                                               MAX_TAGS, MAX_TEXT_CHARS, MISSION_PATTERN,
                                               TAG_PATTERN)
from shadowhound_memory.retrieval.retriever import MAX_QUESTION_CHARS

# Tool results go back into the LLM's context: a few memories are enough to answer and to cite.
MAX_TOOL_K = 20

_QUESTION = {'type': 'string', 'minLength': 1, 'maxLength': MAX_QUESTION_CHARS,
             'description': 'The question in plain words, e.g. "Where is the charger?"'}
_K = {'type': 'integer', 'minimum': 1, 'maximum': MAX_TOOL_K,
      'description': "How many memories to return (default: the memory node's setting)."}
_COORDINATE = {'type': 'number', 'minimum': -MAX_COORDINATE_M, 'maximum': MAX_COORDINATE_M}
_NAME = {'type': 'string', 'minLength': 1, 'maxLength': 200,
         'description': 'The thing or person: a tag such as object:red_ball or person:alice, or '
                        'words such as "red ball" or "Alice".'}


def _tags(description: str) -> dict[str, Any]:
    return {'type': 'array', 'maxItems': MAX_TAGS, 'description': description,
            'items': {'type': 'string', 'pattern': TAG_PATTERN, 'maxLength': MAX_TAG_CHARS}}


def _coordinate(description: str) -> dict[str, Any]:
    return {**_COORDINATE, 'description': description}


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name, what it is for (the LLM reads this), and its JSON Schema arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any]


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        name='remember',
        description=('Store a long-term memory: one short sentence about something observed or '
                     'learned, e.g. "The charger is behind the sofa." Give x and y (map frame, '
                     "metres) when you know where it is; otherwise the robot's pose is used."),
        parameters={
            'type': 'object',
            'properties': {
                'text': {'type': 'string', 'minLength': 1, 'maxLength': MAX_TEXT_CHARS,
                         'description': 'One short sentence saying what was observed.'},
                'event': {'type': 'string', 'pattern': EVENT_PATTERN,
                          'description': ('Event kind: object_seen, person_seen, '
                                          'place_visited, note, alert or task_update; '
                                          'left out, it is inferred from the text.')},
                'tags': _tags('Labels as lowercase kind:value, e.g. object:charger, '
                              'room:kitchen.'),
                'x': _coordinate('Map x of the place, metres (give y with it).'),
                'y': _coordinate('Map y of the place, metres (give x with it).'),
                'yaw': {'type': 'number', 'minimum': -math.pi, 'maximum': math.pi,
                        'description': 'Heading in radians (needs x and y).'},
            },
            'required': ['text'],
            'dependentRequired': {'x': ['y'], 'y': ['x'], 'yaw': ['x', 'y']},
            'additionalProperties': False,
        }),
    ToolSpec(
        name='recall',
        description=('Search long-term memory with a question. Returns an answer, the memories '
                     'it used (id, text, where, when, score) and the ids it cites.'),
        parameters={
            'type': 'object',
            'properties': {
                'question': _QUESTION,
                'k': _K,
                'tags_any': _tags('Only memories with at least one of these tags.'),
                'tags_all': _tags('Only memories with all of these tags.'),
                'all_missions': {'type': 'boolean',
                                 'description': 'Search every mission, not only the current.'},
            },
            'required': ['question'],
            'additionalProperties': False,
        }),
    ToolSpec(
        name='recall_near',
        description=('Search long-term memory for things observed within radius metres of a '
                     'place (x, y) in the map frame.'),
        parameters={
            'type': 'object',
            'properties': {
                'question': _QUESTION,
                'x': _coordinate('Map x of the place, metres.'),
                'y': _coordinate('Map y of the place, metres.'),
                'radius': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': MAX_COORDINATE_M,
                           'description': 'Search radius in metres.'},
                'k': _K,
            },
            'required': ['question', 'x', 'y', 'radius'],
            'additionalProperties': False,
        }),
    ToolSpec(
        name='recall_since',
        description='Search long-term memory for things observed in the last seconds seconds.',
        parameters={
            'type': 'object',
            'properties': {
                'question': _QUESTION,
                'seconds': {'type': 'number', 'exclusiveMinimum': 0,
                            'description': 'How far back to look, in seconds.'},
                'k': _K,
            },
            'required': ['question', 'seconds'],
            'additionalProperties': False,
        }),
    ToolSpec(
        name='locate',
        description=('Where is a thing or person now: its latest sighting (where and when), '
                     'and the earlier places it was seen, newest first. A thing that moved is '
                     'where it was seen last.'),
        parameters={
            'type': 'object',
            'properties': {
                'name': _NAME,
                'all_missions': {'type': 'boolean',
                                 'description': 'Look in every mission, not only the current.'},
            },
            'required': ['name'],
            'additionalProperties': False,
        }),
    ToolSpec(
        name='last_seen',
        description=('When was a thing or person last seen, where, and how many times in all. '
                     'Answers "never seen" when no memory names it.'),
        parameters={
            'type': 'object',
            'properties': {
                'name': _NAME,
                'all_missions': {'type': 'boolean',
                                 'description': 'Look in every mission, not only the current.'},
            },
            'required': ['name'],
            'additionalProperties': False,
        }),
    ToolSpec(
        name='forget_mission',
        description=('Permanently delete every memory of a mission (the current mission when '
                     'mission_id is left out). Use only when the user asks to forget.'),
        parameters={
            'type': 'object',
            'properties': {
                'mission_id': {'type': 'string', 'pattern': MISSION_PATTERN,
                               'description': 'The mission to forget.'},
            },
            'additionalProperties': False,
        }),
)

_BY_NAME = {tool.name: tool for tool in TOOLS}


def openai_tools() -> list[dict[str, Any]]:
    """Return the tools in the OpenAI tool-calling shape, ready for a chat completion request."""
    return [{'type': 'function',
             'function': {'name': tool.name, 'description': tool.description,
                          'parameters': copy.deepcopy(dict(tool.parameters))}}
            for tool in TOOLS]


def mcp_tools() -> list[dict[str, Any]]:
    """Return the tools in the Model Context Protocol shape (tools/list)."""
    return [{'name': tool.name, 'description': tool.description,
             'inputSchema': copy.deepcopy(dict(tool.parameters))}
            for tool in TOOLS]


# JSON Schema, the subset the tools use ---------------------------------------------------------

_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    'object': lambda v: isinstance(v, dict),
    'array': lambda v: isinstance(v, list),
    'string': lambda v: isinstance(v, str),
    'boolean': lambda v: isinstance(v, bool),
    'number': lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    'integer': lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (
        isinstance(v, float) and v.is_integer()),
}
_NUMBER_KEYWORDS = ('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum')
_COUNT_KEYWORDS = ('minLength', 'maxLength', 'minItems', 'maxItems')
_KEYWORDS = {'type', 'description', 'properties', 'required', 'additionalProperties', 'items',
             'pattern', 'enum', 'dependentRequired', *_NUMBER_KEYWORDS, *_COUNT_KEYWORDS}


def schema_problems(schema: Any, where: str = 'schema') -> list[str]:
    """
    Return what makes ``schema`` an invalid JSON Schema of the subset ``validate`` understands.

    A keyword outside the subset would be silently ignored by ``validate`` while an LLM provider
    enforces it, so it is reported instead.
    """
    if not isinstance(schema, dict):
        return [f'{where}: a schema must be an object']
    problems = [f'{where}: unsupported keyword {key!r}' for key in schema if key not in _KEYWORDS]
    kind = schema.get('type')
    if kind not in _JSON_TYPES:
        problems.append(f'{where}: type must be one of {sorted(_JSON_TYPES)} (got {kind!r})')
    if not isinstance(schema.get('description', ''), str):
        problems.append(f'{where}: description must be a string')
    for key in _NUMBER_KEYWORDS:
        if key in schema and not _JSON_TYPES['number'](schema[key]):
            problems.append(f'{where}: {key} must be a number')
    for key in _COUNT_KEYWORDS:
        if key in schema and not (_JSON_TYPES['integer'](schema[key]) and schema[key] >= 0):
            problems.append(f'{where}: {key} must be an integer >= 0')
    if 'pattern' in schema:
        try:
            re.compile(schema['pattern'])
        except (re.error, TypeError) as exc:
            problems.append(f'{where}: pattern does not compile: {exc}')
    if 'enum' in schema and not (isinstance(schema['enum'], list) and schema['enum']):
        problems.append(f'{where}: enum must be a non-empty array')
    if 'items' in schema:
        problems += schema_problems(schema['items'], f'{where}.items')
    properties = schema.get('properties', {})
    if not isinstance(properties, dict):
        return problems + [f'{where}: properties must be an object']
    for name, sub in properties.items():
        problems += schema_problems(sub, f'{where}.{name}')
    if not isinstance(schema.get('additionalProperties', False), bool):
        problems.append(f'{where}: additionalProperties must be true or false')
    named = [schema.get('required', [])]
    dependent = schema.get('dependentRequired', {})
    if not isinstance(dependent, dict):
        problems.append(f'{where}: dependentRequired must be an object')
    else:
        named += [list(dependent), *dependent.values()]
    for names in named:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(f'{where}: required names must be an array of strings')
        elif unknown := [n for n in names if n not in properties]:
            problems.append(f'{where}: {unknown} are required but not among the properties')
    return problems


def validate(schema: Mapping[str, Any], value: Any, where: str = '') -> list[str]:
    """Return why ``value`` does not match ``schema`` (empty when it does), one line per reason."""
    label = where or 'arguments'
    kind = schema.get('type')
    if kind is not None and not _JSON_TYPES[kind](value):
        return [f'{label}: must be {"an" if kind in ("object", "array", "integer") else "a"} '
                f'{kind} (got {json.dumps(value)[:40]})']
    if isinstance(value, float) and not math.isfinite(value):
        return [f'{label}: must be a finite number']
    problems = []
    if 'enum' in schema and value not in schema['enum']:
        problems.append(f'{label}: must be one of {schema["enum"]}')
    if isinstance(value, str):
        if len(value) < schema.get('minLength', 0):
            problems.append(f'{label}: must not be empty' if schema['minLength'] == 1
                            else f'{label}: needs at least {schema["minLength"]} characters')
        if len(value) > schema.get('maxLength', math.inf):
            problems.append(f'{label}: must be at most {schema["maxLength"]} characters')
        if 'pattern' in schema and not re.search(schema['pattern'], value):
            problems.append(f'{label}: {value[:40]!r} must match {schema["pattern"]}')
    if _JSON_TYPES['number'](value):
        if value < schema.get('minimum', -math.inf):
            problems.append(f'{label}: must be >= {schema["minimum"]}')
        if value > schema.get('maximum', math.inf):
            problems.append(f'{label}: must be <= {schema["maximum"]}')
        if value <= schema.get('exclusiveMinimum', -math.inf):
            problems.append(f'{label}: must be > {schema["exclusiveMinimum"]}')
        if value >= schema.get('exclusiveMaximum', math.inf):
            problems.append(f'{label}: must be < {schema["exclusiveMaximum"]}')
    if isinstance(value, list):
        if len(value) < schema.get('minItems', 0):
            problems.append(f'{label}: needs at least {schema["minItems"]} items')
        if len(value) > schema.get('maxItems', math.inf):
            problems.append(f'{label}: must have at most {schema["maxItems"]} items')
        for index, item in enumerate(value):
            problems += validate(schema.get('items', {}), item, f'{label}[{index}]')
    if isinstance(value, dict):
        problems += _validate_object(schema, value, where)
    return problems


def _validate_object(schema: Mapping[str, Any], value: dict[str, Any], where: str) -> list[str]:
    prefix = f'{where}.' if where else ''
    properties = schema.get('properties', {})
    problems = [f'{prefix}{name}: is required' for name in schema.get('required', [])
                if name not in value]
    for name, needs in schema.get('dependentRequired', {}).items():
        if name in value:
            problems += [f'{prefix}{need}: is required with {name}' for need in needs
                         if need not in value]
    for name, item in value.items():
        if name in properties:
            problems += validate(properties[name], item, prefix + name)
        elif schema.get('additionalProperties', True) is False:
            problems.append(f'{prefix}{name}: unknown argument (known: {", ".join(properties)})')
    return problems


# Executing tools --------------------------------------------------------------------------------

class MemoryBackend(Protocol):
    """What the tools need from the memory; ``MemoryClient`` provides it over ROS."""

    def write(self, text: str = '', *, tags: Sequence[str] = (), event: str = '',
              pose: Sequence[float] | None = None) -> WriteResult:
        """Store a memory and return it."""

    def recall(self, question: str, *, k: int = 0, tags_any: Sequence[str] = (),
               tags_all: Sequence[str] = (), near: Sequence[float] | None = None,
               since_s: float | None = None, all_missions: bool = False,
               synthesize: bool = False) -> RecallAnswer:
        """Answer a question from memory."""

    def forget(self, ids: Sequence[str] = (), *, mission_id: str | None = None) -> int:
        """Delete memories and return how many."""

    def locate(self, name: str, *, mission_id: str | None = None, all_missions: bool = False,
               history: int = 0) -> Located:
        """Return where and when a thing was seen, latest first."""


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec='seconds')


def _where(memory: Memory) -> str:
    return f'({memory.x:.2f}, {memory.y:.2f})' if memory.pose_known else 'unknown'


def memory_view(memory: Memory) -> dict[str, Any]:
    """Return the compact form of a memory the tools give the LLM."""
    return {'id': memory.id, 'text': memory.text, 'where': _where(memory),
            'when': _when(memory.timestamp), 'score': round(memory.score, 3)}


class ToolExecutor:
    """
    Runs the memory tools an LLM calls, against a blocking memory backend.

    ``execute`` blocks until the memory answers, so call it from the agent's own loop (a thread
    that is not an executor callback), never from a ROS callback.
    """

    def __init__(self, backend: MemoryBackend, *, synthesize: bool = False) -> None:
        """
        Wrap ``backend``.

        ``synthesize`` asks the node for an LLM-written answer (its recall route) instead of
        the retrieval-only one; an agent that has its own LLM usually leaves it off.
        """
        self.backend = backend
        self.synthesize = synthesize

    def execute(self, name: str, arguments: Mapping[str, Any] | str | None) -> dict[str, Any]:
        """Validate and run one tool call; return its result, ``ok`` False with the reason."""
        tool = _BY_NAME.get(name)
        if tool is None:
            return _failure(f'unknown tool {name!r}; the tools are {", ".join(_BY_NAME)}')
        parsed: Any = arguments
        if parsed is None or (isinstance(parsed, str) and not parsed.strip()):
            parsed = {}
        elif isinstance(parsed, str):
            try:
                parsed = json.loads(parsed)
            except ValueError as exc:
                return _failure(f'{name}: arguments are not valid JSON: {exc}')
        if isinstance(parsed, Mapping):
            parsed = dict(parsed)
        problems = validate(tool.parameters, parsed)
        if problems:
            return _failure(f'invalid arguments for {name}: ' + '; '.join(problems))
        run: Callable[..., dict[str, Any]] = getattr(self, '_' + name)
        try:
            return run(**parsed)
        except MemoryPackageError as exc:
            return _failure(f'{name} failed: {exc}')

    def _remember(self, text: str, event: str = '', tags: Sequence[str] = (),
                  x: float | None = None, y: float | None = None,
                  yaw: float = 0.0) -> dict[str, Any]:
        pose = None if x is None or y is None else (float(x), float(y), float(yaw))
        result = self.backend.write(text, tags=tags, event=event, pose=pose)
        view = memory_view(result.memory)
        del view['score']
        return {'ok': True, **view, 'merged': result.merged, 'message': result.message}

    def _recall(self, question: str, k: int = 0, tags_any: Sequence[str] = (),
                tags_all: Sequence[str] = (), all_missions: bool = False) -> dict[str, Any]:
        return _answer(self.backend.recall(question, k=int(k), tags_any=tags_any,
                                           tags_all=tags_all, all_missions=all_missions,
                                           synthesize=self.synthesize))

    def _recall_near(self, question: str, x: float, y: float, radius: float,
                     k: int = 0) -> dict[str, Any]:
        return _answer(self.backend.recall(question, k=int(k), near=(x, y, radius),
                                           synthesize=self.synthesize))

    def _recall_since(self, question: str, seconds: float, k: int = 0) -> dict[str, Any]:
        return _answer(self.backend.recall(question, k=int(k), since_s=seconds,
                                           synthesize=self.synthesize))

    def _locate(self, name: str, all_missions: bool = False) -> dict[str, Any]:
        located = self.backend.locate(name, all_missions=all_missions, history=5)
        if not located.found or located.last is None:
            return {'ok': True, 'found': False, 'tag': located.tag, 'message': located.message}
        earlier = [_sighting(m) for m in located.history if m.id != located.last.id]
        return {'ok': True, 'found': True, 'tag': located.tag, **_sighting(located.last),
                'rooms': list(located.rooms), 'earlier': earlier}

    def _last_seen(self, name: str, all_missions: bool = False) -> dict[str, Any]:
        located = self.backend.locate(name, all_missions=all_missions, history=1)
        if not located.found or located.last is None:
            return {'ok': True, 'found': False, 'tag': located.tag, 'message': located.message}
        return {'ok': True, 'found': True, 'tag': located.tag, **_sighting(located.last),
                'seen_count': located.seen_count,
                'first_seen': _when(located.first.timestamp if located.first else
                                    located.last.timestamp)}

    def _forget_mission(self, mission_id: str | None = None) -> dict[str, Any]:
        deleted = self.backend.forget(mission_id=mission_id)
        return {'ok': True, 'deleted': deleted}


def _sighting(memory: Memory) -> dict[str, Any]:
    rooms = [t.split(':', 1)[1] for t in memory.tags if t.startswith('room:')]
    return {'id': memory.id, 'where': _where(memory), 'room': rooms[0] if rooms else None,
            'when': _when(memory.last_seen or memory.timestamp), 'text': memory.text}


def plan_view(plan: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return the compact form of a query plan the tools give the LLM (what was searched)."""
    if not plan:
        return None
    view = {key: plan[key] for key in ('planner', 'intent', 'search_texts', 'tags_any',
                                       'place', 'missing') if plan.get(key)}
    for key in ('since', 'until'):
        if plan.get(key) is not None:
            view[key] = _when(float(plan[key]))
    return view


def _answer(answer: RecallAnswer) -> dict[str, Any]:
    result = {'ok': True, 'answer': answer.answer,
              'memories': [memory_view(m) for m in answer.memories],
              'cited_ids': list(answer.cited_ids)}
    plan = plan_view(answer.plan)
    if plan:
        result['plan'] = plan
    return result


def _failure(error: str) -> dict[str, Any]:
    return {'ok': False, 'error': error}
