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
Stores as the version before hybrid search (commit 76c1091) wrote them: dense vectors only.

The creation and write calls below are that version's, line for line (``EdgeStore._create`` and
``upsert``; ``QdrantServerStore._ensure_collection`` and ``_apply``), so the migration tests open
exactly the layout a robot in the field has on disk or on its server. Kept here, not in the
package, because nothing but the tests may write the old layout.
"""

import os

from qdrant_client import models, QdrantClient
import qdrant_edge as edge

from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo
from shadowhound_memory.store.payload import (FLOAT_INDEXES, info_to_json, KEYWORD_INDEXES,
                                              to_payload, write_info)


def write_dense_edge_store(path: str | os.PathLike[str], info: CollectionInfo,
                           records: list[MemoryRecord], vectors: list[list[float]]) -> None:
    """Create an Edge store as 76c1091 did and write the records into it."""
    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    write_info(os.path.join(path, 'collection.json'), info)
    config = edge.EdgeConfig(vectors=edge.EdgeVectorParams(size=info.dimension,
                                                           distance=edge.Distance.Cosine))
    shard = edge.EdgeShard.create(os.path.join(path, 'shard'), config)
    indexes = [(name, edge.PayloadSchemaType.Keyword) for name in KEYWORD_INDEXES]
    indexes += [(name, edge.PayloadSchemaType.Float) for name in FLOAT_INDEXES]
    for name, schema in indexes:
        shard.update(edge.UpdateOperation.create_field_index(name, schema))
    points = [edge.Point(r.id, [float(x) for x in v], to_payload(r))
              for r, v in zip(records, vectors)]
    shard.update(edge.UpdateOperation.upsert_points(points))
    shard.flush()
    shard.close()


def write_dense_server_collection(client: QdrantClient, name: str, info: CollectionInfo,
                                  records: list[MemoryRecord],
                                  vectors: list[list[float]]) -> None:
    """Create a server collection as 76c1091 did and write the records into it."""
    client.create_collection(name, vectors_config=models.VectorParams(
        size=info.dimension, distance=models.Distance.COSINE), metadata=info_to_json(info))
    wanted = [(key, models.PayloadSchemaType.KEYWORD) for key in KEYWORD_INDEXES]
    wanted += [(key, models.PayloadSchemaType.FLOAT) for key in FLOAT_INDEXES]
    for key, schema in wanted:
        client.create_payload_index(name, key, schema, wait=True)
    points = [models.PointStruct(id=r.id, vector=[float(x) for x in v], payload=to_payload(r))
              for r, v in zip(records, vectors)]
    client.upsert(name, points, wait=True)
