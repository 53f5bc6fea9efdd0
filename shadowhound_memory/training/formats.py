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
The JSONL formats of the adapter datasets, and the checks the validate command runs.

Three kinds of line: a writing pair (observation input -> the draft the LLM writes), a recall
pair (question and memories -> a grounded answer citing them) and a held-out mission (its
observations, gold memories and gold questions). Every line says its kind in ``task``, so one
checker reads any file and reports each bad line with its number and every reason.
"""

from collections.abc import Iterable, Iterator
import hashlib
import json
import pathlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator, ValidationError

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.records import (EVENT_PATTERN, format_validation_error,
                                               MemoryRecord, MISSION_PATTERN)

REF_PATTERN = r'^m[0-9]{1,3}$'
MAX_DOCS = 20
MAX_ANSWER_CHARS = 600


class Draft(BaseModel):
    """What the LLM writes for one observation; pose, mission and time are copied by code."""

    model_config = ConfigDict(extra='forbid')

    event: str = Field(pattern=EVENT_PATTERN)
    text: str = Field(min_length=1)
    tags: list[str]

    @model_validator(mode='after')
    def _fits_the_record_schema(self) -> 'Draft':
        # The record schema owns the rules on text length and tag shape: checking a draft
        # through it means a pair can never teach a draft that the node would then refuse.
        MemoryRecord(event=self.event, text=self.text, tags=self.tags, mission_id='check',
                     timestamp=1.0)
        return self


class WritingPair(BaseModel):
    """One observation's input text and the normalized draft it should become."""

    model_config = ConfigDict(extra='forbid')

    task: Literal['writing']
    mission_id: str = Field(pattern=MISSION_PATTERN)
    input: str = Field(min_length=1)  # noqa: A003 (the format's field name)
    output: Draft


class Doc(BaseModel):
    """One memory as the recall prompt shows it: a short ref instead of the UUID."""

    model_config = ConfigDict(extra='forbid')

    ref: str = Field(pattern=REF_PATTERN)
    time: str
    pose: dict[str, float] | None
    event: str = Field(pattern=EVENT_PATTERN)
    tags: list[str]
    text: str = Field(min_length=1)
    seen_count: int | None = Field(None, ge=1)

    def prompt_dict(self) -> dict[str, Any]:
        """Return the doc as recall_messages takes it (seen_count only when merged)."""
        data = self.model_dump()
        if data['seen_count'] is None:
            del data['seen_count']
        return data


class Answer(BaseModel):
    """A recall answer and the refs of the memories it rests on."""

    model_config = ConfigDict(extra='forbid')

    answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)
    citations: list[str]


class RecallPair(BaseModel):
    """A question, the memories retrieved for it, and the grounded answer."""

    model_config = ConfigDict(extra='forbid')

    task: Literal['recall']
    mission_id: str = Field(pattern=MISSION_PATTERN)
    question: str = Field(min_length=1)
    docs: list[Doc] = Field(max_length=MAX_DOCS)
    output: Answer

    @model_validator(mode='after')
    def _citations_name_docs(self) -> 'RecallPair':
        refs = [d.ref for d in self.docs]
        if len(set(refs)) != len(refs):
            raise ValueError('docs: refs must be unique')
        unknown = [c for c in self.output.citations if c not in refs]
        if unknown:
            raise ValueError(f'output.citations: {unknown} name no doc (refs are {refs})')
        return self


class GoldObservation(BaseModel):
    """An observation of a held-out mission, as the node would receive it, with its input."""

    model_config = ConfigDict(extra='forbid')

    input: str  # noqa: A003 (the format's field name)
    text: str
    stamp: float = Field(gt=0)
    source: str
    tags: list[str]
    confidence: float
    room: str
    pose: dict[str, float] | None
    repeat: bool


class GoldQuestion(BaseModel):
    """A question about a held-out mission and the observations (by index) that answer it."""

    model_config = ConfigDict(extra='forbid')

    question: str = Field(min_length=1)
    observations: list[int] = Field(min_length=1)
    room: str | None = None
    object_key: str | None = None


class HeldOutMission(BaseModel):
    """A mission kept out of training: observations, the gold memories and gold questions."""

    model_config = ConfigDict(extra='forbid')

    task: Literal['mission']
    mission_id: str = Field(pattern=MISSION_PATTERN)
    observations: list[GoldObservation]
    gold_drafts: list[Draft]
    gold_memories: list[MemoryRecord]
    questions: list[GoldQuestion]

    @model_validator(mode='after')
    def _aligned(self) -> 'HeldOutMission':
        if not len(self.observations) == len(self.gold_drafts) == len(self.gold_memories):
            raise ValueError('observations, gold_drafts and gold_memories must align one to one')
        for q in self.questions:
            bad = [i for i in q.observations if not 0 <= i < len(self.observations)]
            if bad:
                raise ValueError(f'question {q.question!r} names observations {bad} that the '
                                 f'mission does not have')
        return self


Line = WritingPair | RecallPair | HeldOutMission
KINDS: dict[str, type[BaseModel]] = {'writing': WritingPair, 'recall': RecallPair,
                                     'mission': HeldOutMission}


def parse_line(text: str) -> Line:
    """Parse one JSONL line into its kind; InvalidRequestError lists every reason."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidRequestError(f'not valid JSON: {exc}') from exc
    if not isinstance(data, dict):
        raise InvalidRequestError('a line must be a JSON object')
    kind = KINDS.get(str(data.get('task')))
    if kind is None:
        raise InvalidRequestError(f'task: must be one of {sorted(KINDS)} (got '
                                  f"{data.get('task')!r})")
    try:
        return kind.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        raise InvalidRequestError('; '.join(format_validation_error(exc))) from exc


def check_lines(lines: Iterable[str]) -> Iterator[tuple[int, Line | None, str]]:
    """Yield (line number from 1, parsed line or None, reason or '') for each non-blank line."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            yield number, parse_line(text), ''
        except InvalidRequestError as exc:
            yield number, None, str(exc)


def read_jsonl(path: str | pathlib.Path, kind: type[BaseModel]) -> list[Any]:
    """Read a file of one kind of line; the first bad line raises, naming its number."""
    items = []
    for number, line, reason in check_lines(pathlib.Path(path).read_text().splitlines()):
        if line is None or not isinstance(line, kind):
            why = reason or f'is a {getattr(line, "task", "?")} line, expected {kind.__name__}'
            raise InvalidRequestError(f'{path}:{number}: {why}')
        items.append(line)
    return items


def write_jsonl(path: str | pathlib.Path, items: Iterable[BaseModel]) -> str:
    """Write one compact JSON object per line; return the file's sha256."""
    text = ''.join(item.model_dump_json(exclude_none=False) + '\n' for item in items)
    pathlib.Path(path).write_text(text)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: str | pathlib.Path) -> str:
    """Return a file's sha256, the data hash an adapter card records."""
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def compact_json(data: Any) -> str:
    """Serialize as the model is taught to write: no spaces, so fewer tokens per memory."""
    return json.dumps(data, ensure_ascii=False, separators=(',', ':'))
