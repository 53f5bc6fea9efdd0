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

from dataclasses import dataclass
import os
from typing import cast

from shadowhound_memory.compose.config import MemoryConfig
from shadowhound_memory.domain.errors import StoreError
from shadowhound_memory.embeddings.base import EmbeddingConfig, EmbeddingProvider
from shadowhound_memory.embeddings.providers import make_provider
from shadowhound_memory.llm.planner import LlmPlanner
from shadowhound_memory.llm.routing import LlmRouter, LlmSettings, Topology
from shadowhound_memory.llm.synthesis import RecallSynthesizer
from shadowhound_memory.llm.writer import LlmWriter
from shadowhound_memory.memory.hygiene import DedupeConfig, RetentionConfig
from shadowhound_memory.memory.service import MemoryService
from shadowhound_memory.memory.writer import DeterministicWriter, RecordWriter
from shadowhound_memory.pose.buffer import PoseBufferConfig
from shadowhound_memory.retrieval.planning import NoPlanner, QueryPlanner, RulePlanner
from shadowhound_memory.retrieval.ranking import RankingWeights
from shadowhound_memory.store.base import MemoryStore


def pose_buffer_config(config: MemoryConfig) -> PoseBufferConfig:
    """Return the pose buffer's settings."""
    return PoseBufferConfig(history_s=config.pose_history_s, max_gap_s=config.pose_max_gap_s,
                            max_extrapolation_s=config.pose_max_extrapolation_s,
                            frame_id=config.map_frame, jump_distance_m=config.pose_jump_m,
                            jump_angle_rad=config.pose_jump_rad,
                            max_speed_mps=config.pose_max_speed_mps,
                            max_yaw_rate_rps=config.pose_max_yaw_rate_rps,
                            uncertain_position_std_m=config.pose_uncertain_std_m,
                            uncertain_yaw_std_rad=config.pose_uncertain_yaw_std_rad)


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
    quantized = config.embedding_provider == 'onnx_int8'
    return make_provider(EmbeddingConfig(
        provider='torch' if config.embedding_provider == 'torch' else 'onnx',
        quantized=quantized, onnx_dir=config.embedding_onnx_dir, model=config.embedding_model,
        threads=config.embedding_threads))


def make_store(config: MemoryConfig) -> MemoryStore:
    """Return the embedded Qdrant Edge store, or the Qdrant server store when a URL is set."""
    path = config.resolved_store_path()
    if config.store_url:
        from shadowhound_memory.store.server import QdrantServerStore
        return QdrantServerStore(url=config.store_url, outbox_path=os.path.join(path, 'outbox'),
                                 fusion=config.retrieval_fusion)
    from shadowhound_memory.store.edge import EdgeStore
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise StoreError(f'cannot create the store folder {path} ({exc.strerror}); set store_path '
                         'to a writable folder') from exc
    return EdgeStore(path, optimize_threshold=config.store_optimize_threshold,
                     min_free_bytes=config.store_min_free_mb * 2**20,
                     fusion=config.retrieval_fusion, quantize=config.store_quantization)


@dataclass
class LlmParts:
    """The generation side: the router, the LLM writer, the recall synthesizer and planner."""

    router: LlmRouter
    writer: LlmWriter
    synthesizer: RecallSynthesizer
    planner: LlmPlanner

    def close(self) -> None:
        """Stop the prober and the writer threads."""
        self.router.close()
        self.writer.close()


def llm_settings(config: MemoryConfig) -> LlmSettings:
    """Return the routing settings."""
    return LlmSettings(
        url=config.llm_url, base_model=config.llm_base_model,
        topology=cast(Topology, config.resolved_topology()), adapter_mode=config.adapter_mode,
        writing_adapter=config.llm_writing_adapter, recall_adapter=config.llm_recall_adapter,
        writing_model=config.llm_writing_model, recall_model=config.llm_recall_model,
        writing_url=config.llm_writing_url, recall_url=config.llm_recall_url,
        adapter_dir=config.llm_adapter_dir, api_key_env=config.llm_api_key_env,
        timeout_s=config.llm_timeout_s, retries=config.llm_retries,
        structured_output=config.llm_structured_output)


def build_llm(config: MemoryConfig) -> LlmParts | None:
    """Build the generation side when llm_url is set; it probes in the background once started."""
    if not config.llm_url:
        return None
    router = LlmRouter(llm_settings(config), probe_period_s=config.llm_probe_period_s,
                       reprobe_interval_s=config.llm_reprobe_interval_s)
    return LlmParts(router,
                    LlmWriter(router, max_tokens=config.llm_writing_max_tokens,
                              concurrency=config.llm_concurrency),
                    RecallSynthesizer(router, config.token_budget,
                                      max_tokens=config.llm_recall_max_tokens),
                    LlmPlanner(router, timeout_s=config.recall_planner_timeout_s))


def make_planner(config: MemoryConfig, llm: LlmParts | None = None) -> QueryPlanner:
    """Return the query planner recall_planner names (rules when llm has no server)."""
    if config.recall_planner == 'none':
        return NoPlanner()
    if config.recall_planner == 'llm' and llm is not None:
        return llm.planner
    return RulePlanner()


def build_memory_service(config: MemoryConfig, *, embedder: EmbeddingProvider | None = None,
                         store: MemoryStore | None = None,
                         llm: LlmParts | None = None) -> MemoryService:
    """
    Build the memory service; collaborators given by the caller are used as they are.

    With writer=llm the LLM writer of ``llm`` writes records (it falls back by itself).
    """
    writer: RecordWriter = llm.writer if llm is not None and config.writer == 'llm' \
        else DeterministicWriter()
    return MemoryService(
        store=store if store is not None else make_store(config),
        embedder=embedder if embedder is not None else make_embedder(config),
        writer=writer, dedupe=dedupe_config(config),
        retention=retention_config(config), weights=ranking_weights(config),
        token_budget=config.token_budget, anonymize=config.anonymize,
        retrieval_mode=config.retrieval_mode,
        synthesizer=llm.synthesizer if llm is not None else None,
        planner=make_planner(config, llm))


def apply_config(service: MemoryService, config: MemoryConfig,
                 llm: LlmParts | None = None) -> None:
    """Apply the settings that may change while the node runs."""
    service.planner = make_planner(config, llm)
    service.dedupe = dedupe_config(config)
    service.retention = retention_config(config)
    service.weights = ranking_weights(config)
    service.retrieval_mode = config.retrieval_mode
    service.token_budget = config.token_budget
    service.anonymize = config.anonymize


def apply_llm_config(llm: LlmParts, config: MemoryConfig) -> None:
    """Apply the LLM settings that may change while the node runs (routing, token limits)."""
    llm.router.settings = llm_settings(config)
    llm.writer.max_tokens = config.llm_writing_max_tokens
    llm.synthesizer.max_tokens = config.llm_recall_max_tokens
    llm.synthesizer.token_budget = config.token_budget
    llm.planner.timeout_s = config.recall_planner_timeout_s
