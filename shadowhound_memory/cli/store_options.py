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


"""The store options every memory tool shares, and the store and embedder they select."""

import argparse
from datetime import datetime
import os

from shadowhound_memory.compose.config import MemoryConfig
from shadowhound_memory.compose.factory import make_embedder, make_store
from shadowhound_memory.embeddings.base import EmbeddingProvider
from shadowhound_memory.store.base import MemoryStore


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """Add --store-path, --store-url and --embedding-model, defaulting as memory_node does."""
    defaults = MemoryConfig()
    parser.add_argument('--store-path', default=defaults.store_path,
                        help='folder of the embedded store (default: %(default)s); the node '
                             'using it must be stopped, only one process may open it')
    parser.add_argument('--store-url', default='',
                        help='URL of a Qdrant server instead of the embedded store')
    parser.add_argument('--embedding-model', default=defaults.embedding_model,
                        help='embedding model of the store (default: %(default)s)')


def store_config(args: argparse.Namespace) -> MemoryConfig:
    """Return the node settings the options describe."""
    return MemoryConfig(store_path=args.store_path, store_url=args.store_url,
                        embedding_model=args.embedding_model)


def open_store(config: MemoryConfig) -> tuple[MemoryStore, EmbeddingProvider]:
    """Return the store, opened for the embedder, and the embedder."""
    from shadowhound_memory.memory.transfer import collection_info
    embedder = make_embedder(config)
    store = make_store(config)
    store.open_collection(collection_info(embedder))
    return store, embedder


def parse_time(text: str) -> float:
    """Return seconds since the epoch from a number of seconds or an ISO 8601 date and time."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'{text!r} is neither seconds since the epoch nor an ISO 8601 time such as '
            '2026-12-03T08:00:00+00:00') from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()


def existing_file(text: str) -> str:
    """Return the path if it names a readable file (argparse type)."""
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f'{text} is not a file')
    return text
