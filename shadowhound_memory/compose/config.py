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
The node's settings as one validated object.

Every ROS parameter of memory_node is a field here: the node derives each parameter's descriptor
(description, range, read-only) from the field, and validates every `ros2 param set` by building a
new MemoryConfig, so the ROS layer and the core can never disagree on a rule. Nothing here imports
rclpy, so the same object configures benchmarks and tools on machines without ROS.
"""

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from shadowhound_memory.domain.records import MISSION_PATTERN
from shadowhound_memory.llm.client import NAME_PATTERN

READ_ONLY: JsonDict = {'read_only': True}

MemoryBackend = Literal['local', 'openai', 'skip']
AdapterMode = Literal['none', 'writing', 'recall', 'all']


def _env_default(name: str, default: str) -> Any:
    # The design's MEMORY_BACKEND / ADAPTER_MODE variables set defaults; parameters still win.
    return os.environ.get(name, default).strip().lower() or default


class MemoryConfig(BaseModel):
    """Settings of the memory node; field names are the ROS parameter names."""

    model_config = ConfigDict(extra='forbid', validate_assignment=True)

    memory_backend: MemoryBackend = Field(
        default_factory=lambda: _env_default('MEMORY_BACKEND', 'local'),
        description='local: local embeddings and local vLLM; openai: an OpenAI-compatible cloud '
                    'API, no adapters; skip: memory disabled, services answer so. Default from '
                    'the MEMORY_BACKEND environment variable.',
        json_schema_extra=READ_ONLY)
    adapter_mode: AdapterMode = Field(
        default_factory=lambda: _env_default('ADAPTER_MODE', 'none'),
        description='Which tasks use their LoRA adapter: none, writing, recall or all. Default '
                    'from the ADAPTER_MODE environment variable.')
    writer: Literal['deterministic', 'llm'] = Field(
        'deterministic',
        description='How observations become records: deterministic rules, or the LLM writing '
                    'route with the deterministic writer as fallback.')
    store_path: str = Field(
        '~/.ros/shadowhound_memory/store',
        description='Folder of the embedded Qdrant Edge store (used when store_url is empty).',
        json_schema_extra=READ_ONLY)
    store_url: str = Field(
        '',
        description='URL of a Qdrant server or cluster; empty uses the embedded store.',
        json_schema_extra=READ_ONLY)
    store_optimize_threshold: int = Field(
        20000, ge=100, le=10_000_000,
        description='Build the HNSW index at start when more points than this are unindexed; '
                    'exact search until then (the build stalls the whole process).',
        json_schema_extra=READ_ONLY)
    store_quantization: bool = Field(
        False,
        description='New stores keep int8 copies of the vectors for search and rescore the best '
                    'candidates on the originals, which stay on disk (less RAM; see '
                    'docs/benchmarks.md for the measured quality). Fixed when a store is created.',
        json_schema_extra=READ_ONLY)
    store_min_free_mb: int = Field(
        100, ge=0, le=1_000_000,
        description='Refuse new memories while the disk holding store_path has less free space '
                    'than this (MB); the embedded store would be killed mid-write on a full disk.',
        json_schema_extra=READ_ONLY)
    embedding_model: str = Field(
        'all-MiniLM-L6-v2',
        description='Sentence-transformers model: the bundled all-MiniLM-L6-v2 or a local folder.',
        json_schema_extra=READ_ONLY)
    embedding_provider: Literal['onnx', 'onnx_int8', 'torch'] = Field(
        'onnx',
        description='onnx: the model exported to ONNX under ONNX Runtime (no torch in the node); '
                    'onnx_int8: its int8 variant, faster but its vectors move (see '
                    'docs/embeddings.md); torch: sentence-transformers.',
        json_schema_extra=READ_ONLY)
    embedding_onnx_dir: str = Field(
        '',
        description='Folder of the ONNX export; empty: ~/.ros/shadowhound_memory/models/'
                    '<model>-onnx, where `python -m shadowhound_memory.embeddings.onnx_export` '
                    'writes it.',
        json_schema_extra=READ_ONLY)
    embedding_threads: int = Field(
        1, ge=1, le=64, description='Threads for embedding; 1 keeps latency steady.',
        json_schema_extra=READ_ONLY)
    embedding_url: str = Field(
        '', description='OpenAI-compatible /v1/embeddings base URL for memory_backend=openai.',
        json_schema_extra=READ_ONLY)
    mission_id: str = Field(
        'default', pattern=MISSION_PATTERN,
        description='Current mission; writes and recalls without a mission use it.')
    map_frame: str = Field(
        'map', description='Frame of stored poses and of the markers.',
        json_schema_extra=READ_ONLY)
    retrieval_mode: Literal['dense', 'hybrid'] = Field(
        'hybrid',
        description='How a recall searches: dense (MiniLM cosine only) or hybrid (MiniLM fused '
                    'with BM25 keywords, which finds names, numbers and rare words).')
    retrieval_fusion: Literal['rrf', 'dbsf'] = Field(
        'rrf',
        description='How hybrid search fuses its two rankings: rrf (reciprocal rank fusion) or '
                    'dbsf (distribution-based score fusion).',
        json_schema_extra=READ_ONLY)
    recall_k: int = Field(5, ge=1, le=100, description='Memories returned when a request asks 0.')
    recall_min_score: float = Field(
        0.0, ge=0.0, le=1.0, description='Default minimum ranking score of a recalled memory.')
    weight_similarity: float = Field(
        1.0, ge=0.0, le=10.0, description='Ranking weight of semantic similarity.')
    weight_recency: float = Field(
        0.15, ge=0.0, le=10.0, description='Ranking weight of how recently it was seen.')
    weight_distance: float = Field(
        0.1, ge=0.0, le=10.0, description='Ranking weight of closeness to the asked place.')
    recency_half_life_s: float = Field(
        3600.0, gt=0.0, le=1e9, description='Age at which the recency term halves.')
    distance_scale_m: float = Field(
        5.0, gt=0.0, le=1e6, description='Distance at which the distance term falls to 1/e.')
    recall_planner: Literal['none', 'rules', 'llm'] = Field(
        'rules',
        description='How a recall question becomes a query plan (search texts, tags, time, '
                    'place, intent): none (the literal question, as before plans), rules '
                    '(deterministic, about a millisecond), llm (the recall route writes it; the '
                    'rules plan when the LLM is away or fails; needs llm_url).')
    recall_planner_timeout_s: float = Field(
        10.0, gt=0.0, le=600.0,
        description='Longest wait for the LLM planner before the rules plan instead.')
    token_budget: int = Field(
        1024, ge=64, le=131072, description='Token budget of the recall context given to the LLM.')
    anonymize: bool = Field(
        False,
        description='Redact personal data (e-mail addresses, phone numbers, names of people '
                    'tagged person:<name>) before anything is embedded or stored.')
    dedupe_enabled: bool = Field(True, description='Merge near-duplicate observations.')
    dedupe_radius_m: float = Field(
        1.0, ge=0.0, le=100.0, description='Duplicates lie within this distance.')
    dedupe_window_s: float = Field(
        300.0, ge=0.0, le=1e7, description='Duplicates are seen within this time of each other.')
    dedupe_min_similarity: float = Field(
        0.9, ge=0.0, le=1.0, description='Duplicates have at least this text similarity.')
    retention_max_age_s: float = Field(
        0.0, ge=0.0, description='Purge memories older than this; 0 keeps them forever.')
    retention_mission_quota: int = Field(
        0, ge=0, description='Keep at most this many memories per mission (oldest go); 0: no cap.')
    retention_period_s: float = Field(
        60.0, ge=1.0, le=86400.0, description='How often retention runs.')
    ingest_queue_size: int = Field(
        2000, ge=1, le=1_000_000,
        description='Observations waiting to be written; beyond it new ones are dropped and '
                    'counted.', json_schema_extra=READ_ONLY)
    ingest_batch_size: int = Field(
        64, ge=1, le=4096, description='Observations embedded and stored per batch.')
    pose_input: Literal['odometry', 'pose', 'pose_with_covariance'] = Field(
        'odometry',
        description='Where the pose comes from: odometry (nav_msgs/Odometry on odom), pose '
                    '(geometry_msgs/PoseStamped on pose) or pose_with_covariance '
                    '(geometry_msgs/PoseWithCovarianceStamped on pose: AMCL, slam_toolbox).',
        json_schema_extra=READ_ONLY)
    service_queue_size: int = Field(
        256, ge=1, le=100_000,
        description='write_memory and recall requests admitted to wait; beyond it requests are '
                    'answered "busy, retry" at once.', json_schema_extra=READ_ONLY)
    service_workers: int = Field(
        2, ge=1, le=32, description='Threads carrying out admitted write_memory and recall '
                                    'requests.', json_schema_extra=READ_ONLY)
    pose_history_s: float = Field(
        120.0, gt=0.0, le=86400.0, description='Odometry kept for stamping late observations.',
        json_schema_extra=READ_ONLY)
    pose_max_gap_s: float = Field(
        0.5, gt=0.0, le=60.0,
        description='Pose samples farther apart than this are not interpolated: a stamp within '
                    'pose_max_extrapolation_s of one takes it, others have no pose. With a '
                    'localizer, about 2.5 times its period.')
    pose_max_extrapolation_s: float = Field(
        0.2, ge=0.0, le=10.0,
        description='How far past the newest odometry a pose may be extrapolated.')
    pose_jump_m: float = Field(
        0.5, gt=0.0, le=1000.0,
        description='Neighbouring poses farther apart than this plus pose_max_speed_mps times '
                    'their time difference are a jump (relocalization): never interpolated.')
    pose_jump_rad: float = Field(
        0.5, gt=0.0, le=3.15,
        description='Heading change beyond this plus pose_max_yaw_rate_rps times the time '
                    'difference is a jump.')
    pose_max_speed_mps: float = Field(
        5.0, ge=0.0, le=100.0,
        description='Fastest the robot drives (jump detection); generous, since a motion taken '
                    'for a jump loses poses while relocalizations are metres.')
    pose_max_yaw_rate_rps: float = Field(
        2.0, ge=0.0, le=100.0, description='Fastest the robot turns (jump detection).')
    pose_uncertain_std_m: float = Field(
        0.5, ge=0.0, le=1e6,
        description='Position standard deviation (from the pose covariance) above which a '
                    'memory is tagged pose:uncertain; 0: never.')
    pose_uncertain_yaw_std_rad: float = Field(
        0.5, ge=0.0, le=1e6,
        description='Heading standard deviation above which a memory is tagged pose:uncertain; '
                    '0: never.')
    pose_wait_s: float = Field(
        0.3, ge=0.0, le=10.0,
        description='How long an observation newer than the odometry waits for it to catch up.')
    diagnostics_period_s: float = Field(
        1.0, ge=0.1, le=3600.0, description='Period of /diagnostics.', json_schema_extra=READ_ONLY)
    markers_period_s: float = Field(
        2.0, ge=0.1, le=3600.0, description='Period of memory/markers.',
        json_schema_extra=READ_ONLY)
    markers_max: int = Field(
        500, ge=0, le=100000, description='Most recent memories drawn in memory/markers.')
    llm_url: str = Field(
        '', description='Base URL of the OpenAI-compatible LLM server (the co-located vLLM, or '
                        'a cloud API); empty: no LLM, deterministic writer and retrieval-only '
                        'recall.', json_schema_extra=READ_ONLY)
    llm_topology: Literal['auto', 'dynamic_lora', 'merged', 'cloud'] = Field(
        'auto', description='How task models are served: dynamic_lora (one vLLM, one adapter '
                            'per task), merged (a model id per task), cloud (no adapters, '
                            'few-shot); auto: cloud for memory_backend=openai, else '
                            'dynamic_lora.', json_schema_extra=READ_ONLY)
    llm_base_model: str = Field(
        '', description='Model id of the base model; empty: the first base model the server '
                        'lists.', json_schema_extra=READ_ONLY)
    llm_writing_adapter: str = Field(
        'memory-writing', pattern=NAME_PATTERN,
        description='Adapter name of the memory-writing task (dynamic_lora).',
        json_schema_extra=READ_ONLY)
    llm_recall_adapter: str = Field(
        'recall', pattern=NAME_PATTERN, description='Adapter name of the recall task '
                                                    '(dynamic_lora).',
        json_schema_extra=READ_ONLY)
    llm_writing_model: str = Field(
        '', description='Model id of the merged memory-writing variant (merged).',
        json_schema_extra=READ_ONLY)
    llm_recall_model: str = Field(
        '', description='Model id of the merged recall variant (merged).',
        json_schema_extra=READ_ONLY)
    llm_writing_url: str = Field(
        '', description='Endpoint of the memory-writing variant if not llm_url (merged).',
        json_schema_extra=READ_ONLY)
    llm_recall_url: str = Field(
        '', description='Endpoint of the recall variant if not llm_url (merged).',
        json_schema_extra=READ_ONLY)
    llm_adapter_dir: str = Field(
        '', description='The only folder adapters may be loaded from at run time (manage_adapter '
                        'service, and adapters adapter_mode wants); empty: runtime loading off.',
        json_schema_extra=READ_ONLY)
    llm_api_key_env: str = Field(
        'OPENAI_API_KEY', pattern=r'^[A-Za-z_][A-Za-z0-9_]{0,63}$',
        description='Name of the environment variable holding the API key (keys are never '
                    'parameters, so they are never shown by ros2 param).',
        json_schema_extra=READ_ONLY)
    llm_timeout_s: float = Field(
        30.0, gt=0.0, le=600.0, description='Timeout of one LLM request.',
        json_schema_extra=READ_ONLY)
    llm_retries: int = Field(
        1, ge=0, le=5, description='Retries of a failed LLM request (connection, 5xx, 429).',
        json_schema_extra=READ_ONLY)
    llm_probe_period_s: float = Field(
        10.0, ge=0.5, le=3600.0, description='How often the LLM servers are probed for models, '
                                             'adapters and health.', json_schema_extra=READ_ONLY)
    llm_reprobe_interval_s: float = Field(
        2.0, ge=0.0, le=3600.0,
        description='A request that needs a server marked down probes it first, at most once '
                    'per this many seconds (0: every such request), instead of falling back '
                    'until the next periodic probe.', json_schema_extra=READ_ONLY)
    llm_structured_output: bool = Field(
        True, description='Constrain replies to the JSON Schema (response_format); off for '
                          'servers without structured outputs.')
    llm_writing_max_tokens: int = Field(
        160, ge=16, le=4096, description='Token limit of one memory draft.')
    llm_recall_max_tokens: int = Field(
        200, ge=16, le=4096, description='Token limit of one recall answer.')
    llm_concurrency: int = Field(
        4, ge=1, le=64, description='Concurrent LLM writing requests (vLLM batches them).',
        json_schema_extra=READ_ONLY)

    @model_validator(mode='after')
    def _backend_needs(self) -> 'MemoryConfig':
        if self.memory_backend == 'openai' and not self.embedding_url:
            raise ValueError('memory_backend=openai needs embedding_url (an OpenAI-compatible '
                             '/v1/embeddings base URL)')
        if self.writer == 'llm' and not self.llm_url:
            raise ValueError('writer=llm needs llm_url (the base URL of the LLM server)')
        if self.recall_planner == 'llm' and not self.llm_url:
            raise ValueError('recall_planner=llm needs llm_url (the base URL of the LLM server); '
                             'use rules without one')
        for name in ('llm_url', 'llm_writing_url', 'llm_recall_url'):
            url = getattr(self, name)
            if url and not url.startswith(('http://', 'https://')):
                raise ValueError(f'{name} {url!r} must start with http:// or https://')
        if self.resolved_topology() == 'merged':
            for task, field in (('writing', 'llm_writing_model'), ('recall', 'llm_recall_model')):
                if self.adapter_mode in (task, 'all') and not getattr(self, field):
                    raise ValueError(f'llm_topology=merged with adapter_mode={self.adapter_mode} '
                                     f'needs {field} (the model id of the merged variant)')
        return self

    def resolved_topology(self) -> str:
        """Return the serving topology, with auto resolved from the backend."""
        if self.llm_topology != 'auto':
            return self.llm_topology
        return 'cloud' if self.memory_backend == 'openai' else 'dynamic_lora'

    @classmethod
    def parameter_names(cls) -> list[str]:
        """Return the parameter names in declaration order."""
        return list(cls.model_fields)

    @classmethod
    def is_read_only(cls, name: str) -> bool:
        """Tell whether a change of this setting needs a restart."""
        extra = cls.model_fields[name].json_schema_extra
        return isinstance(extra, dict) and bool(extra.get('read_only'))

    def resolved_store_path(self) -> str:
        """Return store_path with ~ and variables expanded."""
        return os.path.abspath(os.path.expandvars(os.path.expanduser(self.store_path)))
