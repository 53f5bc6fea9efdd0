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
The leak check: no text of the out-of-distribution test set may appear in a training file.

A test item the adapter saw in training measures memorization, not generalization. Texts are
compared in a normalized form (lowercase, punctuation and underscores as spaces, runs of spaces
collapsed), so a copy with other casing or punctuation still counts; a test text counts as leaked
when it equals, or is contained in, any text of a training or dev file (dev steers early
stopping, so it shapes the adapter too). Checked texts: each observation, its gold memory
sentence and each question.
"""

import argparse
from collections.abc import Iterable
import json
import pathlib
import re
import sys

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.training.formats import HeldOutMission, read_jsonl

_NON_WORD = re.compile(r'[^a-z0-9]+')
# Shorter test texts ('Fan.') could occur inside any sentence by chance and prove nothing.
MIN_CHARS = 12


class LeakError(InvalidRequestError):
    """A test text appears in a training file."""


def normalize(text: str) -> str:
    """Return the form texts are compared in: lowercase words and digits, single spaces."""
    return _NON_WORD.sub(' ', text.lower()).strip()


def json_strings(value: object) -> Iterable[str]:
    """Yield every string inside a decoded JSON value, depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def training_texts(paths: Iterable[str | pathlib.Path]) -> list[str]:
    """Return every string value of every line of the training files, normalized."""
    texts = []
    for path in paths:
        for line in pathlib.Path(path).read_text(encoding='utf-8').splitlines():
            if line.strip():
                texts += [normalize(s) for s in json_strings(json.loads(line))]
    return texts


def held_out_texts(missions: Iterable[HeldOutMission]) -> list[str]:
    """Return the texts of held-out missions that must not be trained on."""
    texts = []
    for mission in missions:
        texts += [o.text for o in mission.observations]
        texts += [d.text for d in mission.gold_drafts]
        texts += [q.question for q in mission.questions]
    return texts


def find_leaks(tests: Iterable[str], training: list[str]) -> list[str]:
    """Return the test texts (as given) whose normalized form occurs in a training text."""
    corpus = '\n'.join(training)
    leaks = []
    for text in tests:
        norm = normalize(text)
        if len(norm) >= MIN_CHARS and norm in corpus:
            leaks.append(text)
    return leaks


def check(missions_file: str | pathlib.Path, training_files: Iterable[str | pathlib.Path]
          ) -> int:
    """Raise LeakError naming the leaked texts; return how many test texts were checked."""
    tests = held_out_texts(read_jsonl(missions_file, HeldOutMission))
    leaks = find_leaks(tests, training_texts(training_files))
    if leaks:
        shown = '; '.join(repr(t) for t in leaks[:5])
        raise LeakError(f'{len(leaks)} of {len(tests)} test texts of {missions_file} appear in '
                        f'the training files (normalized): {shown}')
    return len(tests)


def main(argv: list[str] | None = None) -> int:
    """Check from the command line; exit 1 and name the texts on a leak."""
    parser = argparse.ArgumentParser(
        prog='python -m shadowhound_memory.training.leakage',
        description='Fail when any text of a held-out missions file appears in training files.')
    parser.add_argument('missions', help='missions_ood.jsonl (held-out missions).')
    parser.add_argument('training', nargs='+', help='Training and dev JSONL files.')
    args = parser.parse_args(argv)
    try:
        count = check(args.missions, args.training)
    except LeakError as error:
        print(f'leak: {error}', file=sys.stderr)
        return 1
    print(f'no leak: {count} test texts, none in {len(args.training)} training files')
    return 0


if __name__ == '__main__':
    sys.exit(main())
