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

"""The synthetic mission: deterministic, physically consistent, with answerable gold questions."""

from collections import defaultdict
import math

import pytest

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.synthetic.world import (DOORS, gold_questions, in_room, make_mission,
                                                REPEAT_DELAY_S, room_of, ROOMS, SENSING_RANGE_M,
                                                SPEED_MPS)

SEEDS = range(8)
# The node's default merge radius (config/memory.yaml dedupe_radius_m): a repeat must fall in it.
MERGE_RADIUS_M = 1.0


def missions():
    for seed in SEEDS:
        yield make_mission(seed)
    yield make_mission(11, n_rooms=2)
    yield make_mission(12, n_rooms=8, pose_noise_m=0.3)
    yield make_mission(13, duration_s=47.3)
    yield make_mission(14, duration_s=400.0)


def angle_between(a, b):
    return abs(math.atan2(math.sin(a - b), math.cos(a - b)))


def test_a_seed_gives_the_same_mission_and_another_seed_another():
    first, again, other = make_mission(3), make_mission(3), make_mission(4)
    assert first == again
    assert first.poses(30.0) == again.poses(30.0)
    assert first.objects != other.objects
    assert [o.text for o in first.observations] != [o.text for o in other.observations]


def test_the_route_is_continuous_at_the_robot_speed():
    for mission in missions():
        poses = mission.poses(rate_hz=30.0)
        assert poses[0][0] == 0.0 and poses[-1][0] == pytest.approx(mission.duration_s, abs=0.04)
        if mission.pose_noise_m:
            continue
        for (t0, x0, y0, _), (t1, x1, y1, _) in zip(poses, poses[1:]):
            assert math.dist((x0, y0), (x1, y1)) <= SPEED_MPS * (t1 - t0) + 1e-9


def test_the_route_stays_in_the_house_and_changes_rooms_only_through_doors():
    doors = set(DOORS.values())
    for mission in missions():
        for i, (a, b) in enumerate(zip(mission.waypoints, mission.waypoints[1:])):
            room = mission.segment_rooms[i]
            assert in_room(*a, room) and in_room(*b, room)
            for point in (a, b):
                on_wall = not in_room(*point, room, margin=1e-6)
                assert not on_wall or point in doors, f'{point} crosses a wall of {room}'
        for t, *_ in mission.poses(rate_hz=10.0):
            x, y, _ = mission.pose_at(t)
            assert in_room(x, y, mission.room_at(t)) and room_of(x, y) in ROOMS


def test_heading_follows_the_direction_of_travel():
    for mission in missions():
        if mission.pose_noise_m:
            continue
        for t, x0, y0, yaw in mission.poses(rate_hz=7.0):
            if t + 1e-6 >= mission.duration_s:
                continue
            x1, y1, _ = mission.pose_at(t + 1e-6)
            assert angle_between(math.atan2(y1 - y0, x1 - x0), yaw) < 1e-4


def test_every_observation_is_of_a_thing_in_range_seen_from_inside_its_room():
    for mission in missions():
        placed = {(o.key, o.room): (o.x, o.y) for o in mission.objects}
        assert mission.observations
        for obs in mission.observations:
            x, y, yaw = obs.robot_pose
            assert (x, y, yaw) == mission.pose_at(obs.t)
            assert 0.0 <= obs.t <= mission.duration_s
            assert placed[(obs.object_key, obs.room)] == obs.object_xy
            assert math.dist((x, y), obs.object_xy) <= SENSING_RANGE_M
            assert in_room(x, y, obs.room) and mission.room_at(obs.t) == obs.room
            assert mission.visit_at(obs.t) == obs.visit
            assert mission.visits[obs.visit].room == obs.room


def test_a_thing_is_reported_once_per_visit_plus_at_most_one_repeat_moments_later():
    repeats = 0
    for mission in missions():
        sightings = defaultdict(list)
        for obs in mission.observations:
            sightings[(obs.object_key, obs.visit)].append(obs)
        for group in sightings.values():
            first, *again = group
            assert not first.repeat and len(again) <= 1
            for repeat in again:
                repeats += 1
                assert repeat.repeat and repeat.text == first.text
                assert REPEAT_DELAY_S[0] - 1e-9 <= repeat.t - first.t <= REPEAT_DELAY_S[1] + 1e-9
                assert math.dist(repeat.robot_pose[:2], first.robot_pose[:2]) <= MERGE_RADIUS_M
    assert repeats >= 5


def test_the_kitchen_a_red_ball_and_alice_are_always_observed():
    for seed in SEEDS:
        for n_rooms in (1, 2, 5):
            mission = make_mission(seed, n_rooms=n_rooms)
            assert sum(v.room != 'hallway' for v in mission.visits) == n_rooms
            seen = {obs.object_key for obs in mission.observations}
            assert {'red_ball', 'alice'} <= seen
            assert any(obs.room == 'kitchen' for obs in mission.observations)
            assert all(o.tags == ('person:alice',) for o in mission.observations
                       if o.object_key == 'alice')


def test_a_duration_cuts_the_route_short_or_extends_it_with_more_rooms():
    short, full, long = (make_mission(5, duration_s=20.0), make_mission(5),
                         make_mission(5, duration_s=900.0))
    assert short.duration_s == 20.0 and long.duration_s == 900.0
    assert short.pose_at(20.0) == full.pose_at(20.0)
    assert all(obs.t <= 20.0 for obs in short.observations)
    assert len(long.visits) > 3 * len(full.visits)
    assert long.poses(1.0)[-1][0] == 900.0


def test_pose_noise_moves_odometry_but_not_the_gold_truth():
    exact, noisy = make_mission(6), make_mission(6, pose_noise_m=0.3)
    assert noisy.observations == exact.observations
    offsets = [math.dist((x, y), exact.pose_at(t)[:2]) for t, x, y, _ in noisy.poses(5.0)]
    assert max(offsets) <= 0.3 * math.sqrt(2.0) + 1e-9
    assert max(offsets) > 0.1
    assert exact.poses(5.0) == [(t, *exact.pose_at(t)) for t, *_ in exact.poses(5.0)]


def test_wording_varies_names_the_thing_and_mixes_sources_and_tags():
    observations = [obs for seed in SEEDS for obs in make_mission(seed).observations]
    starts = {obs.text.split()[0] for obs in observations}
    assert len(starts) >= 5
    assert {obs.source for obs in observations} == {'camera', 'detector', 'operator'}
    objects = [obs for obs in observations if obs.object_key not in ('alice', 'person')]
    assert any(obs.tags == (f'object:{obs.object_key}',) for obs in objects)
    assert any(obs.tags == () for obs in objects)
    for obs in observations:
        words = obs.text.lower()
        if obs.object_key == 'person':
            assert 'person' in words
        else:
            assert obs.object_key.replace('_', ' ') in words
        assert 0.0 < obs.confidence <= 1.0


def test_gold_questions_point_at_exactly_the_observations_that_answer_them():
    for mission in missions():
        questions = {q.question: q for q in gold_questions(mission)}
        observations = mission.observations
        for question in questions.values():
            indices = set(question.observation_indices)
            assert indices and indices <= set(range(len(observations)))
            if question.object_key:
                want = {i for i, o in enumerate(observations)
                        if o.object_key == question.object_key}
            elif question.room:
                want = {i for i, o in enumerate(observations) if o.room == question.room}
            else:
                assert question.within_last_s == 60.0
                want = {i for i, o in enumerate(observations)
                        if o.t >= mission.duration_s - question.within_last_s}
            assert indices == want, question.question
    demo = {q.question for q in gold_questions(make_mission(0))}
    assert {'Where did we see the red ball?', 'What was in the kitchen?',
            'Where did we see Alice?', 'What did we see in the last minute?'} <= demo


@pytest.mark.parametrize('arguments', [{'n_rooms': 0}, {'duration_s': -1.0},
                                       {'duration_s': math.nan}, {'pose_noise_m': -0.1}])
def test_impossible_missions_are_refused(arguments):
    with pytest.raises(InvalidRequestError):
        make_mission(**arguments)


def test_sampling_at_a_rate_that_is_not_positive_is_refused():
    with pytest.raises(InvalidRequestError, match='rate_hz'):
        make_mission().poses(0.0)
