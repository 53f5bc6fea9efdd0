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
Print every record of an embedded store folder as JSON, reading it as a fresh process would.

    python bench/chaos/store_dump.py STORE_PATH
"""

import json
import os
import sys

from shadowhound_memory.store.base import MemoryFilter
from shadowhound_memory.store.edge import EdgeStore, INFO_FILE
from shadowhound_memory.store.payload import read_info


def main() -> int:
    """Open the store named on the command line and print its records."""
    path = sys.argv[1]
    info = read_info(os.path.join(path, INFO_FILE))
    if info is None:
        print(f'{path} holds no store', file=sys.stderr)
        return 1
    store = EdgeStore(path, min_free_bytes=0)
    store.open_collection(info)
    try:
        records = store.scroll(MemoryFilter(), limit=None)
    finally:
        store.close()
    print(json.dumps([r.model_dump(mode='json') for r in records]))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
