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
Print the benchmark results as Markdown tables, or write them into docs/benchmarks.md.

    python bench/report.py           # reads bench/results/core.json, node.json and llm.json
    python bench/report.py --write   # regenerates docs/benchmarks.md from the same files
"""

import argparse
import json
import pathlib
from typing import Any

RESULTS = pathlib.Path(__file__).resolve().parent / 'results'
DOC = RESULTS.parent.parent / 'docs' / 'benchmarks.md'


def _f(value: Any, spec: str = '.1f') -> str:
    return '-' if value is None else format(value, spec)


def core_table(core: dict) -> str:
    """Return the ours-vs-Chroma table of bench-core, with the embedding and quantization."""
    lines = ['| memories | store | ingest /s | recall p50 ms | recall p95 ms | filtered p50 ms '
             '| search only p50 ms | index build s | reopen s | RSS MB |',
             '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    names = (('shadowhound (Qdrant Edge, ONNX)', None), ('shadowhound, int8 store', 'ours_int8'),
             ('Chroma (torch MiniLM)', 'chroma'))
    for row in core['sizes']:
        for name, key in names:
            figures = row if key is None else row.get(key)
            if not figures:
                continue
            note = ' (cut short)' if 'cut_short_after_s' in figures else ''
            lines.append(
                f"| {row['n']:,} | {name}{note} | {figures['ingest_per_s']:,.0f} | "
                f"{_f(figures.get('recall_p50_ms'))} | {_f(figures.get('recall_p95_ms'))} | "
                f"{_f(figures.get('recall_filtered_p50_ms'))} | "
                f"{_f(figures.get('search_p50_ms'), '.2f')} | "
                f"{_f(figures.get('index_build_s'))} | {_f(figures.get('reopen_s'), '.2f')} | "
                f"{figures['rss_mb']:,.0f} |")
    if 'embedding' not in core:
        return '\n'.join(lines)
    lines += ['', '| query embedding | p50 ms | p95 ms | mean cosine to torch | '
              'top-10 overlap with torch |', '| --- | ---: | ---: | ---: | ---: |']
    for kind in ('torch', 'onnx', 'onnx_int8'):
        e = core['embedding'][kind]
        lines.append(f"| {kind} | {e['query_p50_ms']:.2f} | {e['query_p95_ms']:.2f} | "
                     f"{e['mean_cosine_to_torch']:.4f} | {e['top10_overlap_with_torch']:.3f} |")
    quant = core['store_quantization']
    lines += ['', f"Store quantization, success@10 of {quant['questions']} gold questions among "
              f"{quant['memories']:,} memories (in the question's mission / whole store):", '',
              '| search | in mission | whole store |', '| --- | ---: | ---: |']
    for key, name in (('exact', 'exact'), ('hnsw_fp32', 'HNSW, fp32'),
                      ('hnsw_int8', 'HNSW, int8 + rescoring')):
        lines.append(f"| {name} | {quant[key]['success_at_10_in_mission']:.1f} | "
                     f"{quant[key]['success_at_10_whole_store']:.1f} |")
    lines += ['', 'Targets: ' + ', '.join(f'{k} = {_target(v)}'
                                          for k, v in core['targets'].items())]
    return '\n'.join(lines)


def _target(value: Any) -> str:
    return f'{value:.2f}' if isinstance(value, float) else str(value)


def node_table(node: dict) -> str:
    """Return the bench-node table, each figure beside the torch provider's in the same run."""
    base = node.get('baseline_torch_provider')
    lines = [f"Cold start to services ready: {node['cold_start_s']:.1f} s. Topic ingest: "
             f"{node['ingest_per_s']:.0f} observations/s ({node['observations_stored']} of "
             f"{node['observations_published']} published at "
             f"{node.get('publish_rate_target_per_s', 0):.0f}/s stored, {node['dropped']} "
             'dropped).']
    if base:
        lines += ['', '| figure | ONNX provider (default) | torch provider (same run) | '
                  'before (issue) |', '| --- | ---: | ---: | ---: |']
        issue = node['baseline_issue']
        torch_100k = next((r for r in base['recall'] if r['n'] == 100_000), {})
        lines += [
            f"| query embedding p50 ms | {node['query_embedding_ms']:.2f} | "
            f"{node['query_embedding_torch_ms']:.2f} | {issue['query_embedding_torch_ms']} |",
            f"| topic ingest obs/s (dropped) | {node['ingest_per_s']:.0f} ({node['dropped']}) | "
            f"{base['ingest_per_s']:.0f} ({base['dropped']}) | {issue['ingest_per_s']} |",
            f"| cold start, empty store, s | {node['cold_start_s']:.1f} | "
            f"{base['cold_start_s']:.1f} | {issue['cold_start_s']} |",
            f"| cold start, 100k memories, s | {_f(node.get('cold_start_s_100k'))} | "
            f"{_f(torch_100k.get('cold_start_s'))} | - |",
            '| cold start, 100k memories not yet indexed, s | '
            f"{_f(node.get('cold_start_s_100k_unindexed'))} | - | 77 s index build + start |",
            f"| node RSS, 100k memories, MB | {_f(node.get('rss_mb_100k'), '.0f')} | "
            f"{_f(torch_100k.get('rss_mb'), '.0f')} | {issue['rss_mb_100k']} |"]
    lines += ['', '| memories | provider | cold start s | Recall round trip p50 ms | p95 ms | '
              'inside the node p50 ms | DDS overhead p50 ms | node RSS MB |',
              '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |']
    rows = node['recall'] + (base['recall'] if base else [])
    for row in rows:
        lines.append(f"| {row['n']:,} | {row.get('provider', 'torch')} | "
                     f"{_f(row.get('cold_start_s'))} | {row['recall_rtt_p50_ms']:.1f} | "
                     f"{row['recall_rtt_p95_ms']:.1f} | {row['node_recall_p50_ms']:.1f} | "
                     f"{row['dds_overhead_p50_ms']:.2f} | {row['rss_mb']:,.0f} |")
    if 'targets' in node:
        lines += ['', 'Targets: ' + ', '.join(f'{k} = {_target(v)}'
                                              for k, v in node['targets'].items())]
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


def tables() -> str:
    """Return the tables of every results file present."""
    parts = []
    for name, title, render in (('core.json', 'Memory core (`make bench-core`)', core_table),
                                ('node.json', 'Memory node (`make bench-node`)', node_table),
                                ('llm.json', 'LLM writing (`make bench-llm`)', llm_table)):
        path = RESULTS / name
        if path.exists():
            parts.append(f'## {title}\n\n{render(json.loads(path.read_text()))}\n')
    return '\n'.join(parts)


def main() -> int:
    """Print the tables, or write them into docs/benchmarks.md between its markers."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--write', action='store_true', help=f'regenerate {DOC.name}')
    args = parser.parse_args()
    text = tables()
    if not args.write:
        print(text)
        return 0
    begin, end = '<!-- tables: bench/report.py --write -->', '<!-- end of tables -->'
    doc = DOC.read_text()
    head, _, rest = doc.partition(begin)
    _, _, tail = rest.partition(end)
    DOC.write_text(f'{head}{begin}\n{text}{end}{tail}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
