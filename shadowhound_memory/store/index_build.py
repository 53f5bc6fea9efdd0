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
Build the HNSW index of a Qdrant Edge shard copy, in a process of its own.

Edge's ``optimize()`` holds the GIL for its whole run; run here, in a child of the node, it
stalls nothing of the node (see ``store/edge.py``, which starts it and swaps the result in).

    python -m shadowhound_memory.store.index_build SHARD_DIR
"""

import sys

import qdrant_edge as edge


def main(argv: list[str] | None = None) -> int:
    """Load the shard at the given path, build its index, flush and close it."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print('usage: python -m shadowhound_memory.store.index_build SHARD_DIR', file=sys.stderr)
        return 2
    shard = edge.EdgeShard.load(args[0])
    try:
        shard.optimize()
        shard.flush()
    finally:
        shard.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
