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
memory_export: chosen missions or time windows of a memory store to JSON Lines.

    ros2 run shadowhound_memory memory_export --mission patrol-7 -o patrol-7.jsonl
    python -m shadowhound_memory.cli.memory_export --since 2026-12-01T00:00 --vectors > all.jsonl
"""

import argparse
import contextlib
import os
import sys
from typing import TextIO

from shadowhound_memory.cli.store_options import (add_store_options, open_store, parse_time,
                                                  store_config)
from shadowhound_memory.compose.config import MemoryConfig
from shadowhound_memory.compose.factory import make_store
from shadowhound_memory.domain.errors import MemoryPackageError, StoreError
from shadowhound_memory.memory.transfer import collection_info, export_records, Selection
from shadowhound_memory.store.base import CollectionInfo, MemoryStore
from shadowhound_memory.store.edge import INFO_FILE
from shadowhound_memory.store.payload import read_info


def open_for_reading(config: MemoryConfig) -> tuple[MemoryStore, CollectionInfo]:
    """
    Open a store to read from, and say which model its vectors are of.

    The embedded store records its model beside the shard, so exporting it loads no model; a
    server's collection is opened with the configured model, which it checks.
    """
    if config.store_url:
        store, embedder = open_store(config)
        return store, collection_info(embedder)
    path = config.resolved_store_path()
    info = read_info(os.path.join(path, INFO_FILE))
    if info is None:
        raise StoreError(f'there is no memory store at {path} (give --store-path or --store-url)')
    store = make_store(config)
    store.open_collection(info)
    return store, info


def build_parser() -> argparse.ArgumentParser:
    """Return the command line of memory_export."""
    parser = argparse.ArgumentParser(
        prog='memory_export', description='Export memories as JSON Lines (one header line, then '
        'one schema-valid record per line) for backups, other robots and sharing a mission.')
    add_store_options(parser)
    parser.add_argument('--mission', action='append', default=[], metavar='ID',
                        help='export this mission (repeatable; default: every mission)')
    parser.add_argument('--since', type=parse_time, metavar='TIME',
                        help='only memories observed at or after TIME (epoch seconds or ISO 8601)')
    parser.add_argument('--until', type=parse_time, metavar='TIME',
                        help='only memories observed at or before TIME')
    parser.add_argument('--vectors', action='store_true',
                        help='include the embedding vectors (an import into a store of the same '
                             'model then embeds nothing)')
    parser.add_argument('-o', '--output', default='-',
                        help='file to write (default: standard output)')
    return parser


def main(argv: list[str] | None = None) -> int:
    """Export; return 0, or 1 with the reason on standard error."""
    args = build_parser().parse_args(argv)
    selection = Selection(tuple(args.mission), args.since, args.until)
    try:
        store, info = open_for_reading(store_config(args))
    except MemoryPackageError as exc:
        print(f'memory_export: {exc}', file=sys.stderr)
        return 1
    try:
        with contextlib.ExitStack() as stack:
            out: TextIO = sys.stdout if args.output == '-' else stack.enter_context(
                open(args.output, 'w', encoding='utf-8'))
            count = export_records(store, info, out, selection, with_vectors=args.vectors)
    except (MemoryPackageError, OSError) as exc:
        print(f'memory_export: {exc}', file=sys.stderr)
        return 1
    finally:
        store.close()
    where = 'standard output' if args.output == '-' else args.output
    print(f'memory_export: {count} memories of {info.embedding_model} to {where}',
          file=sys.stderr)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
