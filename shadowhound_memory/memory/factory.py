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
Assembly of the memory service from the node's settings.

The node, the demo and the benchmarks build their memory the same way from one MemoryConfig, so a
setting means the same thing wherever it is given.
"""

import os

from shadowhound_memory.config import MemoryConfig
from shadowhound_memory.embeddings.base import EmbeddingConfig, EmbeddingProvider, make_provider
from shadowhound_memory.errors import StoreError
from shadowhound_memory.memory.hygiene import DedupeConfig, RetentionConfig
from shadowhound_memory.memory.service import MemoryService
from shadowhound_memory.memory.writer import DeterministicWriter
from shadowhound_memory.pose.buffer import PoseBufferConfig
from shadowhound_memory.retrieval.ranking import RankingWeights
from shadowhound_memory.store.base import MemoryStore


def pose_buffer_config(config: MemoryConfig) -> PoseBufferConfig:
    """Return the pose buffer's settings."""
    return PoseBufferConfig(history_s=config.pose_history_s, max_gap_s=config.pose_max_gap_s,
                            max_extrapolation_s=config.pose_max_extrapolation_s,
                            frame_id=config.map_frame)


def ranking_weights(config: MemoryConfig) -> RankingWeights:
    """Return the retrieval ranking weights."""
    return RankingWeights(similarity=config.weight_similarity, recency=config.weight_recency,
                          distance=config.weight_distance,
                          recency_half_life_s=config.recency_half_life_s,
                          distance_scale_m=config.distance_scale_m)


def dedupe_config(config: MemoryConfig) -> DedupeConfig:
    """Return the near-duplicate merge settings."""
    return DedupeConfig(enabled=config.dedupe_enabled, radius_m=config.dedupe_radius_m,
                        time_window_s=config.dedupe_window_s,
                        min_similarity=config.dedupe_min_similarity)


def retention_config(config: MemoryConfig) -> RetentionConfig:
    """Return the retention settings (0 in the parameters means no limit)."""
    return RetentionConfig(max_age_s=config.retention_max_age_s or None,
                           per_mission_quota=config.retention_mission_quota or None)


def make_embedder(config: MemoryConfig) -> EmbeddingProvider:
    """Return the embedding provider the backend asks for."""
    if config.memory_backend == 'openai':
        return make_provider(EmbeddingConfig(provider='openai', model=config.embedding_model,
                                             url=config.embedding_url))
    return make_provider(EmbeddingConfig(provider='local', model=config.embedding_model,
                                         threads=config.embedding_threads))


def make_store(config: MemoryConfig) -> MemoryStore:
    """Return the embedded Qdrant Edge store, or the Qdrant server store when a URL is set."""
    path = config.resolved_store_path()
    if config.store_url:
        from shadowhound_memory.store.server import QdrantServerStore
        return QdrantServerStore(url=config.store_url, outbox_path=os.path.join(path, 'outbox'))
    from shadowhound_memory.store.edge import EdgeStore
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise StoreError(f'cannot create the store folder {path} ({exc.strerror}); set store_path '
                         'to a writable folder') from exc
    return EdgeStore(path, optimize_threshold=config.store_optimize_threshold,
                     min_free_bytes=config.store_min_free_mb * 2**20)


def build_memory_service(config: MemoryConfig, *, embedder: EmbeddingProvider | None = None,
                         store: MemoryStore | None = None) -> MemoryService:
    """Build the memory service; collaborators given by the caller are used as they are."""
    return MemoryService(
        store=store if store is not None else make_store(config),
        embedder=embedder if embedder is not None else make_embedder(config),
        writer=DeterministicWriter(), dedupe=dedupe_config(config),
        retention=retention_config(config), weights=ranking_weights(config),
        token_budget=config.token_budget, anonymize=config.anonymize)


def apply_config(service: MemoryService, config: MemoryConfig) -> None:
    """Apply the settings that may change while the node runs."""
    service.dedupe = dedupe_config(config)
    service.retention = retention_config(config)
    service.weights = ranking_weights(config)
    service.token_budget = config.token_budget
    service.anonymize = config.anonymize
