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
The evaluation's metrics, as pure functions of model outputs and gold data.

JSON validity splits failures into truncated (the token limit cut the JSON), not JSON, and
parsed but breaking the schema. Groundedness is a weak-supervision check, not a judge: an answer
clause counts as supported when at least half of its content words occur in the text or tags of
the memories it cites; answers that cite nothing support nothing. It rewards restating cited
memories and punishes invented detail, which is what a memory answer should do, but it cannot
tell a paraphrase from a contradiction that reuses the same words.
"""

from collections.abc import Iterable, Sequence
import re
from typing import Any

import numpy as np
from pydantic import ValidationError

from shadowhound_memory.domain.errors import InvalidRequestError, SchemaError
from shadowhound_memory.llm.prompts import parse_json_object
from shadowhound_memory.training.formats import Answer, Draft

SUPPORT_THRESHOLD = 0.5
BOOTSTRAP_RESAMPLES = 2000
STOPWORDS = frozenset(
    'a an the and or but of in on at to by for with from into onto near next is are was were '
    'be been we i it its this that there these those what where when who did do does saw see '
    'seen have has had not no yes as so than then also some any one two our us you they he she '
    'his her their them very just about over under by'.split())
_WORD_RE = re.compile(r'[a-z]+')
_CLAUSE_RE = re.compile(r'[.;!?\n]+')


def content_words(text: str) -> set[str]:
    """Return the lowercase words of a text that carry meaning (stopwords and 1-2 letters out)."""
    return {w for w in _WORD_RE.findall(text.lower().replace('_', ' '))
            if len(w) > 2 and w not in STOPWORDS}


def parse_json_output(text: str, finish_reason: str, model: type[Draft] | type[Answer]
                      ) -> tuple[Any, str]:
    """
    Return (parsed model or None, status): ok, truncated, not_json or schema.

    Parsed as the node parses replies (text or code fences around one object are tolerated), so
    validity here is validity on the robot.
    """
    try:
        data = parse_json_object(text)
    except SchemaError:
        return None, 'truncated' if finish_reason == 'length' else 'not_json'
    try:
        return model.model_validate(data), 'ok'
    except (ValidationError, InvalidRequestError):
        return None, 'schema'


def tags_f1(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """Return the F1 of two tag sets (1.0 when both are empty)."""
    p, g = set(predicted), set(gold)
    if not p and not g:
        return 1.0
    hit = len(p & g)
    return 0.0 if hit == 0 else 2.0 * hit / (len(p) + len(g))


def text_recall(predicted: str, gold: str) -> float:
    """Return the share of the gold text's content words that the written text keeps."""
    wanted = content_words(gold)
    return len(wanted & content_words(predicted)) / len(wanted) if wanted else 1.0


def field_scores(draft: Draft | None, gold: Draft) -> dict[str, float]:
    """Return event accuracy, tag F1, text recall and their mean (all 0 for an invalid draft)."""
    if draft is None:
        return {'event_accuracy': 0.0, 'tags_f1': 0.0, 'text_recall': 0.0,
                'field_accuracy': 0.0}
    scores = {'event_accuracy': float(draft.event == gold.event),
              'tags_f1': tags_f1(draft.tags, gold.tags),
              'text_recall': text_recall(draft.text, gold.text)}
    scores['field_accuracy'] = sum(scores.values()) / 3.0
    return scores


def clause_supported(clause: str, evidence: set[str]) -> bool | None:
    """Return whether a clause is supported by the evidence words; None if it claims nothing."""
    words = content_words(clause)
    if not words:
        return None
    return len(words & evidence) / len(words) >= SUPPORT_THRESHOLD


def groundedness(answer: str, cited_docs: Iterable[dict[str, Any]]) -> float:
    """Return the share of the answer's clauses supported by the memories it cites."""
    evidence: set[str] = set()
    for doc in cited_docs:
        evidence |= content_words(doc['text']) | content_words(' '.join(doc.get('tags', [])))
    verdicts = [v for v in (clause_supported(c, evidence) for c in _CLAUSE_RE.split(answer))
                if v is not None]
    return sum(verdicts) / len(verdicts) if verdicts else 1.0


def success_at_k(ranked_ids: Sequence[str], relevant: set[str], k: int) -> float:
    """Return 1.0 when any relevant memory is among the first k retrieved, else 0.0."""
    return float(bool(set(ranked_ids[:k]) & relevant))


def mean(values: Iterable[float]) -> float | None:
    """Return the mean, or None for no values (a metric that could not be measured)."""
    items = list(values)
    return sum(items) / len(items) if items else None


def bootstrap_ci(values: Iterable[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0,
                 level: float = 0.95) -> list[float] | None:
    """
    Return the percentile bootstrap interval [low, high] of the mean, None for no values.

    Items are resampled with replacement; with a fixed seed the same items give the same
    interval, so a rerun of the report does not move it.
    """
    items = np.asarray(list(values), dtype=float)
    if items.size == 0:
        return None
    if not 0.0 < level < 1.0:
        raise InvalidRequestError(f'level must be within (0, 1) (got {level})')
    rng = np.random.default_rng(seed)
    means = items[rng.integers(0, items.size, size=(resamples, items.size))].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return [float(low), float(high)]


def summarize(items: dict[str, list[float]]) -> tuple[dict[str, float | None],
                                                      dict[str, list[float] | None]]:
    """Return the mean of each per-item metric and its 95% bootstrap interval."""
    return ({k: mean(v) for k, v in items.items()},
            {k: bootstrap_ci(v) for k, v in items.items()})
