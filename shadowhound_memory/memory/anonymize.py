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
Redaction of personal data before a memory is embedded or stored (parameter ``anonymize``).

What counts as personal here: e-mail addresses, phone numbers, and the names of people as the
perception stack labels them (``person:alice`` or ``person:alice_smith`` tags). Texts get
``[email]``, ``[phone]`` and ``[person]`` in their place; a ``person:<name>`` tag becomes plain
``person`` (the record still says a person was seen, not who). A name learned from a tag is also
redacted in later texts that come without the tag, for as long as the process runs; the learned
names are kept in memory only, never on disk, since writing them down would store what is being
removed.

Rules, not a model: a name nobody tagged ("Bob said hi") is not recognized, and phone numbers
are digit runs of 7 to 15 digits (dates like 2026-11-25 and decimals are left alone).
"""

from collections import OrderedDict
from collections.abc import Iterable, Sequence
import dataclasses
import re
import threading

from shadowhound_memory.domain.observation import Observation
from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.memory.writer import clean_text

EMAIL_MARK = '[email]'
PHONE_MARK = '[phone]'
PERSON_MARK = '[person]'
PERSON_TAG = 'person'
# Enough for every person a robot meets in a long mission; the oldest are forgotten first.
MAX_LEARNED_NAMES = 10_000
# Shorter name parts ('al', 'jo') would redact ordinary words.
MIN_NAME_PART = 3

_EMAIL_RE = re.compile(r'[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}')
# A phone number: an optional +, then digits with spaces, dots, dashes or brackets between them.
_PHONE_RE = re.compile(r'(?<![\w.])\+?\(?\d[\d\s().\-/]{5,}\d(?!\w)')
_DATE_RE = re.compile(r'^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[./]\d{1,2}[./]\d{2,4}$')
_DECIMAL_RE = re.compile(r'^\d+\.\d+$')
_PHONE_TAG_VALUE_RE = re.compile(r'^\+?\d{7,15}$')


def _is_phone(candidate: str) -> bool:
    stripped = candidate.strip()
    if _DATE_RE.match(stripped) or _DECIMAL_RE.match(stripped):
        return False
    digits = sum(c.isdigit() for c in stripped)
    return 7 <= digits <= 15


def redact_contacts(text: str) -> str:
    """Replace e-mail addresses and phone numbers in a text."""
    text = _EMAIL_RE.sub(EMAIL_MARK, text)
    return _PHONE_RE.sub(lambda m: PHONE_MARK if _is_phone(m.group(0)) else m.group(0), text)


def person_names(tags: Iterable[str]) -> list[str]:
    """Return the names in person:<name> tags, as words ('person:alice_smith' -> 'alice smith')."""
    names = []
    for tag in tags:
        kind, _, value = tag.strip().lower().partition(':')
        if kind == PERSON_TAG and value:
            name = ' '.join(re.split(r'[_.\-\s]+', value)).strip()
            if name and name not in names:
                names.append(name)
    return names


def _name_patterns(name: str) -> list[str]:
    # The whole name first, then its parts, so 'Alice Smith' becomes one mark, not two.
    parts = [p for p in name.split() if len(p) >= MIN_NAME_PART]
    return [name] + [p for p in parts if p != name]


class Anonymizer:
    """Redacts personal data from observations and records; thread-safe."""

    def __init__(self, max_learned_names: int = MAX_LEARNED_NAMES) -> None:
        self._names: OrderedDict[str, None] = OrderedDict()
        self._max_names = max_learned_names
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def learn(self, tags: Iterable[str]) -> None:
        """Remember the names of tagged people, so later untagged mentions are redacted too."""
        names = person_names(tags)
        if not names:
            return
        with self._lock:
            for name in names:
                self._names[name] = None
                self._names.move_to_end(name)
            while len(self._names) > self._max_names:
                self._names.popitem(last=False)
            self._pattern = None

    def _names_pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._names:
                words = {w for name in self._names for w in _name_patterns(name)}
                # Longest first, so the full name wins over its parts.
                alternatives = '|'.join(re.escape(w).replace(r'\ ', r'\s+')
                                        for w in sorted(words, key=len, reverse=True))
                self._pattern = re.compile(r'\b(?:' + alternatives + r")(?:'s)?\b",
                                           re.IGNORECASE)
            return self._pattern

    def redact_text(self, text: str, tags: Sequence[str] = ()) -> str:
        """Return the text without e-mails, phone numbers and the names of tagged people."""
        self.learn(tags)
        text = redact_contacts(text)
        pattern = self._names_pattern()
        if pattern is not None:
            text = pattern.sub(PERSON_MARK, text)
        return text

    def redact_tags(self, tags: Sequence[str]) -> list[str]:
        """Return the tags with person:<name> as plain person, and phone-number tags dropped."""
        redacted: list[str] = []
        for tag in tags:
            kind, _, value = tag.strip().lower().partition(':')
            if kind == PERSON_TAG:
                tag = PERSON_TAG
            elif _PHONE_TAG_VALUE_RE.match(value) or '@' in value:
                continue
            if tag not in redacted:
                redacted.append(tag)
        return redacted

    def redact_source(self, source: str) -> str:
        """Return the source, or 'redacted' when it names a tagged person or holds a contact."""
        pattern = self._names_pattern()
        named = pattern is not None and pattern.search(re.sub(r'[_.\-/:]+', ' ', source))
        if named or redact_contacts(source) != source:
            return 'redacted'
        return source

    def observation(self, observation: Observation) -> Observation:
        """Return the observation with its text, tags and source redacted."""
        text = self.redact_text(observation.text, observation.tags)
        return dataclasses.replace(observation, text=text,
                                   tags=tuple(self.redact_tags(observation.tags)),
                                   source=self.redact_source(observation.source))

    def record(self, record: MemoryRecord) -> MemoryRecord:
        """Return the record with its text, tags and source redacted (id and pose kept)."""
        text = clean_text(self.redact_text(record.text, record.tags))
        return MemoryRecord.model_validate({
            **record.model_dump(), 'text': text,
            'tags': self.redact_tags(record.tags), 'source': self.redact_source(record.source)})
