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

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
import json
import sys
import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.qos_overriding_options import QoSOverridingOptions
from shadowhound_memory.compose.config import MemoryConfig
from shadowhound_memory.compose.factory import (apply_config, apply_llm_config, build_llm,
                                                build_memory_service, pose_buffer_config)
from shadowhound_memory.domain.errors import BackendUnavailableError, InvalidRequestError
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.domain.records import ValidityCounter
from shadowhound_memory.embeddings.base import EmbeddingProvider
from shadowhound_memory.llm.routing import manage_adapter
from shadowhound_memory.memory.admission import Admission
from shadowhound_memory.memory.ingest import IngestPipeline, SequenceGaps
from shadowhound_memory.memory.requests import RequestLedger
from shadowhound_memory.memory.service import MemoryService, WriteOutcome
from shadowhound_memory.msg import MemoryRecord as MemoryRecordMsg
from shadowhound_memory.msg import Observation as ObservationMsg
from shadowhound_memory.msg import RecallTrace
from shadowhound_memory.pose.buffer import PoseBuffer
from shadowhound_memory.ros.conversions import (describe_filters, observation_from_msg,
                                                pose_from_msg, recall_query_from_request,
                                                record_to_msg, time_to_seconds)
from shadowhound_memory.ros.diagnostics import memory_status, NodeHealth, RecallStats
from shadowhound_memory.ros.handlers import answer, offload
from shadowhound_memory.ros.markers import memory_markers, RecentMemories
from shadowhound_memory.ros.parameters import declare_parameters, updated_config
from shadowhound_memory.ros.pose_input import PoseInputSubscriber
from shadowhound_memory.ros.runner import run_node
from shadowhound_memory.srv import Forget, Locate, ManageAdapter, Recall, WriteMemory
from shadowhound_memory.store.base import MemoryStore
from std_msgs.msg import String
from visualization_msgs.msg import MarkerArray

OBSERVATION_HISTORY = 1000
# Part of launch's 5 s between SIGINT and SIGTERM that the queued observations may take.
SHUTDOWN_DRAIN_S = 2.0
DISABLED_MESSAGE = 'memory is disabled on this robot (memory_backend=skip); nothing is stored'


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
        self.config = declare_parameters(self)
        # Sensor callbacks only append to the pose buffer and the ingest queue: one exclusive
        # group keeps odometry in arrival order. Services may run concurrently with each other
        # and with ingest (the memory service locks its writes). Timers get their own group so
        # diagnostics keep flowing while a long recall runs.
        self._sensor_group = MutuallyExclusiveCallbackGroup()
        self._service_group = ReentrantCallbackGroup()
        self._timer_group = MutuallyExclusiveCallbackGroup()

        self.poses = PoseBuffer(pose_buffer_config(self.config))
        self.validity = ValidityCounter()
        self.recalls = RecallStats()
        self.recent = RecentMemories(self.config.markers_max)
        # Observations DDS lost before this node saw them: as the middleware reports them, and
        # from the gaps in the senders' sequence numbers where it does not.
        self._lost_by_dds = 0
        self._gaps = SequenceGaps()
        self._requests: RequestLedger[WriteOutcome] = RequestLedger()

        self.llm = None if self.config.memory_backend == 'skip' else build_llm(self.config)
        # LLM work of service requests runs here, not on executor threads: a request waiting
        # seconds for vLLM must not hold a thread that sensors and other requests need.
        self._llm_workers = ThreadPoolExecutor(max_workers=self.config.llm_concurrency,
                                               thread_name_prefix='llm-request')
        # write_memory and recall are carried out here, so the executor threads only take
        # requests off the wire and answer: a burst is admitted up to service_queue_size and
        # the rest refused at once with a reason, instead of waiting unseen in DDS queues.
        self._request_workers = ThreadPoolExecutor(max_workers=self.config.service_workers,
                                                   thread_name_prefix='memory-request')
        self._admission = Admission(self.config.service_queue_size)
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
            callback_group=self._sensor_group, qos_overriding_options=overrides,
            event_callbacks=SubscriptionEventCallbacks(message_lost=self._on_lost))
        self.create_subscription(
            String, 'observations_text', self._on_text_observation, observations_qos,
            callback_group=self._sensor_group, qos_overriding_options=overrides,
            event_callbacks=SubscriptionEventCallbacks(message_lost=self._on_lost))
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
        # KEEP_ALL: the default history of 10 let a burst overwrite requests before they were
        # taken, unanswered and unseen; admission now bounds what waits.
        services_qos = QoSProfile(history=HistoryPolicy.KEEP_ALL,
                                  reliability=ReliabilityPolicy.RELIABLE,
                                  durability=DurabilityPolicy.VOLATILE)
        # Coroutine handlers: rclpy runs them as tasks, but its stubs type only plain functions.
        self.create_service(WriteMemory, 'write_memory', self._handle_write,  # type: ignore[misc]
                            qos_profile=services_qos, callback_group=self._service_group)
        self.create_service(Recall, 'recall', self._handle_recall,  # type: ignore[misc]
                            qos_profile=services_qos, callback_group=self._service_group)
        self.create_service(Forget, 'forget', self._handle_forget, qos_profile=services_qos,
                            callback_group=self._service_group)
        self.create_service(Locate, 'locate', self._handle_locate, qos_profile=services_qos,
                            callback_group=self._service_group)
        self.create_service(ManageAdapter, 'manage_adapter', self._handle_manage_adapter,
                            qos_profile=services_qos, callback_group=self._service_group)
        self.get_logger().info(
            f'memory ready: backend={self.config.memory_backend} '
            f'store={self._store_description()} mission={self.config.mission_id}')

    # Parameters -------------------------------------------------------------------------------

    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        try:
            new = updated_config(self.config, params)
        except InvalidRequestError as exc:
            return SetParametersResult(successful=False, reason=str(exc))
        # Humble has no post-set callbacks: the values are valid, so they are applied here.
        if new is not None:
            self._apply_config(new)
        return SetParametersResult(successful=True)

    def _apply_config(self, new: MemoryConfig) -> None:
        self.config = new
        self.poses.reconfigure(pose_buffer_config(new))
        self.ingest.batch_size = new.ingest_batch_size
        self.ingest.pose_wait_s = new.pose_wait_s
        if self.service is not None:
            apply_config(self.service, new, self.llm)
        if self.llm is not None:
            apply_llm_config(self.llm, new)
        self.recent.limit = new.markers_max
        self.recent.dirty = True

    # Sensor callbacks -------------------------------------------------------------------------

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _mission_context(self) -> MissionContext:
        return MissionContext(mission_id=self.config.mission_id)

    def _on_lost(self, info: Any) -> None:
        self._lost_by_dds += info.total_count_change
        self.get_logger().warning(f'{info.total_count_change} observations lost before this '
                                  f'node saw them ({self._lost_by_dds} so far)',
                                  throttle_duration_sec=2.0)

    def _on_observation(self, msg: ObservationMsg) -> None:
        self._gaps.see(msg.source, msg.seq)
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
                f'observation not stored: {self.ingest.last_refusal} (dropped '
                f'{self.ingest.dropped}, refused {sum(self.ingest.refused.values())} so far)',
                throttle_duration_sec=2.0)

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
            self.recent.add(outcome.record)
            if publish:
                self.events_pub.publish(record_to_msg(outcome.record))

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
            self.recent.add(record)

    # Services ---------------------------------------------------------------------------------

    def _answer(self, service: str, response: Any, work: Callable[[], None],
                needs_memory: bool = True) -> None:
        def guarded() -> None:
            if self.service is None and needs_memory:
                raise InvalidRequestError(DISABLED_MESSAGE)
            work()
        answer(self.get_logger(), service, response, guarded)

    async def _admitted(self, service: str, response: Any, work: Callable[[], None],
                        workers: ThreadPoolExecutor) -> None:
        """Carry out a request on ``workers`` if admitted; else answer busy at once."""
        refusal = self._admission.try_enter()
        if refusal is not None:
            response.success = False
            response.message = refusal
            self.get_logger().warning(f'{service} refused: {refusal}', throttle_duration_sec=2.0)
            return
        try:
            # The work runs on its own workers, so a request holds no executor thread.
            await offload(self.executor, workers,
                          lambda: self._answer(service, response, work))
        finally:
            self._admission.leave()

    async def _handle_write(self, request: WriteMemory.Request,
                            response: WriteMemory.Response) -> WriteMemory.Response:
        def write() -> WriteOutcome:
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
            return outcome

        def work() -> None:
            outcome, replayed = self._requests.run(request.request_id, write)
            assert outcome.record is not None
            if replayed:
                response.record = record_to_msg(outcome.record)
                response.merged = outcome.merged_into is not None
                response.message = (f'already done for request_id {request.request_id}: '
                                    f'{outcome.record.id}; not stored again')
                return
            self.recent.add(outcome.record)
            response.record = record_to_msg(outcome.record)
            response.merged = outcome.merged_into is not None
            response.message = (f'merged into {outcome.merged_into} (seen '
                                f'{outcome.record.seen_count} times)' if response.merged
                                else f'stored {outcome.record.id}')
            if outcome.note:
                response.message += f' ({outcome.note})'
            self.events_pub.publish(response.record)
        by_llm = self.config.writer == 'llm' and self.llm is not None and \
            not request.record_json.strip()
        await self._admitted('write_memory', response, work,
                             self._llm_workers if by_llm else self._request_workers)
        return response

    async def _handle_recall(self, request: Recall.Request,
                             response: Recall.Response) -> Recall.Response:
        start = time.perf_counter()
        trace = RecallTrace(question=request.question[:1000], route='none')
        trace.stamp = self.get_clock().now().to_msg()

        def work() -> None:
            assert self.service is not None
            now = self._now()
            query = recall_query_from_request(request, now, self.config.mission_id,
                                              self.config.recall_k,
                                              self.config.recall_min_score)
            trace.mission_id = query.mission_id or '*'
            trace.filters = describe_filters(query)
            pose = self.poses.lookup(now)
            answer = self.service.answer(query, now, synthesize=request.synthesize,
                                         robot_pose=(pose.x, pose.y) if pose.known else None)
            if answer.plan is not None:
                response.plan_json = trace.plan_json = answer.plan.model_dump_json()
            if answer.tracks:
                response.tracks_json = json.dumps([t.to_dict() for t in answer.tracks])
            response.memories = [record_to_msg(h.record, h.score) for h in answer.hits]
            response.answer, response.cited_ids = answer.answer, answer.cited_ids
            response.context_tokens = answer.context_tokens
            response.message = answer.message()
            trace.route = answer.route
        # Synthesis and LLM planning wait on the model: on the LLM workers.
        by_llm = self.service is not None and (
            (request.synthesize and self.service.can_synthesize)
            or (self.llm is not None and self.config.recall_planner == 'llm'))
        await self._admitted('recall', response, work,
                             self._llm_workers if by_llm else self._request_workers)
        response.latency_ms = (time.perf_counter() - start) * 1000.0
        self.recalls.add(response.success, response.latency_ms)
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
            window = bool(request.time_from.sec or request.time_from.nanosec
                          or request.time_to.sec or request.time_to.nanosec)
            # One default with Recall: a window without a mission stays in the current one;
            # crossing missions takes all_missions. Ids name their memories exactly.
            mission = request.mission_id or None
            if request.all_missions:
                if mission is not None:
                    raise InvalidRequestError('give either mission_id or all_missions, not both')
            elif mission is None and window and not request.ids:
                mission = self.config.mission_id
            response.deleted = self.service.forget(
                ids=list(request.ids), mission_id=mission,
                time_from=time_to_seconds(request.time_from) or None,
                time_to=time_to_seconds(request.time_to) or None)
            response.message = (f'deleted {response.deleted} memories'
                                + (f' of mission {mission}' if mission else ''))
            self.recent.clear()
            self._seed_recent()
        self._answer('forget', response, work)
        return response

    def _handle_locate(self, request: Locate.Request,
                       response: Locate.Response) -> Locate.Response:
        def work() -> None:
            assert self.service is not None
            mission = None if request.all_missions else (request.mission_id
                                                         or self.config.mission_id)
            tag, track = self.service.locate(request.name, mission, request.history or 10)
            response.tag = tag or ''
            if track is None:
                response.message = (f'never seen: no memory carries {tag}' if tag else
                                    f'no object or person tag in the store matches '
                                    f'{request.name[:60]!r}')
                return
            by_id = {r.id: r for r in self.service.store.get(
                [track.first.memory_id] + [s.memory_id for s in track.history])}
            response.found = True
            response.last = record_to_msg(by_id[track.last.memory_id])
            response.first = record_to_msg(by_id[track.first.memory_id])
            response.seen_count = track.seen_count
            response.memories = track.memories
            response.rooms = list(track.rooms)
            response.history = [record_to_msg(by_id[s.memory_id]) for s in track.history
                                if s.memory_id in by_id]
            where = (f'({track.last.x:.1f}, {track.last.y:.1f})' if track.last.x is not None
                     else 'an unknown place')
            response.message = (f'{tag} last seen at {where}'
                                + (f' in {track.last.rooms[0]}' if track.last.rooms else '')
                                + f'; seen {track.seen_count} times')
        self._answer('locate', response, work)
        return response

    def _handle_manage_adapter(self, request: ManageAdapter.Request,
                               response: ManageAdapter.Response) -> ManageAdapter.Response:
        def work() -> None:
            if self.llm is None:
                raise InvalidRequestError('no LLM server is configured (llm_url is empty)')
            router = self.llm.router
            response.message = manage_adapter(router, request.action, request.name,
                                              request.path)
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
        health = NodeHealth(ingest=self.ingest.stats(),
                            last_pose_problem=self.ingest.last_pose_problem,
                            odom_staleness_s=self.poses.staleness(self._now()),
                            pose_input=f'{self.pose_input.kind} on {self.pose_input.topic}',
                            odom_rejected=self.pose_input.rejected, pose_jumps=self.poses.jumps,
                            last_pose_input_problem=self.pose_input.last_problem,
                            refused_reasons=self.ingest.refused_reasons(),
                            lost_dds_event=self._lost_by_dds, lost_seq_gaps=self._gaps.lost,
                            write_replayed=self._requests.replayed,
                            service_pending=self._admission.pending,
                            service_busy_refusals=self._admission.refused)
        # The full name: two robots' memory nodes differ by namespace, not only by their store.
        return memory_status(f'{self.get_fully_qualified_name()}: memory',
                             self._store_description(), self.config, self.service, self.llm,
                             self.validity, self.recalls, health)

    def _publish_diagnostics(self) -> None:
        try:
            array = DiagnosticArray(status=[self.diagnostics_status()])
        except Exception as exc:  # noqa: B902 - diagnostics must never stop the executor
            self.get_logger().error(f'diagnostics failed: {exc!r}', throttle_duration_sec=10.0)
            return
        array.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_pub.publish(array)

    def _publish_markers(self) -> None:
        if not self.recent.dirty:
            return
        try:
            self.markers_pub.publish(memory_markers(
                self.recent.take(), self.config.map_frame, self.get_clock().now().to_msg()))
        except Exception as exc:  # noqa: B902 - markers must never stop the executor
            self.get_logger().error(f'markers failed: {exc!r}', throttle_duration_sec=10.0)

    def destroy_node(self) -> None:
        """Write what is queued, then close the store (also for a node whose start failed)."""
        # Requests not yet started are dropped (their clients time out and may retry with the
        # same request_id); one being carried out finishes before the store closes.
        for name in ('_llm_workers', '_request_workers'):
            workers = getattr(self, name, None)
            if workers is not None:
                workers.shutdown(wait=False, cancel_futures=True)
        ingest = getattr(self, 'ingest', None)
        left = 0
        if ingest is not None:
            left = ingest.stop(drain_timeout=SHUTDOWN_DRAIN_S)
        service = getattr(self, 'service', None)
        if service is not None:
            service.close()
            self.get_logger().info(
                f'memory stopped: {ingest.written if ingest else 0} observations written, '
                f'{left} still queued could not be written within {SHUTDOWN_DRAIN_S} s; '
                'store closed')
        llm = getattr(self, 'llm', None)
        if llm is not None:
            llm.close()
        super().destroy_node()


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
