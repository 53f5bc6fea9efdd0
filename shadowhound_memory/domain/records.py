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
The normalized memory record, its JSON Schema and a JSON-validity counter.

One schema serves every writer (deterministic, LLM, the agent's JSON), the store payload, the
constrained decoding of the LLM and the dataset checks, so a record is valid in the same sense
everywhere. Bounds on every string and list keep records compact and keep a small model's
constrained output from rambling into truncation.
"""

from collections import Counter
import json
import math
import re
import threading
from typing import Annotated, Any, Final, Literal
import unicodedata
import uuid

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, field_validator,
                      model_validator, ValidationError)

from shadowhound_memory.domain.errors import SchemaError

SCHEMA_VERSION: Final = 1
MAX_TEXT_CHARS = 512
MAX_TAGS = 16
MAX_TAG_CHARS = 64
MAX_COORDINATE_M = 1.0e6
# Times travel as builtin_interfaces/Time, whose seconds are an int32: a later time would come back
# wrapped to a negative one in every answer, so it is refused at the write instead.
MAX_TIMESTAMP_S = 2 ** 31 - 1
# seen_count travels as a uint32.
MAX_SEEN_COUNT = 2 ** 32 - 1
# A whole record is a few kilobytes at most (512 characters of text, 16 tags of 64); the bounds
# refuse anything larger, and anything nested deeper than a record can be, before decoding: the
# JSON decoder recurses once per level and would fail deep inputs with a RecursionError.
MAX_RECORD_JSON_CHARS = 16384
MAX_JSON_DEPTH = 16

EVENT_PATTERN = r'^[a-z][a-z0-9_]{0,31}$'
TAG_PATTERN = r'^[a-z0-9][a-z0-9_.\-]*(:[a-z0-9][a-z0-9_.\-]*)?$'
MISSION_PATTERN = r'^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$'
FRAME_PATTERN = r'^[A-Za-z0-9_/\-]{0,64}$'
SOURCE_PATTERN = r'^[A-Za-z0-9_.:/\-]{1,64}$'

# The event kinds the deterministic writer emits; other kinds matching EVENT_PATTERN are accepted
# so that a robot team can add its own without a schema change.
EVENT_KINDS = ('object_seen', 'person_seen', 'place_visited', 'note', 'alert', 'task_update')

_TAG_RE = re.compile(TAG_PATTERN)


def normalize_yaw(yaw: float) -> float:
    """Wrap an angle to (-pi, pi], so equal headings compare and serialize equal."""
    # In range already: unchanged, so validating a record twice never moves its yaw by an ulp.
    if -math.pi < yaw <= math.pi:
        return yaw
    wrapped = math.atan2(math.sin(yaw), math.cos(yaw))
    return math.pi if wrapped == -math.pi else wrapped


def _blank(char: str) -> str:
    category = unicodedata.category(char)
    if category == 'Cc' or category[0] == 'Z':
        return ' '
    # Format (bidi overrides among them), private-use, surrogate and unassigned code points are
    # invisible or unrenderable.
    return '' if category[0] == 'C' else char


def clean_chars(text: str) -> str:
    """
    Return text with control characters as spaces, invisible ones dropped, spaces collapsed.

    NUL is a control character. Every path into a record (free text, perception, an agent's
    JSON) goes through it, so one sentence is stored the same whichever way it came, and no
    reader cuts it at a NUL.
    """
    return ' '.join(''.join(_blank(c) for c in text).split())


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Return whether JSON text nests objects/arrays deeper than ``limit`` (strings skipped)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == '\\':
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in '{[':
            depth += 1
            if depth > limit:
                return True
        elif char in '}]':
            depth -= 1
    return False


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError('must be a finite number (NaN and infinity are not positions or times)')
    return value


def _coordinate(value: float) -> float:
    _finite(value)
    if abs(value) > MAX_COORDINATE_M:
        raise ValueError(f'must be within +/-{MAX_COORDINATE_M:g} m of the map origin')
    return value


Coordinate = Annotated[float, AfterValidator(_coordinate)]


class Pose(BaseModel):
    """A planar robot pose in the record's frame (metres and radians)."""

    model_config = ConfigDict(extra='forbid')

    x: Coordinate
    y: Coordinate
    yaw: Annotated[float, AfterValidator(_finite), AfterValidator(normalize_yaw)] = 0.0


class MemoryRecord(BaseModel):
    """One memory: what happened, where the robot was, when, and in which mission."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    # The record field is called id in every interface the robot team sees.
    id: str = Field(default_factory=lambda: str(uuid.uuid4()),  # noqa: A003
                    description='UUID; the store keys points by it.')
    event: str = Field(pattern=EVENT_PATTERN, description='Event kind, e.g. object_seen.')
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS,
                      description='One short sentence saying what was observed.')
    pose: Pose | None = Field(default=None,
                              description='Robot pose when observed; null when it is unknown.')
    frame_id: str = Field(default='map', pattern=FRAME_PATTERN)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS,
                            description='kind:value labels such as object:red_ball.')
    mission_id: str = Field(pattern=MISSION_PATTERN)
    timestamp: float = Field(gt=0, le=MAX_TIMESTAMP_S,
                             description='Seconds since the Unix epoch, when observed.')
    source: str = Field(default='unknown', pattern=SOURCE_PATTERN)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    last_seen: float | None = Field(default=None, gt=0, le=MAX_TIMESTAMP_S,
                                    description='Latest time a merged duplicate was observed.')
    seen_count: int = Field(default=1, ge=1, le=MAX_SEEN_COUNT,
                            description='How many observations merged here.')

    @field_validator('text', mode='before')
    @classmethod
    def _text_clean(cls, value: Any) -> Any:
        return clean_chars(value) if isinstance(value, str) else value

    @field_validator('id')
    @classmethod
    def _id_is_uuid(cls, value: str) -> str:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError('must be a UUID such as 3f2b5c1e-...; the store keys points by it')

    @field_validator('timestamp', 'confidence', 'last_seen')
    @classmethod
    def _finite_numbers(cls, value: float | None) -> float | None:
        return None if value is None else _finite(value)

    @field_validator('tags')
    @classmethod
    def _tags_normalized(cls, tags: list[str]) -> list[str]:
        seen: list[str] = []
        for raw in tags:
            tag = raw.strip().lower()
            if len(tag) > MAX_TAG_CHARS:
                raise ValueError(f'tag {tag[:20]!r}... is longer than {MAX_TAG_CHARS} characters')
            if not _TAG_RE.match(tag):
                raise ValueError(
                    f'tag {tag!r} must look like kind:value (lowercase letters, digits, _ . -)')
            if tag not in seen:
                seen.append(tag)
        return seen

    @model_validator(mode='after')
    def _last_seen_default(self) -> 'MemoryRecord':
        if self.last_seen is None:
            self.last_seen = self.timestamp
        elif self.last_seen < self.timestamp:
            raise ValueError('last_seen must not be earlier than timestamp')
        return self

    def payload(self) -> dict[str, Any]:
        """Return the JSON-compatible dict stored as the Qdrant payload."""
        return self.model_dump(mode='json')


def format_validation_error(error: ValidationError) -> list[str]:
    """Turn pydantic's error list into 'field: problem' lines a person can act on."""
    reasons = []
    for item in error.errors():
        where = '.'.join(str(part) for part in item['loc']) or 'record'
        message = item['msg'].removeprefix('Value error, ')
        reasons.append(f'{where}: {message}')
    return reasons


def parse_record(data: str | bytes | dict[str, Any]) -> MemoryRecord:
    """Parse and validate a record from JSON text or a dict; SchemaError lists every reason."""
    if isinstance(data, (str, bytes)):
        # The depth first (of a bounded prefix, so a huge input costs no more than a record):
        # it is the more telling reason for a deep input, and deep ones are often long too.
        head = data[:MAX_RECORD_JSON_CHARS + 1]
        text = head if isinstance(head, str) else head.decode('utf-8', errors='replace')
        if json_depth_exceeds(text, MAX_JSON_DEPTH):
            raise SchemaError(f'record JSON nests deeper than {MAX_JSON_DEPTH} levels; a record '
                              'nests 2', ['json: nested too deep'])
        if len(data) > MAX_RECORD_JSON_CHARS:
            raise SchemaError(f'record JSON is {len(data)} characters; a record fits in '
                              f'{MAX_RECORD_JSON_CHARS}', ['json: too long'])
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SchemaError(f'not valid JSON: {exc}', [f'json: {exc}']) from exc
    if not isinstance(data, dict):
        raise SchemaError('a memory record must be a JSON object', ['record: not an object'])
    try:
        return MemoryRecord.model_validate(data)
    except ValidationError as exc:
        reasons = format_validation_error(exc)
        raise SchemaError('invalid memory record: ' + '; '.join(reasons), reasons) from exc


def record_json_schema() -> dict[str, Any]:
    """Return the record's JSON Schema, for constrained decoding and dataset checks."""
    return MemoryRecord.model_json_schema()


class ValidityCounter:
    """
    Counts JSON attempts: parsed, schema-valid and rejected, with the reasons for rejection.

    Thread-safe, because the node's service and ingest threads both write records.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.attempts = 0
        self.parsed = 0
        self.schema_valid = 0
        self.rejected = 0
        self.reasons: Counter[str] = Counter()

    def check(self, data: str | bytes | dict[str, Any]) -> MemoryRecord:
        """Parse ``data`` as a record, count the outcome, and re-raise SchemaError on rejection."""
        try:
            record = parse_record(data)
        except SchemaError as exc:
            with self._lock:
                self.attempts += 1
                if not exc.reasons[0].startswith(('json:', 'record:')):
                    self.parsed += 1
                self.rejected += 1
                for reason in exc.reasons:
                    self.reasons[reason.split(':', 1)[0]] += 1
            raise
        with self._lock:
            self.attempts += 1
            self.parsed += 1
            self.schema_valid += 1
        return record

    @property
    def validity_rate(self) -> float:
        """Schema-valid records over attempts; 1.0 before any attempt."""
        with self._lock:
            return self.schema_valid / self.attempts if self.attempts else 1.0

    def snapshot(self) -> dict[str, Any]:
        """Return the counts as a plain dict for diagnostics and results files."""
        with self._lock:
            return {
                'attempts': self.attempts, 'parsed': self.parsed,
                'schema_valid': self.schema_valid, 'rejected': self.rejected,
                'reasons': dict(self.reasons.most_common(10)),
            }
