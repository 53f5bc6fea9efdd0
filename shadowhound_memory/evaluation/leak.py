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
The leak check: no text of the held-out recall set may appear in training data.

An evaluation whose questions or reports were seen in training measures memorization of that
wording, not understanding. Texts are compared normalized (lowercase, every run of characters
other than letters and digits made one space), and an evaluation text leaks when it appears
inside any string of a training file (a prompt holds observations inside longer text), so a
changed capital or full stop does not hide a copy.
"""

import argparse
from collections.abc import Iterable, Iterator
import json
import pathlib
import sys
import tempfile

from shadowhound_memory.training.leakage import json_strings, normalize


def jsonl_strings(folder: str | pathlib.Path) -> Iterator[str]:
    """Yield every string value of every JSON line of the .jsonl files in ``folder``."""
    for path in sorted(pathlib.Path(folder).glob('*.jsonl')):
        with open(path) as handle:
            for line in handle:
                if line.strip():
                    yield from json_strings(json.loads(line))


def find_leaks(eval_texts: Iterable[str], training_texts: Iterable[str]) -> list[str]:
    """Return the evaluation texts whose normalized form occurs in a training text."""
    corpus = '\n'.join(f' {normalize(t)} ' for t in training_texts)
    leaks = []
    for text in dict.fromkeys(eval_texts):
        key = normalize(text)
        # Padded with spaces: a whole-word match, so 'mug' is not found inside 'smug'.
        if key and f' {key} ' in corpus:
            leaks.append(text)
    return leaks


def training_output_strings(seed: int = 0, writing_pairs: int = 200) -> list[str]:
    """Run the training generators as ``make eval`` does and return every string they write."""
    from shadowhound_memory.training.generate import generate
    with tempfile.TemporaryDirectory() as folder:
        generate(folder, seed=seed, writing_pairs=writing_pairs)
        return list(jsonl_strings(folder))


def main(argv: list[str] | None = None) -> int:
    """Check the held-out recall set against the training generators; exit 1 on a leak."""
    from shadowhound_memory.evaluation.recall_missions import make_missions, texts
    parser = argparse.ArgumentParser(
        prog='python -m shadowhound_memory.evaluation.leak',
        description='Fail when a text of the held-out recall set appears in training data.')
    parser.add_argument('--training', help='Folder of training .jsonl files (default: run the '
                        'training generators with the make eval settings).')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    training = list(jsonl_strings(args.training)) if args.training else \
        training_output_strings(args.seed)
    evaluation = list(texts(make_missions(seed=args.seed)))
    leaks = find_leaks(evaluation, training)
    print(f'leak check: {len(set(evaluation))} held-out texts against {len(training)} training '
          f'strings: {len(leaks)} found in training data')
    for text in leaks[:20]:
        print(f'  leaked: {text!r}')
    return 1 if leaks else 0


if __name__ == '__main__':
    sys.exit(main())
