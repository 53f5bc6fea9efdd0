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
The ROS 2 memory node: topics and services in, the memory service out.

Glue only: callbacks convert messages, hand them to the core (pose buffer, ingest pipeline, memory
service) and convert the results back. Sensor callbacks never wait on the store; service handlers
answer every failure with success=false and a message, so no request can take the node down.
"""

from collections import deque, OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
import json
import math
import sys
import threading
import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from pydantic import ValidationError
from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                SetParametersResult)
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.qos_overriding_options import QoSOverridingOptions
from rclpy.task import Future
from shadowhound_memory.config import MemoryConfig
from shadowhound_memory.embeddings.base import EmbeddingProvider
from shadowhound_memory.errors import (BackendUnavailableError, InvalidRequestError,
                                       MemoryPackageError)
from shadowhound_memory.llm.synthesis import Synthesis
from shadowhound_memory.memory.factory import (apply_config, apply_llm_config, build_llm,
                                               build_memory_service, pose_buffer_config)
from shadowhound_memory.memory.ingest import IngestPipeline
from shadowhound_memory.memory.schema import format_validation_error, MemoryRecord
from shadowhound_memory.memory.schema import ValidityCounter
from shadowhound_memory.memory.service import MemoryService
from shadowhound_memory.memory.writer import MissionContext, Observation
from shadowhound_memory.msg import MemoryRecord as MemoryRecordMsg
from shadowhound_memory.msg import Observation as ObservationMsg
from shadowhound_memory.msg import RecallTrace
from shadowhound_memory.pose.buffer import PoseBuffer
from shadowhound_memory.retrieval.answer import retrieval_only_answer
from shadowhound_memory.retrieval.retriever import RecallQuery
from shadowhound_memory.ros.conversions import (observation_from_msg, pose_from_msg,
                                                record_to_msg, time_to_seconds)
from shadowhound_memory.ros.pose_input import PoseInputSubscriber
from shadowhound_memory.ros.runner import run_node
from shadowhound_memory.srv import Forget, ManageAdapter, Recall, WriteMemory
from shadowhound_memory.store.base import MemoryStore
from std_msgs.msg import String
from visualization_msgs.msg import Marker, MarkerArray

OBSERVATION_HISTORY = 1000
DISABLED_MESSAGE = 'memory is disabled on this robot (memory_backend=skip); nothing is stored'


def _descriptor(name: str) -> ParameterDescriptor:
    """Build a parameter's descriptor from its MemoryConfig field, the one source of the rules."""
    field = MemoryConfig.model_fields[name]
    descriptor = ParameterDescriptor(name=name, description=field.description or '',
                                     read_only=MemoryConfig.is_read_only(name))
    low = high = None
    for rule in field.metadata:
        low = getattr(rule, 'ge', getattr(rule, 'gt', low))
        high = getattr(rule, 'le', getattr(rule, 'lt', high))
    if field.annotation is int and (low is not None or high is not None):
        descriptor.integer_range = [IntegerRange(
            from_value=int(low if low is not None else -2**63),
            to_value=int(high if high is not None else 2**63 - 1), step=0)]
    elif field.annotation is float and (low is not None or high is not None):
        descriptor.floating_point_range = [FloatingPointRange(
            from_value=float(low if low is not None else -1e308),
            to_value=float(high if high is not None else 1e308), step=0.0)]
    return descriptor


class LatencyWindow:
    """The last N latencies, for p50/p95 in diagnostics."""

    def __init__(self, size: int = 1000) -> None:
        self._values: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, value_ms: float) -> None:
        with self._lock:
            self._values.append(value_ms)

    def percentile(self, q: float) -> float:
        with self._lock:
            values = sorted(self._values)
        if not values:
            return 0.0
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)


class MemoryNode(Node):
    """Subscribes to observations and odometry, serves write_memory, recall and forget."""

    def __init__(self, *, embedder: EmbeddingProvider | None = None,
                 store: MemoryStore | None = None, node_name: str = 'memory_node',
                 **kwargs: Any) -> None:
        """
        Declare parameters and build the memory from them.

        ``embedder`` and ``store`` replace the ones the parameters would build, so tests and
        embedding hosts can share one loaded model between nodes.
        """
        super().__init__(node_name, **kwargs)
        self.config = self._declare_parameters()
        # Sensor callbacks only append to the pose buffer and the ingest queue: one exclusive
        # group keeps odometry in arrival order. Services may run concurrently with each other
        # and with ingest (the memory service locks its writes). Timers get their own group so
        # diagnostics keep flowing while a long recall runs.
        self._sensor_group = MutuallyExclusiveCallbackGroup()
        self._service_group = ReentrantCallbackGroup()
        self._timer_group = MutuallyExclusiveCallbackGroup()

        self.poses = PoseBuffer(pose_buffer_config(self.config))
        self.validity = ValidityCounter()
        self.recall_latency = LatencyWindow()
        self._recall_lock = threading.Lock()
        self.recalls = 0
        self.recall_failures = 0
        self._recent: OrderedDict[str, MemoryRecord] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._markers_dirty = True

        self.llm = None if self.config.memory_backend == 'skip' else build_llm(self.config)
        # LLM work of service requests runs here, not on executor threads: a request waiting
        # seconds for vLLM must not hold a thread that sensors and other requests need.
        self._llm_workers = ThreadPoolExecutor(max_workers=self.config.llm_concurrency,
                                               thread_name_prefix='llm-request')
        if self.config.memory_backend == 'skip':
            self.service: MemoryService | None = None
        else:
            self.service = build_memory_service(self.config, embedder=embedder, store=store,
                                                llm=self.llm)
        if self.llm is not None:
            self.llm.router.start()
        self.ingest = IngestPipeline(
            self._write_batch, self.poses, queue_size=self.config.ingest_queue_size,
            batch_size=self.config.ingest_batch_size, pose_wait_s=self.config.pose_wait_s,
            on_written=self._publish_written)
        if self.service is not None:
            self._seed_recent()
            self.ingest.start()

        reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        overrides = QoSOverridingOptions.with_default_policies()
        self.events_pub = self.create_publisher(MemoryRecordMsg, 'memory/events', reliable)
        self.trace_pub = self.create_publisher(RecallTrace, 'memory/recall_trace', reliable)
        self.markers_pub = self.create_publisher(MarkerArray, 'memory/markers', latched)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)

        # Observations are sparse but bursty (a detector reporting a whole scene), and a lost one
        # is a lost memory: best effort still matches every writer, and a deep history keeps a
        # burst for the ingest queue instead of DDS dropping it unseen (sensor QoS keeps 5).
        observations_qos = QoSProfile(depth=OBSERVATION_HISTORY,
                                      reliability=ReliabilityPolicy.BEST_EFFORT,
                                      durability=DurabilityPolicy.VOLATILE)
        self.create_subscription(
            ObservationMsg, 'observations', self._on_observation, observations_qos,
            callback_group=self._sensor_group, qos_overriding_options=overrides)
        self.create_subscription(
            String, 'observations_text', self._on_text_observation, observations_qos,
            callback_group=self._sensor_group, qos_overriding_options=overrides)
        self.pose_input = PoseInputSubscriber(self, self.poses, self.config.pose_input,
                                              self.config.map_frame, self._sensor_group)

        self.create_timer(self.config.diagnostics_period_s, self._publish_diagnostics,
                          callback_group=self._timer_group)
        self.create_timer(self.config.markers_period_s, self._publish_markers,
                          callback_group=self._timer_group)
        self.create_timer(self.config.retention_period_s, self._apply_retention,
                          callback_group=self._timer_group)
        self.add_on_set_parameters_callback(self._on_set_parameters)

        # Services last: once they answer, everything they need exists.
        # Coroutine handlers: rclpy runs them as tasks, but its stubs type only plain functions.
        self.create_service(WriteMemory, 'write_memory', self._handle_write,  # type: ignore[misc]
                            callback_group=self._service_group)
        self.create_service(Recall, 'recall', self._handle_recall,  # type: ignore[misc]
                            callback_group=self._service_group)
        self.create_service(Forget, 'forget', self._handle_forget,
                            callback_group=self._service_group)
        self.create_service(ManageAdapter, 'manage_adapter', self._handle_manage_adapter,
                            callback_group=self._service_group)
        self.get_logger().info(
            f'memory ready: backend={self.config.memory_backend} '
            f'store={self._store_description()} mission={self.config.mission_id}')

    # Parameters -------------------------------------------------------------------------------

    def _declare_parameters(self) -> MemoryConfig:
        defaults = MemoryConfig()
        for name in MemoryConfig.parameter_names():
            self.declare_parameter(name, getattr(defaults, name), _descriptor(name))
        values = {name: self.get_parameter(name).value
                  for name in MemoryConfig.parameter_names()}
        try:
            return MemoryConfig.model_validate(values)
        except ValidationError as exc:
            raise InvalidRequestError(
                'invalid parameters: ' + '; '.join(format_validation_error(exc))) from exc

    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        updates = {p.name: p.value for p in params if p.name in MemoryConfig.model_fields}
        if not updates:
            return SetParametersResult(successful=True)
        try:
            new = MemoryConfig.model_validate({**self.config.model_dump(), **updates})
        except ValidationError as exc:
            return SetParametersResult(
                successful=False, reason='; '.join(format_validation_error(exc)))
        # Humble has no post-set callbacks: the values are valid, so they are applied here.
        self._apply_config(new)
        return SetParametersResult(successful=True)

    def _apply_config(self, new: MemoryConfig) -> None:
        self.config = new
        self.poses.reconfigure(pose_buffer_config(new))
        self.ingest.batch_size = new.ingest_batch_size
        self.ingest.pose_wait_s = new.pose_wait_s
        if self.service is not None:
            apply_config(self.service, new)
        if self.llm is not None:
            apply_llm_config(self.llm, new)
        self._markers_dirty = True

    # Sensor callbacks -------------------------------------------------------------------------

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _mission_context(self) -> MissionContext:
        return MissionContext(mission_id=self.config.mission_id)

    def _on_observation(self, msg: ObservationMsg) -> None:
        self._submit(lambda: observation_from_msg(msg, self._now()))

    def _on_text_observation(self, msg: String) -> None:
        self._submit(lambda: Observation(text=msg.data, stamp=self._now(), source='text'))

    def _submit(self, convert: Callable[[], Observation]) -> None:
        if self.service is None:
            return
        try:
            observation = convert()
        except Exception as exc:  # noqa: B902 - an odd message must not stop the executor
            self.get_logger().warning(f'observation ignored: {exc!r}',
                                      throttle_duration_sec=5.0)
            return
        if not self.ingest.submit(observation, self._mission_context()):
            self.get_logger().warning(
                f'ingest queue full ({self.config.ingest_queue_size}): observation dropped, '
                f'{self.ingest.dropped} so far', throttle_duration_sec=2.0)

    def _write_batch(self, items: Sequence[Any]) -> Sequence[Any]:
        assert self.service is not None
        return self.service.write_observations(items)

    def _publish_written(self, outcomes: Sequence[Any]) -> None:
        # At shutdown (SIGINT ends the context first) the queue is still written to the store,
        # but nobody can be told: publishing would only raise.
        publish = self.context.ok()
        for outcome in outcomes:
            if getattr(outcome, 'error', None):
                self.get_logger().warning(f'observation not stored: {outcome.error}',
                                          throttle_duration_sec=2.0)
                continue
            self._remember(outcome.record)
            if publish:
                self.events_pub.publish(record_to_msg(outcome.record))

    def _remember(self, record: MemoryRecord) -> None:
        with self._recent_lock:
            self._recent[record.id] = record
            self._recent.move_to_end(record.id)
            while len(self._recent) > self.config.markers_max:
                self._recent.popitem(last=False)
            self._markers_dirty = True

    def _seed_recent(self) -> None:
        assert self.service is not None
        try:
            records = self.service.recent(self.config.mission_id, self.config.markers_max)
        except BackendUnavailableError as exc:
            # A server that is away must not stop the node (writes wait in the outbox) nor fail
            # a forget that was queued: the markers start from what is written from now on.
            self.get_logger().warning(f'markers start empty: {exc}')
            return
        for record in records:
            self._remember(record)

    # Services ---------------------------------------------------------------------------------

    def _answer(self, service: str, response: Any, work: Callable[[], None],
                needs_memory: bool = True) -> None:
        """Run a handler's work; every failure becomes success=false with a message."""
        try:
            if self.service is None and needs_memory:
                raise InvalidRequestError(DISABLED_MESSAGE)
            work()
            response.success = True
        except MemoryPackageError as exc:
            response.success = False
            response.message = str(exc)
        except Exception as exc:  # noqa: B902 - the service boundary: answer, never crash
            self.get_logger().error(f'{service} failed: {exc!r}')
            response.success = False
            response.message = f'internal error in {service}: {exc}'

    def _offload(self, work: Callable[[], None]) -> Future:
        """
        Run ``work`` on an LLM worker; return a future the calling coroutine awaits.

        The executor thread is free while the coroutine waits; the done callback makes the
        executor wake up and resume it when the work ends.
        """
        future: Future = Future(executor=self.executor)
        future.add_done_callback(lambda _: None)

        def run() -> None:
            try:
                work()
            except Exception as exc:  # noqa: B902 - handed to the awaiting handler
                future.set_exception(exc)
                return
            future.set_result(None)
        self._llm_workers.submit(run)
        return future

    async def _handle_write(self, request: WriteMemory.Request,
                            response: WriteMemory.Response) -> WriteMemory.Response:
        def work() -> None:
            assert self.service is not None
            if request.record_json.strip():
                record = self.validity.check(request.record_json)
                outcome = self.service.write_record(record)
            else:
                stamp = time_to_seconds(request.stamp) or self._now()
                pose = (pose_from_msg(request.pose, self.config.map_frame) if request.pose.known
                        else self.poses.lookup(stamp))
                outcome = self.service.write_text(
                    text=request.text, mission_id=request.mission_id or self.config.mission_id,
                    stamp=stamp, pose=pose, tags=list(request.tags),
                    event=request.event or None, source=request.source or 'agent')
            if outcome.error or outcome.record is None:
                raise InvalidRequestError(outcome.error or 'nothing was written')
            self._remember(outcome.record)
            response.record = record_to_msg(outcome.record)
            response.merged = outcome.merged_into is not None
            response.message = (f'merged into {outcome.merged_into} (seen '
                                f'{outcome.record.seen_count} times)' if response.merged
                                else f'stored {outcome.record.id}')
            if outcome.note:
                response.message += f' ({outcome.note})'
            self.events_pub.publish(response.record)
        if self.config.writer == 'llm' and self.llm is not None and \
                not request.record_json.strip():
            await self._offload(lambda: self._answer('write_memory', response, work))
        else:
            self._answer('write_memory', response, work)
        return response

    def _recall_query(self, request: Recall.Request, now: float) -> RecallQuery:
        time_from = time_to_seconds(request.time_from) or None
        time_to = time_to_seconds(request.time_to) or None
        if request.within_last_s < 0 or not math.isfinite(request.within_last_s):
            raise InvalidRequestError('within_last_s must be a finite number >= 0 '
                                      f'(got {request.within_last_s})')
        if request.within_last_s > 0:
            since = now - request.within_last_s
            time_from = since if time_from is None else max(time_from, since)
        try:
            return RecallQuery(
                question=request.question,
                mission_id=None if request.all_missions
                else (request.mission_id or self.config.mission_id),
                all_missions=request.all_missions,
                tags_any=list(request.tags_any), tags_all=list(request.tags_all),
                time_from=time_from, time_to=time_to,
                near=(request.x, request.y, request.radius) if request.use_place else None,
                k=request.k or self.config.recall_k,
                min_score=request.min_score or self.config.recall_min_score)
        except ValidationError as exc:
            raise InvalidRequestError(
                'invalid recall request: ' + '; '.join(format_validation_error(exc))) from exc

    async def _handle_recall(self, request: Recall.Request,
                             response: Recall.Response) -> Recall.Response:
        start = time.perf_counter()
        trace = RecallTrace(question=request.question[:1000], route='none')
        trace.stamp = self.get_clock().now().to_msg()

        def work() -> None:
            assert self.service is not None
            now = self._now()
            query = self._recall_query(request, now)
            trace.mission_id = query.mission_id or '*'
            trace.filters = _describe_filters(query)
            result = self.service.recall(query, now)
            response.memories = [record_to_msg(h.record, h.score) for h in result.hits]
            response.context_tokens = result.context.tokens_used
            response.message = f'{len(result.hits)} memories found'
            if request.synthesize and self.llm is not None:
                synthesis: Synthesis = self.llm.synthesizer.answer(
                    request.question, result.hits, now)
                response.answer, response.cited_ids = synthesis.answer, synthesis.cited_ids
                response.context_tokens = synthesis.context_tokens or response.context_tokens
                trace.route = synthesis.route
                if synthesis.note:
                    response.message += f'; {synthesis.note}'
                return
            response.answer, cited = retrieval_only_answer(result.hits, now)
            response.cited_ids = cited
            if request.synthesize:
                response.message += ('; synthesis needs the LLM recall route, which is not '
                                     'configured (llm_url): retrieval-only answer')
        if request.synthesize and self.llm is not None:
            await self._offload(lambda: self._answer('recall', response, work))
        else:
            self._answer('recall', response, work)
        response.latency_ms = (time.perf_counter() - start) * 1000.0
        with self._recall_lock:
            self.recalls += 1
            self.recall_failures += 0 if response.success else 1
        if response.success:
            self.recall_latency.add(response.latency_ms)
        trace.retrieved_ids = [m.id for m in response.memories]
        trace.scores = [float(m.score) for m in response.memories]
        trace.answer = response.answer
        trace.cited_ids = list(response.cited_ids)
        trace.context_tokens = response.context_tokens
        trace.latency_ms = response.latency_ms
        trace.success = response.success
        trace.message = response.message
        self.trace_pub.publish(trace)
        return response

    def _handle_forget(self, request: Forget.Request,
                       response: Forget.Response) -> Forget.Response:
        def work() -> None:
            assert self.service is not None
            response.deleted = self.service.forget(
                ids=list(request.ids), mission_id=request.mission_id or None,
                time_from=time_to_seconds(request.time_from) or None,
                time_to=time_to_seconds(request.time_to) or None)
            response.message = f'deleted {response.deleted} memories'
            with self._recent_lock:
                self._recent.clear()
            self._seed_recent()
        self._answer('forget', response, work)
        return response

    def _handle_manage_adapter(self, request: ManageAdapter.Request,
                               response: ManageAdapter.Response) -> ManageAdapter.Response:
        def work() -> None:
            if self.llm is None:
                raise InvalidRequestError('no LLM server is configured (llm_url is empty)')
            router = self.llm.router
            action = request.action.strip().lower()
            if action == 'load':
                folder = router.load_adapter(request.name, request.path)
                response.message = f'loaded {request.name} from {folder}'
            elif action == 'unload':
                router.unload_adapter(request.name)
                response.message = f'unloaded {request.name}'
            elif action == 'list':
                router.refresh()
                response.message = 'listed'
            else:
                raise InvalidRequestError(f'action {request.action!r} must be load, unload or '
                                          'list')
            info = router.server_info().get(router.settings.url)
            if info is not None:
                response.base_models = list(info.base_models)
                response.adapters = sorted(info.adapters)
        # Runs on an executor thread: load/unload are short server calls with their timeout,
        # and an operator action, not a stream.
        self._answer('manage_adapter', response, work, needs_memory=False)
        return response

    # Timers -----------------------------------------------------------------------------------

    def _apply_retention(self) -> None:
        if self.service is None:
            return
        try:
            purged = self.service.apply_retention(self._now())
        except Exception as exc:  # noqa: B902 - retention must never stop the executor
            self.get_logger().warning(f'retention failed: {exc}')
            return
        if purged:
            self.get_logger().info(f'retention purged {purged} memories')

    def _store_description(self) -> str:
        return self.config.store_url or self.config.resolved_store_path()

    def diagnostics_status(self) -> DiagnosticStatus:
        """Return the node's health as one diagnostic status (also used by tests)."""
        status = DiagnosticStatus(name=f'{self.get_name()}: memory',
                                  hardware_id=self._store_description())
        values: dict[str, Any] = {
            'memory_backend': self.config.memory_backend,
            'adapter_mode': self.config.adapter_mode,
            'writer': self.config.writer,
            'mission_id': self.config.mission_id,
        }
        if self.llm is None:
            values['llm'] = 'not configured (llm_url is empty)'
        else:
            values.update(self.llm.router.status())
            values['llm_writing'] = json.dumps(self.llm.writer.stats.snapshot())
            values['llm_recall'] = json.dumps(self.llm.synthesizer.snapshot())
        level = ord(DiagnosticStatus.OK)
        messages = []
        if self.service is None:
            level = ord(DiagnosticStatus.WARN)
            messages.append('memory disabled')
        else:
            try:
                values.update({f'store_{k}': v for k, v in self.service.health().items()})
                values['store_size'] = self.service.count()
            except MemoryPackageError as exc:
                level = ord(DiagnosticStatus.ERROR)
                messages.append(f'store: {exc}')
        ingest = self.ingest.stats()
        values.update({f'ingest_{k}': v for k, v in ingest.items()})
        if ingest['dropped']:
            level = max(level, ord(DiagnosticStatus.WARN))
            messages.append(f"{ingest['dropped']:.0f} observations dropped")
        values['json_validity_rate'] = round(self.validity.validity_rate, 4)
        values['json_validity'] = json.dumps(self.validity.snapshot())
        values['recall_count'] = self.recalls
        values['recall_failures'] = self.recall_failures
        values['recall_p50_ms'] = round(self.recall_latency.percentile(0.5), 2)
        values['recall_p95_ms'] = round(self.recall_latency.percentile(0.95), 2)
        staleness = self.poses.staleness(self._now())
        values['odom_staleness_s'] = 'no odometry' if staleness is None else round(staleness, 3)
        values['pose_input'] = f'{self.pose_input.kind} on {self.pose_input.topic}'
        values['odom_rejected'] = self.pose_input.rejected
        values['pose_jumps'] = self.poses.jumps
        values['last_pose_input_problem'] = self.pose_input.last_problem or 'none'
        values['last_pose_problem'] = self.ingest.last_pose_problem or 'none'
        status.level = bytes([level])
        status.message = '; '.join(messages) or 'ok'
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        return status

    def _publish_diagnostics(self) -> None:
        try:
            array = DiagnosticArray(status=[self.diagnostics_status()])
        except Exception as exc:  # noqa: B902 - diagnostics must never stop the executor
            self.get_logger().error(f'diagnostics failed: {exc!r}', throttle_duration_sec=10.0)
            return
        array.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_pub.publish(array)

    def _publish_markers(self) -> None:
        if not self._markers_dirty:
            return
        try:
            self.markers_pub.publish(self._markers())
        except Exception as exc:  # noqa: B902 - markers must never stop the executor
            self.get_logger().error(f'markers failed: {exc!r}', throttle_duration_sec=10.0)

    def _markers(self) -> MarkerArray:
        with self._recent_lock:
            records = list(self._recent.values())
            self._markers_dirty = False
        stamp = self.get_clock().now().to_msg()
        markers = [Marker(action=Marker.DELETEALL)]
        for index, record in enumerate(r for r in records if r.pose is not None):
            assert record.pose is not None
            for kind in ('point', 'label'):
                marker = Marker(ns=f'memories/{kind}', id=index, action=Marker.ADD)
                marker.header.frame_id = self.config.map_frame
                marker.header.stamp = stamp
                marker.pose.position.x = record.pose.x
                marker.pose.position.y = record.pose.y
                marker.pose.orientation.w = 1.0
                if kind == 'point':
                    marker.type = Marker.SPHERE
                    marker.scale.x = marker.scale.y = marker.scale.z = 0.25
                    marker.color.r, marker.color.g, marker.color.b = 0.1, 0.6, 1.0
                else:
                    marker.type = Marker.TEXT_VIEW_FACING
                    marker.pose.position.z = 0.4
                    marker.scale.z = 0.2
                    marker.color.r = marker.color.g = marker.color.b = 1.0
                    marker.text = record.text[:40]
                marker.color.a = 1.0
                markers.append(marker)
        return MarkerArray(markers=markers)

    def destroy_node(self) -> None:
        """Write what is queued, then close the store (also for a node whose start failed)."""
        ingest = getattr(self, 'ingest', None)
        if ingest is not None:
            ingest.stop()
        service = getattr(self, 'service', None)
        if service is not None:
            service.close()
        llm = getattr(self, 'llm', None)
        if llm is not None:
            llm.close()
        workers = getattr(self, '_llm_workers', None)
        if workers is not None:
            workers.shutdown(wait=False, cancel_futures=True)
        super().destroy_node()


def _describe_filters(query: RecallQuery) -> str:
    parts = []
    for name in ('tags_any', 'tags_all'):
        if getattr(query, name):
            parts.append(f'{name}={getattr(query, name)}')
    if query.time_from is not None or query.time_to is not None:
        parts.append(f'time=[{query.time_from}, {query.time_to}]')
    if query.near is not None:
        parts.append(f'near={query.near}')
    parts.append(f'k={query.k} min_score={query.min_score}')
    return ' '.join(parts)


# The embedding forward pass re-takes the GIL for every module call; with the executor threads
# busy on 30-150 Hz odometry, each re-take waited up to the default 5 ms switch interval, so one
# 15 ms embedding took seconds and odometry callbacks stalled behind it (measured: 711 of 3687
# odometry messages handled at 150 Hz). At 0.1-0.2 ms every message was handled and embeddings kept
# their 15-35 ms.
GIL_SWITCH_INTERVAL_S = 0.0001


def main(args: list[str] | None = None) -> int:
    """Run the memory node until shutdown; return the process exit code."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    return run_node(MemoryNode, 'memory_node', num_threads=4, args=args)


if __name__ == '__main__':
    raise SystemExit(main())
