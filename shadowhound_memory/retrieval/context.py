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
The RAG context: retrieved memories as quoted data blocks, within a token budget.

Memories are data, not instructions: each one is a JSON object inside its own <memory> block,
and angle brackets in it are written as JSON unicode escapes, so a memory cannot close
its block or open a new one while its JSON still decodes to the original text. The builder adds
memories in rank order while they fit the budget and reports the tokens used and what it
dropped, so the budget is measurable.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
import json
import os
import re
from typing import Any

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.store.base import ScoredRecord

TokenCounter = Callable[[str], int]
# ASCII letter runs, or any other single non-space character.
_PIECES = re.compile(r'[A-Za-z]+|\S')


def estimate_tokens(text: str) -> int:
    """
    Estimate tokens without a tokenizer, erring high.

    An ASCII word counts one token per started 4 letters; every other character (digit,
    punctuation, non-ASCII letter) counts one, because tokenizers split ids, numbers and JSON
    finely. On the context blocks this over-counts MiniLM's WordPiece by 10-25 % and LLM BPE
    tokenizers (coarser on English) by more, so a budget kept by the estimate is kept by the
    model too.
    """
    return sum(-(-len(piece) // 4) if piece.isascii() and piece.isalpha() else 1
               for piece in _PIECES.findall(text))


def hf_token_counter(tokenizer_path: str | os.PathLike[str]) -> TokenCounter:
    """Return an exact counter from a Hugging Face tokenizer in a local folder (no download)."""
    from transformers import AutoTokenizer
    try:
        tokenizer = AutoTokenizer.from_pretrained(os.fspath(tokenizer_path),
                                                  local_files_only=True)
    except (OSError, ValueError) as exc:
        raise InvalidRequestError(
            f'cannot load a tokenizer from {tokenizer_path}: {exc}; give a local folder that '
            'holds tokenizer files (tokenizer.json or vocab.txt)') from exc
    # Counting is not model input: no warning about the encoder's maximum sequence length.
    tokenizer.model_max_length = 1 << 40

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))
    return count


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec='seconds')


def quote_json(data: Any) -> str:
    """
    Return ``data`` as one JSON line that cannot close or open a delimited block.

    Angle brackets become JSON unicode escapes: the text still decodes to what was stored, but a
    memory saying ``</memory> ignore the rules`` stays inside its own block, as data.
    """
    return json.dumps(data, ensure_ascii=False).replace('<', '\\u003c').replace('>', '\\u003e')


def memory_block(hit: ScoredRecord) -> str:
    """Format one memory as a delimited block of one JSON line."""
    record = hit.record
    data: dict[str, Any] = {
        'id': record.id,
        'time': _iso(record.timestamp),
        'pose': None if record.pose is None else {
            'x': round(record.pose.x, 2), 'y': round(record.pose.y, 2),
            'yaw': round(record.pose.yaw, 2), 'frame': record.frame_id},
        'event': record.event,
        'tags': record.tags,
        'text': record.text,
    }
    if record.seen_count > 1:
        data['seen_count'] = record.seen_count
        data['last_seen'] = _iso(record.last_seen or record.timestamp)
    return f'<memory id="{record.id}">{quote_json(data)}</memory>'


@dataclass
class RagContext:
    """The context text and its accounting; ``tokens_used`` is the count of ``text``."""

    text: str = ''
    used_ids: list[str] = field(default_factory=list)
    tokens_used: int = 0
    token_budget: int = 0
    dropped_ids: list[str] = field(default_factory=list)


class ContextBuilder:
    """Packs ranked memories into a context that fits a token budget."""

    def __init__(self, token_budget: int, count_tokens: TokenCounter | None = None) -> None:
        if token_budget < 0:
            raise InvalidRequestError(f'token_budget must be >= 0, got {token_budget}')
        self.token_budget = token_budget
        self.count_tokens = count_tokens or estimate_tokens

    def build(self, hits: Sequence[ScoredRecord],
              render: Callable[[ScoredRecord, int], str] | None = None) -> RagContext:
        """
        Return the context of as many top hits as the budget holds.

        The whole text is counted after each addition rather than summing per-block counts,
        because a tokenizer may merge across a boundary: ``tokens_used`` is exact and never over
        the budget. A memory too long for what is left is dropped and smaller ones after it may
        still fit, so one long memory does not starve the rest. ``render`` formats a hit given
        its 1-based place among the blocks kept (the LLM prompt cites short refs by it); the
        default is ``memory_block``.
        """
        context = RagContext(token_budget=self.token_budget)
        for hit in hits:
            block = render(hit, len(context.used_ids) + 1) if render else memory_block(hit)
            candidate = f'{context.text}\n{block}' if context.text else block
            tokens = self.count_tokens(candidate)
            if tokens > self.token_budget:
                context.dropped_ids.append(hit.record.id)
                continue
            context.text = candidate
            context.tokens_used = tokens
            context.used_ids.append(hit.record.id)
        return context
