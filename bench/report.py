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
Print the benchmark results as the Markdown tables the README shows.

    python bench/report.py   # reads bench/results/core.json, node.json and llm.json
"""

import json
import pathlib

RESULTS = pathlib.Path(__file__).resolve().parent / 'results'


def core_table(core: dict) -> str:
    """Return the ours-vs-Chroma table of bench-core."""
    lines = ['| memories | store | ingest /s | recall p50 ms | recall p95 ms | filtered p50 ms '
             '| search only p50 ms | store RSS MB |',
             '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |']
    for row in core['sizes']:
        for name, figures in (('shadowhound (Qdrant Edge)', row), ('Chroma', row['chroma'])):
            lines.append(f"| {row['n']:,} | {name} | {figures['ingest_per_s']:,.0f} | "
                         f"{figures['recall_p50_ms']:.1f} | {figures['recall_p95_ms']:.1f} | "
                         f"{figures['recall_filtered_p50_ms']:.1f} | "
                         f"{figures['search_p50_ms']:.2f} | {figures['rss_store_mb']:,.0f} |")
    targets = core['targets_at_largest']
    lines.append('')
    lines.append(f"Query embedding alone: p50 {core['query_embedding_p50_ms']:.1f} ms. At "
                 f"{targets['n']:,} memories our recall p50 is "
                 f"{targets['recall_p50_over_embedding']:.2f}x the embedding time "
                 f"(target <= 1.5x) and Chroma's is "
                 f"{targets['chroma_over_ours_recall_p50']:.2f}x ours (target >= 3x); search "
                 f"alone, Chroma takes {targets['chroma_over_ours_search_p50']:.2f}x ours.")
    return '\n'.join(lines)


def node_table(node: dict) -> str:
    """Return the bench-node table."""
    lines = [f"Cold start to services ready: {node['cold_start_s']:.1f} s. Topic ingest: "
             f"{node['ingest_per_s']:.0f} observations/s ({node['observations_stored']} of "
             f"{node['observations_published']} published at "
             f"{node.get('publish_rate_target_per_s', 0):.0f}/s stored, {node['dropped']} "
             'dropped).', '',
             '| memories | Recall round trip p50 ms | p95 ms | inside the node p50 ms | '
             'DDS overhead p50 ms | node RSS MB |', '| ---: | ---: | ---: | ---: | ---: | ---: |']
    for row in node['recall']:
        lines.append(f"| {row['n']:,} | {row['recall_rtt_p50_ms']:.1f} | "
                     f"{row['recall_rtt_p95_ms']:.1f} | {row['node_recall_p50_ms']:.1f} | "
                     f"{row['dds_overhead_p50_ms']:.2f} | {row['rss_mb']:,.0f} |")
    return '\n'.join(lines)


def llm_table(llm: dict) -> str:
    """Return the bench-llm table: the four writing arms and base-vs-adapter speed."""
    lines = ['| arm | JSON validity | tokens per memory | latency p50 ms | tokens/s |',
             '| --- | ---: | ---: | ---: | ---: |']
    for arm, figures in llm['arms'].items():
        lines.append(f"| {arm} | {figures['json_validity']:.2f} | "
                     f"{figures['tokens_per_memory']:.1f} | {figures['latency_p50_ms']:,.0f} | "
                     f"{figures['tokens_per_s']:.1f} |")
    lines.append('')
    lines.append(f"{llm['observations']} observations per arm, one request at a time. Base model "
                 f"{llm['base']['tokens_per_s']:.1f} tokens/s (p50 "
                 f"{llm['base']['latency_p50_ms']:,.0f} ms), through the adapter "
                 f"{llm['adapter_route']['tokens_per_s']:.1f} tokens/s (p50 "
                 f"{llm['adapter_route']['latency_p50_ms']:,.0f} ms): ratio_adapter_vs_base "
                 f"{llm['ratio_adapter_vs_base']:.2f}. Adapter: {llm['adapter']['kind']}.")
    return '\n'.join(lines)


def main() -> int:
    """Print the tables of every results file present."""
    for name, render in (('core.json', core_table), ('node.json', node_table),
                         ('llm.json', llm_table)):
        path = RESULTS / name
        if path.exists():
            print(render(json.loads(path.read_text())))
            print()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
