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
The agent's client of the memory node: typed results, asynchronous first.

An agent lives in callbacks (a question arrives, a plan step ends), and a callback that blocks on
a service answer can deadlock the executor that must deliver that answer. So every request is
asynchronous: ``*_async`` returns an rclpy ``Future`` (add a done callback, or ``await`` it in an
``async def`` callback) and never blocks. Waiting for the service and waiting for the answer
share one deadline, enforced by a timer of the client, so a missing node becomes
``MemoryUnavailableError`` instead of a future that never completes.

The blocking ``write``/``recall``/``forget`` are for scripts and agent loops that run in their own
thread while an executor spins the node in another. Called from a callback of the node's own
executor they refuse with ``InvalidRequestError`` instead of deadlocking.

Writes go to the write_memory service (the node's writing route) and questions to recall (its
recall route), so the node picks the right model adapter for each.
"""

from collections.abc import Callable, Mapping, Sequence
import functools
import json
import math
import re
import sys
import threading
import time
from types import FrameType
from typing import Any, cast, TypeVar
import uuid

from builtin_interfaces.msg import Time
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.client import Client
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.task import Future, Task
from shadowhound_memory.agent.results import (Located, Memory, MemoryRequestError,
                                              MemoryUnavailableError, RecallAnswer, WriteResult)
from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.records import MemoryRecord, MISSION_PATTERN
from shadowhound_memory.msg import MemoryPose
from shadowhound_memory.ros.conversions import seconds_to_time, time_to_seconds
from shadowhound_memory.srv import Forget, Locate, Recall, WriteMemory

T = TypeVar('T')

# How often the client checks for a service coming up and for requests past their deadline; the
# timer runs only while requests are pending.
POLL_PERIOD_S = 0.05
# A blocking call waits this much longer than the request's deadline, which the client's timer
# enforces, before it concludes that no executor is spinning the node.
BLOCKING_GRACE_S = 2.0

_MISSION_RE = re.compile(MISSION_PATTERN)


def memory_from_msg(msg: Any) -> Memory:
    """Return the agent's view of a shadowhound_memory/MemoryRecord message."""
    return Memory(id=msg.id, event=msg.event, text=msg.text, x=msg.pose.x, y=msg.pose.y,
                  yaw=msg.pose.yaw, pose_known=bool(msg.pose.known), tags=tuple(msg.tags),
                  mission_id=msg.mission_id, timestamp=time_to_seconds(msg.timestamp),
                  last_seen=time_to_seconds(msg.last_seen), seen_count=int(msg.seen_count),
                  source=msg.source, confidence=float(msg.confidence), score=float(msg.score))


def _write_result(response: Any) -> WriteResult:
    return WriteResult(memory=memory_from_msg(response.record), merged=bool(response.merged),
                       message=response.message)


def _json_or(text: str, default: Any) -> Any:
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default


def _recall_answer(response: Any) -> RecallAnswer:
    return RecallAnswer(memories=tuple(memory_from_msg(m) for m in response.memories),
                        answer=response.answer, cited_ids=tuple(response.cited_ids),
                        context_tokens=int(response.context_tokens),
                        latency_ms=float(response.latency_ms), message=response.message,
                        plan=_json_or(response.plan_json, None),
                        tracks=tuple(_json_or(response.tracks_json, [])))


def _located(response: Any) -> Located:
    if not response.found:
        return Located(tag=response.tag, found=False, message=response.message)
    return Located(tag=response.tag, found=True, message=response.message,
                   last=memory_from_msg(response.last), first=memory_from_msg(response.first),
                   seen_count=int(response.seen_count), memories=int(response.memories),
                   rooms=tuple(response.rooms),
                   history=tuple(memory_from_msg(m) for m in response.history))


def _deleted(response: Any) -> int:
    return int(response.deleted)


def _numbers(value: Sequence[float], sizes: tuple[int, ...], name: str) -> list[float]:
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError):
        numbers = []
    if len(numbers) not in sizes or not all(math.isfinite(v) for v in numbers):
        raise InvalidRequestError(f'{name} must be {" or ".join(map(str, sizes))} finite '
                                  f'numbers (got {value!r})')
    return numbers


def _stamp(seconds: float, name: str) -> Time:
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidRequestError(f'{name} must be seconds since the Unix epoch, > 0 '
                                  f'(got {seconds})')
    return seconds_to_time(seconds)


def _strings(values: Sequence[str], name: str) -> list[str]:
    # A lone string is a sequence too: 'object:ball' would become eleven one-letter tags.
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise InvalidRequestError(f'{name} must be a list of strings (got {values!r})')
    return list(values)


class _Call:
    """One request: waiting for the service, then for the answer, until one deadline."""

    def __init__(self, client: 'Client[Any, Any]', request: Any, convert: Callable[[Any], Any],
                 deadline: float, result: 'Future[Any]') -> None:
        self.client = client
        self.request = request
        self.convert = convert
        self.deadline = deadline
        self.result = result
        self.sent: Future[Any] | None = None
        self.claimed = False


class MemoryClient:
    """
    Talks to a memory node's write_memory, recall and forget services from an agent's node.

    ``namespace`` is the memory node's namespace ('' means the agent node's own); every request
    completes within ``timeout_s`` (service discovery included) or fails with
    ``MemoryUnavailableError``. A refusal by the node (success=false) fails with
    ``MemoryRequestError`` carrying the node's reason; arguments that cannot make a request raise
    ``InvalidRequestError`` at once, before anything is sent.
    """

    def __init__(self, node: Node, namespace: str = '', timeout_s: float = 10.0,
                 mission_id: str | None = None, write_attempts: int = 2) -> None:
        """
        Create the service clients on ``node``; requests use ``mission_id`` by default.

        The blocking ``write`` tries up to ``write_attempts`` times when no answer comes, with
        the same request id each time, so the node stores the memory once however many of the
        attempts reached it.
        """
        if not (math.isfinite(timeout_s) and timeout_s > 0):
            raise InvalidRequestError(f'timeout_s must be a finite number > 0 (got {timeout_s})')
        if isinstance(write_attempts, bool) or not isinstance(write_attempts, int) or \
                write_attempts < 1:
            raise InvalidRequestError(f'write_attempts must be an integer >= 1 '
                                      f'(got {write_attempts!r})')
        self.node = node
        self.timeout_s = timeout_s
        self.write_attempts = write_attempts
        self._mission_id: str | None = None
        self.set_mission(mission_id)
        self._lock = threading.Lock()
        self._waiting: list[_Call] = []
        self._in_flight: list[_Call] = []
        # Responses and the deadline timer never wait on the agent's own (often exclusive)
        # callbacks, so an answer is delivered while a callback of the agent still runs.
        group = ReentrantCallbackGroup()
        base = namespace.rstrip('/')
        prefix = f'{base}/' if base else ('/' if namespace.startswith('/') else '')
        # KEEP_ALL: with the default history of 10, more answers in flight than that could
        # overwrite each other before the client took them.
        qos = QoSProfile(history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE)
        self._write: 'Client[Any, Any]' = node.create_client(
            WriteMemory, prefix + 'write_memory', qos_profile=qos, callback_group=group)
        self._recall: 'Client[Any, Any]' = node.create_client(
            Recall, prefix + 'recall', qos_profile=qos, callback_group=group)
        self._forget: 'Client[Any, Any]' = node.create_client(
            Forget, prefix + 'forget', qos_profile=qos, callback_group=group)
        self._locate: 'Client[Any, Any]' = node.create_client(
            Locate, prefix + 'locate', qos_profile=qos, callback_group=group)
        # Steady time: with use_sim_time a paused simulation must not stop the deadlines.
        self._timer = node.create_timer(POLL_PERIOD_S, self._tick, callback_group=group,
                                        clock=Clock(clock_type=ClockType.STEADY_TIME))
        self._timer.cancel()

    # Mission context --------------------------------------------------------------------------

    @property
    def mission_id(self) -> str | None:
        """Return the mission requests use by default (None: the memory node's current one)."""
        return self._mission_id

    def set_mission(self, mission_id: str | None) -> None:
        """Use ``mission_id`` for the following requests unless one overrides it."""
        if mission_id is not None and not _MISSION_RE.match(mission_id):
            raise InvalidRequestError(f'mission_id {mission_id!r} must match {MISSION_PATTERN}')
        self._mission_id = mission_id

    def _mission(self, override: str | None) -> str:
        if override is not None and not _MISSION_RE.match(override):
            raise InvalidRequestError(f'mission_id {override!r} must match {MISSION_PATTERN}')
        return override or self._mission_id or ''

    def is_ready(self) -> bool:
        """Return whether the memory node's services are all discovered."""
        clients = (self._write, self._recall, self._forget, self._locate)
        return all(c.service_is_ready() for c in clients)

    # Asynchronous requests --------------------------------------------------------------------

    def write_async(self, text: str = '', *, tags: Sequence[str] = (), event: str = '',
                    pose: Sequence[float] | None = None, stamp: float | None = None,
                    record: Mapping[str, Any] | MemoryRecord | None = None,
                    mission_id: str | None = None, source: str = '',
                    request_id: str | None = None) -> 'Future[WriteResult]':
        """
        Store a memory: free text the node completes, or a whole ``record``; never blocks.

        ``pose`` is (x, y) or (x, y, yaw) in the map frame; left out, the node uses the odometry
        pose at ``stamp`` (seconds since the epoch; None means now). A ``record`` (dict or
        MemoryRecord) is stored as it is, so it cannot be combined with the other arguments.
        ``request_id`` (a fresh one when None) makes a retry with the same id store nothing new.
        """
        request = WriteMemory.Request(request_id=request_id or str(uuid.uuid4()))
        if record is not None:
            if text or tags or event or pose is not None or stamp is not None or source or \
                    mission_id is not None:
                raise InvalidRequestError('give either a whole record or text with its fields, '
                                          'not both: a record is stored exactly as it is')
            if isinstance(record, MemoryRecord):
                request.record_json = record.model_dump_json()
            else:
                try:
                    request.record_json = json.dumps(dict(record))
                except (TypeError, ValueError) as exc:
                    raise InvalidRequestError(f'record is not JSON-serializable: {exc}') from exc
        else:
            request.text = text
            request.tags = _strings(tags, 'tags')
            request.event = event
            request.source = source
            request.mission_id = self._mission(mission_id)
            if stamp is not None:
                request.stamp = _stamp(stamp, 'stamp')
            if pose is not None:
                x, y, *yaw = _numbers(pose, (2, 3), 'pose')
                request.pose = MemoryPose(x=x, y=y, yaw=yaw[0] if yaw else 0.0, known=True)
        return self._start(self._write, request, _write_result)

    def recall_async(self, question: str, *, k: int = 0, tags_any: Sequence[str] = (),
                     tags_all: Sequence[str] = (), near: Sequence[float] | None = None,
                     since_s: float | None = None, time_from: float | None = None,
                     time_to: float | None = None, all_missions: bool = False,
                     synthesize: bool = False, mission_id: str | None = None,
                     min_score: float = 0.0) -> 'Future[RecallAnswer]':
        """
        Ask the memory a question; never blocks.

        ``near`` is (x, y, radius) in the map frame, ``since_s`` keeps the last seconds only,
        ``time_from``/``time_to`` are seconds since the epoch, ``k`` 0 is the node's default.
        ``synthesize`` asks for an answer written by the node's LLM recall route.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise InvalidRequestError(f'k must be an integer >= 0 (got {k!r})')
        if not (math.isfinite(min_score) and 0.0 <= min_score <= 1.0):
            raise InvalidRequestError(f'min_score must be within [0, 1] (got {min_score})')
        request = Recall.Request(
            question=question, k=k, min_score=float(min_score),
            tags_any=_strings(tags_any, 'tags_any'), tags_all=_strings(tags_all, 'tags_all'),
            all_missions=bool(all_missions), synthesize=bool(synthesize),
            mission_id='' if all_missions else self._mission(mission_id))
        if near is not None:
            request.x, request.y, request.radius = _numbers(near, (3,), 'near')
            request.use_place = True
        if since_s is not None:
            if not (math.isfinite(since_s) and since_s > 0):
                raise InvalidRequestError(f'since_s must be a number of seconds > 0 '
                                          f'(got {since_s})')
            request.within_last_s = float(since_s)
        if time_from is not None:
            request.time_from = _stamp(time_from, 'time_from')
        if time_to is not None:
            request.time_to = _stamp(time_to, 'time_to')
        return self._start(self._recall, request, _recall_answer)

    def forget_async(self, ids: Sequence[str] = (), *, mission_id: str | None = None,
                     time_from: float | None = None, time_to: float | None = None,
                     all_missions: bool = False) -> 'Future[int]':
        """
        Delete memories by ids, mission and/or time window; resolves to how many; never blocks.

        Without ``ids`` the mission defaults to the client's, else the node's current one (as
        for every request); ``all_missions`` applies a time window to every mission. ``ids``
        alone delete those memories whatever their mission, since ids are unique.
        """
        request = Forget.Request(ids=_strings(ids, 'ids'), all_missions=bool(all_missions))
        request.mission_id = (self._mission(mission_id)
                              if not all_missions and (mission_id is not None or not ids)
                              else '')
        if time_from is not None:
            request.time_from = _stamp(time_from, 'time_from')
        if time_to is not None:
            request.time_to = _stamp(time_to, 'time_to')
        return self._start(self._forget, request, _deleted)

    def locate_async(self, name: str, *, mission_id: str | None = None,
                     all_missions: bool = False, history: int = 0) -> 'Future[Located]':
        """
        Ask where and when a thing was seen last (its track); never blocks.

        ``name`` is a tag (object:red_ball, person:alice) or words naming one ("red ball");
        ``history`` is how many sightings to return, newest first (0: the node's 10).
        """
        if isinstance(history, bool) or not isinstance(history, int) or \
                not 0 <= history <= 100:
            raise InvalidRequestError(f'history must be an integer 0..100 (got {history!r})')
        request = Locate.Request(name=name, all_missions=bool(all_missions), history=history,
                                 mission_id='' if all_missions else self._mission(mission_id))
        return self._start(self._locate, request, _located)

    # Blocking requests ------------------------------------------------------------------------

    def write(self, text: str = '', *, tags: Sequence[str] = (), event: str = '',
              pose: Sequence[float] | None = None, stamp: float | None = None,
              record: Mapping[str, Any] | MemoryRecord | None = None,
              mission_id: str | None = None, source: str = '',
              request_id: str | None = None) -> WriteResult:
        """
        Store a memory and wait for it; see ``write_async``. Not from executor callbacks.

        Without an answer it tries again (``write_attempts`` in all) with the same request id.
        """
        self._refuse_inside_callback('write')
        request_id = request_id or str(uuid.uuid4())

        def attempt() -> WriteResult:
            return self._wait(self.write_async(
                text, tags=tags, event=event, pose=pose, stamp=stamp, record=record,
                mission_id=mission_id, source=source, request_id=request_id))
        for _ in range(self.write_attempts - 1):
            try:
                return attempt()
            except MemoryUnavailableError:
                continue
        return attempt()

    def recall(self, question: str, *, k: int = 0, tags_any: Sequence[str] = (),
               tags_all: Sequence[str] = (), near: Sequence[float] | None = None,
               since_s: float | None = None, time_from: float | None = None,
               time_to: float | None = None, all_missions: bool = False,
               synthesize: bool = False, mission_id: str | None = None,
               min_score: float = 0.0) -> RecallAnswer:
        """Ask the memory and wait for the answer; see ``recall_async``. Not from callbacks."""
        self._refuse_inside_callback('recall')
        return self._wait(self.recall_async(
            question, k=k, tags_any=tags_any, tags_all=tags_all, near=near, since_s=since_s,
            time_from=time_from, time_to=time_to, all_missions=all_missions,
            synthesize=synthesize, mission_id=mission_id, min_score=min_score))

    def locate(self, name: str, *, mission_id: str | None = None, all_missions: bool = False,
               history: int = 0) -> Located:
        """Ask where and when a thing was seen last and wait; see ``locate_async``."""
        self._refuse_inside_callback('locate')
        return self._wait(self.locate_async(name, mission_id=mission_id,
                                            all_missions=all_missions, history=history))

    def forget(self, ids: Sequence[str] = (), *, mission_id: str | None = None,
               time_from: float | None = None, time_to: float | None = None,
               all_missions: bool = False) -> int:
        """Delete memories and wait; see ``forget_async``. Not from executor callbacks."""
        self._refuse_inside_callback('forget')
        return self._wait(self.forget_async(ids, mission_id=mission_id, time_from=time_from,
                                            time_to=time_to, all_missions=all_missions))

    def _refuse_inside_callback(self, what: str) -> None:
        """
        Raise when this thread runs a callback of the executor that spins the node.

        That executor would have to deliver the answer this thread waits for: a single-threaded
        one never could, a multi-threaded one only while it has a thread to spare. Every
        callback runs inside an rclpy Task bound to its executor, so the stack tells.
        """
        executor = self.node.executor
        if executor is None:
            return
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            owner = frame.f_locals.get('self')
            if isinstance(owner, Task):
                bound = getattr(owner, '_executor', None)
                if callable(bound) and bound() is executor:
                    raise InvalidRequestError(
                        f'{what}() blocks, and was called from a callback of the executor '
                        f'that spins node {self.node.get_name()!r}, which must deliver the '
                        f'answer: use {what}_async() with a done callback, or await it in an '
                        'async callback')
            frame = frame.f_back

    def _wait(self, future: 'Future[T]') -> T:
        done = threading.Event()
        future.add_done_callback(lambda _: done.set())
        if not done.wait(self.timeout_s + BLOCKING_GRACE_S):
            future.cancel()
            raise MemoryUnavailableError(
                f'no answer and no timeout within {self.timeout_s + BLOCKING_GRACE_S:.1f} s: is '
                f'an executor spinning node {self.node.get_name()!r} in another thread?')
        return cast(T, future.result())

    # Machinery --------------------------------------------------------------------------------

    def _start(self, client: 'Client[Any, Any]', request: Any,
               convert: Callable[[Any], T]) -> 'Future[T]':
        result: Future[T] = Future(executor=self.node.executor)
        call = _Call(client, request, convert, time.monotonic() + self.timeout_s, result)
        if client.service_is_ready():
            self._send(call)
        else:
            with self._lock:
                self._waiting.append(call)
                self._keep_ticking()
        return result

    def _keep_ticking(self) -> None:
        # Resetting a running timer would postpone its tick: under a steady stream of requests
        # the deadlines would never be checked.
        if self._timer.is_canceled():
            self._timer.reset()

    def _send(self, call: _Call) -> None:
        call.sent = call.client.call_async(call.request)
        call.sent.add_done_callback(functools.partial(self._on_response, call))
        with self._lock:
            self._in_flight.append(call)
            self._keep_ticking()

    def _on_response(self, call: _Call, sent: 'Future[Any]') -> None:
        response = sent.result()
        service = call.client.srv_name
        if response is None:
            self._finish(call, error=MemoryUnavailableError(f'{service}: request cancelled'))
        elif not response.success:
            self._finish(call, error=MemoryRequestError(
                f'{service} refused the request: {response.message}'))
        else:
            self._finish(call, value=call.convert(response))

    def _finish(self, call: _Call, value: Any = None, error: Exception | None = None) -> None:
        with self._lock:
            if call.claimed or call.result.cancelled():
                return
            call.claimed = True
        if error is not None:
            call.result.set_exception(error)
        else:
            call.result.set_result(value)

    def _tick(self) -> None:
        now = time.monotonic()
        ready: list[_Call] = []
        expired: list[tuple[_Call, str]] = []
        with self._lock:
            waiting, self._waiting = self._waiting, []
            for call in waiting:
                if call.result.cancelled():
                    continue
                if call.client.service_is_ready():
                    ready.append(call)
                elif now >= call.deadline:
                    expired.append((call, f'{call.client.srv_name} is not available after '
                                          f'{self.timeout_s:g} s: is the memory node running '
                                          'in this namespace and DDS domain?'))
                else:
                    self._waiting.append(call)
            in_flight, self._in_flight = self._in_flight, []
            for call in in_flight:
                if call.claimed:
                    continue
                if call.result.cancelled() or now >= call.deadline:
                    expired.append((call, f'{call.client.srv_name} did not answer within '
                                          f'{self.timeout_s:g} s'))
                else:
                    self._in_flight.append(call)
            if not (self._waiting or self._in_flight or ready):
                self._timer.cancel()
        for call, message in expired:
            if call.sent is not None:
                call.client.remove_pending_request(call.sent)
            self._finish(call, error=MemoryUnavailableError(message))
        for call in ready:
            self._send(call)

    def destroy(self) -> None:
        """Fail the pending requests and remove the clients and the timer from the node."""
        with self._lock:
            pending, self._waiting, self._in_flight = self._waiting + self._in_flight, [], []
        for call in pending:
            self._finish(call, error=MemoryUnavailableError('the memory client was destroyed'))
        self.node.destroy_timer(self._timer)
        for client in (self._write, self._recall, self._forget):
            self.node.destroy_client(client)
