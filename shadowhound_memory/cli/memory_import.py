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
memory_import: memories from memory_export files into the embedded store or a Qdrant server.

    ros2 run shadowhound_memory memory_import patrol-7.jsonl
    python -m shadowhound_memory.cli.memory_import patrol-7.jsonl --store-url http://qdrant:6333

Exit status: 0 when every line was imported, 2 when some lines were damaged (each is reported
with its line number; the others were imported), 1 when nothing could be imported.
"""

import argparse
import sys

from shadowhound_memory.cli.store_options import (add_store_options, existing_file, open_store,
                                                  store_config)
from shadowhound_memory.domain.errors import MemoryPackageError
from shadowhound_memory.memory.transfer import import_records


def build_parser() -> argparse.ArgumentParser:
    """Return the command line of memory_import."""
    parser = argparse.ArgumentParser(
        prog='memory_import', description='Import memory_export files. Ids are kept, so a file '
        'imported twice is stored once; vectors of another embedding model are recomputed.')
    parser.add_argument('files', nargs='+', type=existing_file, metavar='FILE',
                        help='JSON Lines written by memory_export')
    add_store_options(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Import; return the exit status described in the module docstring."""
    args = build_parser().parse_args(argv)
    try:
        store, embedder = open_store(store_config(args))
    except MemoryPackageError as exc:
        print(f'memory_import: {exc}', file=sys.stderr)
        return 1
    damaged = 0
    try:
        for path in args.files:
            with open(path, encoding='utf-8', errors='replace') as lines:
                report = import_records(lines, store, embedder)
            damaged += len(report.damaged)
            print(f'memory_import: {path}: {report.summary()}')
    except (MemoryPackageError, OSError) as exc:
        print(f'memory_import: {exc}', file=sys.stderr)
        return 1
    finally:
        store.close()
    return 2 if damaged else 0


if __name__ == '__main__':
    raise SystemExit(main())
