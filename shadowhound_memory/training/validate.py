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
Check JSONL files against the adapter dataset formats and the memory record schema.

Reports every bad line, not the first: a dataset built by hand or by another tool is usually
wrong in the same way many times, and one pass should show all of it.
"""

import argparse
from collections import Counter
import pathlib
import sys

from shadowhound_memory.training.formats import check_lines


def validate_file(path: str | pathlib.Path) -> tuple[Counter[str], list[str]]:
    """Return the count of good lines per kind and one 'file:line: reason' per bad line."""
    good: Counter[str] = Counter()
    problems = []
    for number, line, reason in check_lines(pathlib.Path(path).read_text().splitlines()):
        if line is None:
            problems.append(f'{path}:{number}: {reason}')
        else:
            good[line.task] += 1
    return good, problems


def main(argv: list[str] | None = None) -> int:
    """Validate the files given; exit 1 when any line is bad."""
    parser = argparse.ArgumentParser(
        prog='python -m shadowhound_memory.training.validate',
        description='Check writing pairs, recall pairs and held-out missions (JSONL) against '
                    'their formats and the memory record schema; list every bad line.')
    parser.add_argument('files', nargs='+', help='JSONL files to check.')
    args = parser.parse_args(argv)
    failed = False
    for name in args.files:
        try:
            good, problems = validate_file(name)
        except OSError as exc:
            print(f'{name}: cannot read ({exc.strerror})')
            failed = True
            continue
        for problem in problems:
            print(problem)
        kinds = ', '.join(f'{n} {kind}' for kind, n in sorted(good.items())) or 'no good lines'
        print(f'{name}: {kinds}; {len(problems)} bad')
        failed = failed or bool(problems) or not good
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
