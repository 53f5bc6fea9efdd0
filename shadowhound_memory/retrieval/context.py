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
dropped, so the budget is measurable. Each block is counted once (and remembered across recalls
by its text), not the whole context after each addition: that re-tokenization made building the
context cost as much as the search.
"""

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
import json
import os
import re
import threading
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
    """
    Return an exact counter from a Hugging Face tokenizer in a local folder (no download).

    A folder with ``tokenizer.json`` is read by the ``tokenizers`` library alone, so counting does
    not load transformers (nor, through it, torch) into the node.
    """
    folder = os.fspath(tokenizer_path)
    fast = os.path.join(folder, 'tokenizer.json')
    if os.path.isfile(fast):
        from tokenizers import Tokenizer
        backend = Tokenizer.from_file(fast)
        # Counting is not model input: count the whole text, never its first max_length tokens.
        backend.no_truncation()
        backend.no_padding()

        def count_fast(text: str) -> int:
            return len(backend.encode(text, add_special_tokens=False).ids)
        return count_fast
    from transformers import AutoTokenizer
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
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


class TokenCache:
    """
    Token counts of memory blocks, computed once per block text and kept for later recalls.

    Keyed by the text itself, so a record that changes (a merge bumps its count) is counted anew;
    the least recently used counts go first when ``size`` are held.
    """

    def __init__(self, count_tokens: TokenCounter | None = None, size: int = 4096) -> None:
        self.count_tokens = count_tokens or estimate_tokens
        self.size = size
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def count(self, text: str) -> int:
        """Return the token count of ``text``, counting it only if it was not seen lately."""
        with self._lock:
            cached = self._counts.get(text)
            if cached is not None:
                self._counts.move_to_end(text)
                return cached
        tokens = self.count_tokens(text)
        with self._lock:
            self._counts[text] = tokens
            while len(self._counts) > self.size:
                self._counts.popitem(last=False)
        return tokens


class ContextBuilder:
    """Packs ranked memories into a context that fits a token budget."""

    def __init__(self, token_budget: int, count_tokens: TokenCounter | None = None,
                 cache: TokenCache | None = None) -> None:
        if token_budget < 0:
            raise InvalidRequestError(f'token_budget must be >= 0, got {token_budget}')
        self.token_budget = token_budget
        self.count_tokens = count_tokens or estimate_tokens
        if cache is not None and cache.count_tokens is not self.count_tokens:
            raise InvalidRequestError('the token cache counts with another tokenizer than the '
                                      'context builder; give both the same counter')
        self.cache = cache or TokenCache(self.count_tokens)

    def build(self, hits: Sequence[ScoredRecord],
              render: Callable[[ScoredRecord, int], str] | None = None) -> RagContext:
        """
        Return the context of as many top hits as the budget holds.

        Blocks are counted one by one (cached) and the counts summed with the newline between
        them. For the default estimate the sum is the count of the whole text (blocks start with
        ``<`` and end with ``>``, so no piece spans a boundary); another tokenizer may merge across
        a boundary, so then the whole text is counted once at the end and trailing blocks are
        dropped while it is over: ``tokens_used`` is exact and never over the budget. A memory too
        long for what is left is dropped and smaller ones after it may still fit, so one long
        memory does not starve the rest. ``render`` formats a hit given its 1-based place among
        the blocks kept (the LLM prompt cites short refs by it); the default is ``memory_block``.
        """
        context = RagContext(token_budget=self.token_budget)
        separator = self.cache.count('\n')
        blocks: list[str] = []
        for hit in hits:
            block = render(hit, len(context.used_ids) + 1) if render else memory_block(hit)
            tokens = context.tokens_used + self.cache.count(block) + (separator if blocks else 0)
            if tokens > self.token_budget:
                context.dropped_ids.append(hit.record.id)
                continue
            blocks.append(block)
            context.tokens_used = tokens
            context.used_ids.append(hit.record.id)
        context.text = '\n'.join(blocks)
        if self.count_tokens is not estimate_tokens and len(blocks) > 1:
            context.tokens_used = self.count_tokens(context.text)
            while context.tokens_used > self.token_budget:
                blocks.pop()
                context.dropped_ids.insert(0, context.used_ids.pop())
                context.text = '\n'.join(blocks)
                context.tokens_used = self.count_tokens(context.text) if blocks else 0
        return context
