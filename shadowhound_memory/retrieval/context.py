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
and angle brackets in the text are escaped so a memory cannot close its block or open a new
one. The builder adds memories in rank order while they fit the budget and reports the tokens
used and what it dropped, so the budget is measurable.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
import json
import re

from shadowhound_memory.store.base import ScoredRecord

TokenCounter = Callable[[str], int]
_PIECES = re.compile(r'\w+|[^\w\s]')


def estimate_tokens(text: str) -> int:
    """
    Estimate tokens without a tokenizer.

    Every punctuation mark counts one and every word one per started 4 characters, which
    over-counts BPE tokenizers on English slightly, so a budget kept by the estimate is kept by
    the model too.
    """
    return sum(1 if not piece[0].isalnum() else -(-len(piece) // 4)
               for piece in _PIECES.findall(text))


def hf_token_counter(tokenizer_path: str) -> TokenCounter:
    """Return a counter using a Hugging Face tokenizer from a local folder."""
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path, local_files_only=True)

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))
    return count


def memory_block(hit: ScoredRecord) -> str:
    """Format one memory as a delimited block of JSON data."""
    record = hit.record
    data = {
        'id': record.id,
        'time': datetime.fromtimestamp(record.timestamp, timezone.utc).isoformat(
            timespec='seconds'),
        'pose': None if record.pose is None else {
            'x': round(record.pose.x, 2), 'y': round(record.pose.y, 2),
            'yaw': round(record.pose.yaw, 2)},
        'tags': record.tags,
        'seen_count': record.seen_count,
        'text': record.text,
    }
    body = json.dumps(data, ensure_ascii=False).replace('<', '\\u003c').replace('>', '\\u003e')
    return f'<memory id="{record.id}">{body}</memory>'


@dataclass
class RagContext:
    """The context text and its accounting."""

    text: str = ''
    used_ids: list[str] = field(default_factory=list)
    tokens_used: int = 0
    token_budget: int = 0
    dropped_ids: list[str] = field(default_factory=list)


class ContextBuilder:
    """Packs ranked memories into a context that fits a token budget."""

    def __init__(self, token_budget: int, count_tokens: TokenCounter | None = None) -> None:
        self.token_budget = token_budget
        self.count_tokens = count_tokens or estimate_tokens

    def build(self, hits: Sequence[ScoredRecord]) -> RagContext:
        """Return the context of as many top hits as the budget holds."""
        context = RagContext(token_budget=self.token_budget)
        blocks = []
        for hit in hits:
            block = memory_block(hit)
            tokens = self.count_tokens(block + '\n')
            if context.tokens_used + tokens > self.token_budget:
                context.dropped_ids.append(hit.record.id)
                continue
            blocks.append(block)
            context.used_ids.append(hit.record.id)
            context.tokens_used += tokens
        context.text = '\n'.join(blocks)
        return context
