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

score = (w_s * similarity + w_r * 0.5 ** (age / half_life) + w_d * exp(-distance / scale))
        / (sum of the active weights)

The distance term is active only when the query gives a place and the record has a pose. Dividing
by the active weights keeps the score in [0, 1] (similarity is clamped at 0), so ``min_score``
means the same thing whatever the weights and whether or not a place was asked.
"""

from collections.abc import Sequence
import math

from pydantic import BaseModel, ConfigDict, Field

from shadowhound_memory.store.base import ScoredRecord


class RankingWeights(BaseModel):
    """
    Weights of the ranking terms and their scales.

    Defaults, and why: similarity (1.0) dominates, so the question decides what is relevant;
    recency (0.15, half-life 1 h) tips near-equal memories toward what the robot saw last,
    because the world changes and the latest sighting is the one worth acting on; distance (0.1,
    scale 5 m) favours memories near the asked place, a room's width being the scale at which
    "near" stops meaning much. The two tie-breakers together are worth at most 0.25 of
    similarity, so a match more than 0.25 more similar (for MiniLM, the gap between a relevant
    and an unrelated memory) always wins over a merely recent or close one.
    """

    model_config = ConfigDict(extra='forbid')

    similarity: float = Field(1.0, ge=0.0, le=10.0,
                              description='Weight of cosine similarity to the question.')
    recency: float = Field(0.15, ge=0.0, le=10.0,
                           description='Weight of how recently the memory was last seen.')
    distance: float = Field(0.1, ge=0.0, le=10.0,
                            description='Weight of closeness to the asked place.')
    recency_half_life_s: float = Field(3600.0, gt=0.0, le=1e9,
                                       description='Age (s) at which the recency term halves.')
    distance_scale_m: float = Field(5.0, gt=0.0, le=1e6,
                                    description='Distance (m) at which the distance term is 1/e.')


def score(candidate: ScoredRecord, now: float, place: tuple[float, float] | None,
          weights: RankingWeights) -> float:
    """Return the weighted score of one candidate, in [0, 1]."""
    record = candidate.record
    total = weights.similarity * min(1.0, max(0.0, candidate.score))
    active = weights.similarity
    if weights.recency > 0:
        # A sighting stamped after ``now`` (clock skew) counts as brand new, not as bonus.
        age = max(0.0, now - (record.last_seen or record.timestamp))
        total += weights.recency * 0.5 ** (age / weights.recency_half_life_s)
        active += weights.recency
    if place is not None and record.pose is not None and weights.distance > 0:
        meters = math.hypot(record.pose.x - place[0], record.pose.y - place[1])
        total += weights.distance * math.exp(-meters / weights.distance_scale_m)
        active += weights.distance
    return total / active if active > 0 else 0.0


def rank(candidates: Sequence[ScoredRecord], now: float, place: tuple[float, float] | None,
         weights: RankingWeights | None = None) -> list[ScoredRecord]:
    """Return the candidates re-scored with the weights, best first (stable on ties)."""
    chosen = weights or RankingWeights()
    ranked = [ScoredRecord(c.record, score(c, now, place, chosen)) for c in candidates]
    ranked.sort(key=lambda hit: hit.score, reverse=True)
    return ranked
