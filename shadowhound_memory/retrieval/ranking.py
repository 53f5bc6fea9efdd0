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
Ranking of retrieved memories: similarity first, with recency and closeness to break ties.

Defaults, and why: similarity (1.0) dominates, so the question decides what is relevant;
recency (0.15, half-life 1 h) tips near-equal memories toward what the robot saw last, because
the world changes and the latest sighting of a thing is the one worth acting on; distance (0.1,
scale 5 m) favours memories near the asked place when the query gives one. The score is divided
by the sum of the active weights, so it stays in [0, 1] for similarities in [0, 1] and
``min_score`` means the same thing whatever the weights.
"""

from collections.abc import Sequence
import math

from pydantic import BaseModel, ConfigDict, Field

from shadowhound_memory.store.base import ScoredRecord


class RankingWeights(BaseModel):
    """Weights of the ranking terms and their scales."""

    model_config = ConfigDict(extra='forbid')

    similarity: float = Field(1.0, ge=0.0, le=10.0, description='Weight of cosine similarity.')
    recency: float = Field(0.15, ge=0.0, le=10.0, description='Weight of how recent it is.')
    distance: float = Field(0.1, ge=0.0, le=10.0,
                            description='Weight of closeness to the asked place.')
    recency_half_life_s: float = Field(3600.0, gt=0.0,
                                       description='Age at which the recency term halves.')
    distance_scale_m: float = Field(5.0, gt=0.0,
                                    description='Distance at which the distance term is 1/e.')


def rank(candidates: Sequence[ScoredRecord], now: float, place: tuple[float, float] | None,
         weights: RankingWeights) -> list[ScoredRecord]:
    """Return candidates re-scored with the weights, best first."""
    ranked = []
    for candidate in candidates:
        record = candidate.record
        total = weights.similarity * max(0.0, candidate.score)
        active = weights.similarity
        if weights.recency > 0:
            age = max(0.0, now - (record.last_seen or record.timestamp))
            total += weights.recency * 0.5 ** (age / weights.recency_half_life_s)
            active += weights.recency
        if place is not None and weights.distance > 0:
            active += weights.distance
            if record.pose is not None:
                meters = math.hypot(record.pose.x - place[0], record.pose.y - place[1])
                total += weights.distance * math.exp(-meters / weights.distance_scale_m)
        score = total / active if active > 0 else 0.0
        ranked.append(ScoredRecord(record, score))
    ranked.sort(key=lambda hit: hit.score, reverse=True)
    return ranked
