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
BM25 sparse vectors of memory records, the keyword half of hybrid retrieval.

MiniLM places "the blue mug" near "the green cup" and misses what cosine cannot see: names,
numbers, rare words ("Alice", "shelf 42", "defibrillator"). A BM25 vector per record finds
those. Both stores compute it here, with Qdrant Edge's own BM25 tokenizer (English stop words
and stemming), so a record is tokenized the same way whichever store holds it; the stores keep
it under ``BM25_VECTOR`` with the IDF modifier, so the rarity of a word is weighed by the engine
over the records actually stored. The tokenizer settings are part of the stored format: changing
them would leave old records tokenized differently from new queries.
"""

from typing import Literal

import qdrant_edge as edge

from shadowhound_memory.domain.records import MemoryRecord

BM25_VECTOR = 'bm25'
# Records are one sentence: about ten tokens once stop words are gone (BM25's default of 256
# would make every record count as short and switch length normalization off).
BM25_AVG_LEN = 10.0
# RRF's constant: 1 / (k + rank) per list. 60 is the value of the original paper and Qdrant's.
RRF_K = 60
RetrievalMode = Literal['dense', 'hybrid']
Fusion = Literal['rrf', 'dbsf']
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = ('dense', 'hybrid')
FUSIONS: tuple[Fusion, ...] = ('rrf', 'dbsf')

_BM25 = edge.Bm25(edge.Bm25Config(avg_len=BM25_AVG_LEN))

SparseVector = tuple[list[int], list[float]]


def sparse_text(record: MemoryRecord) -> str:
    """
    Return the words a record is found by: its text and the values of its tags.

    Tag values carry what the text may leave out (the room, the person's name, the object's
    label), e.g. ``person:alice`` adds "alice" and ``object:red_ball`` adds "red ball".
    """
    values = [t.split(':', 1)[-1].replace('_', ' ') for t in record.tags]
    return ' '.join([record.text, *values])


def document_vector(record: MemoryRecord) -> SparseVector:
    """Return the BM25 document vector (term frequencies, length-normalized) of a record."""
    vector = _BM25.embed_document(sparse_text(record))
    return list(vector.indices), [float(v) for v in vector.values]


def query_vector(text: str) -> SparseVector:
    """Return the BM25 query vector of a question: weight 1 per distinct token (IDF in store)."""
    vector = _BM25.embed_query(text)
    return list(vector.indices), [float(v) for v in vector.values]


def normalized_fused_score(score: float, fusion: Fusion, lists: int) -> float:
    """
    Bring a fused score into [0, 1], the range the ranking expects of a similarity.

    RRF gives sum(1 / (k + rank)) with ranks from 0, at most lists / k; DBSF sums scores each
    normalized into [0, 1], at most ``lists``. Dividing by the maximum keeps the fused order and
    lets ``min_score`` and the recency and distance terms weigh against it as against cosine.
    """
    top = lists / RRF_K if fusion == 'rrf' else float(lists)
    return min(1.0, max(0.0, score / top)) if top > 0 else 0.0
