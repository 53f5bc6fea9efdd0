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

import math

from shadowhound_memory.synthetic.world import (gold_questions, make_mission, room_of, ROOMS,
                                                SENSING_RANGE_M, SPEED_MPS)


def test_a_seed_gives_the_same_mission_and_another_seed_another():
    first, again, other = make_mission(3), make_mission(3), make_mission(4)
    assert first.observations == again.observations and first.objects == again.objects
    assert first.objects != other.objects


def test_the_route_is_continuous_at_the_robot_speed_and_stays_in_the_house():
    mission = make_mission(1)
    poses = mission.poses(rate_hz=30.0)
    for (t0, x0, y0, _), (t1, x1, y1, _) in zip(poses, poses[1:]):
        assert math.dist((x0, y0), (x1, y1)) <= SPEED_MPS * (t1 - t0) + 1e-9
    assert all(room_of(x, y) in ROOMS for _, x, y, _ in poses)


def test_heading_follows_the_direction_of_travel():
    mission = make_mission(2)
    off = 0
    for t, x0, y0, yaw in mission.poses(rate_hz=10.0)[:-1]:
        x1, y1, _ = mission.pose_at(t + 0.001)
        if math.dist((x0, y0), (x1, y1)) > 1e-6:
            heading = math.atan2(y1 - y0, x1 - x0)
            off += abs(math.atan2(math.sin(heading - yaw), math.cos(heading - yaw))) > 1e-6
    # Only a sample exactly on a waypoint may carry the previous segment's heading.
    assert off <= 2


def test_every_observation_is_of_an_object_in_range_in_the_same_room():
    mission = make_mission(5)
    assert mission.observations and any(o.object_key == 'red_ball' for o in mission.observations)
    for obs in mission.observations:
        x, y, _ = obs.robot_pose
        assert room_of(*obs.object_xy) == obs.room
        assert math.dist((x, y), obs.object_xy) <= SENSING_RANGE_M + SPEED_MPS * 1.5 + 1e-6
        assert obs.robot_pose == mission.pose_at(obs.t)


def test_gold_questions_point_at_existing_observations():
    mission = make_mission(6)
    questions = gold_questions(mission)
    assert any(q.question == 'Where did we see the red ball?' for q in questions)
    for question in questions:
        assert question.observation_indices
        for index in question.observation_indices:
            obs = mission.observations[index]
            assert obs.object_key == question.object_key or obs.room == question.room
