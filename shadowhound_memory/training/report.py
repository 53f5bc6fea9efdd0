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
The evaluation report: a Markdown page with plots, ending with the rule of thumb applied.

latest.json holds two sets, each with the four arms: in_distribution (missions of the training
generator, other seeds) and ood (the out-of-distribution world no training pair comes from).
Every metric has a 95% bootstrap interval over the set's items. The rule of thumb reads the
out-of-distribution figures: what the adapters do on observations worded like their training data
says little about the robot's. A results dict with 'arms' at the top (one set) is shown as one.
Plots need matplotlib (requirements/train.txt); without it the report has the tables only.
"""

import json
import pathlib
from typing import Any

VALIDITY_RULE = 0.98
PLATEAU_MARGIN = 0.02
ANSWER_RULE = 0.9
QUALITY = ('json_validity', 'field_accuracy', 'success_at_5', 'answer_json_validity',
           'citation_validity', 'groundedness', 'answer_cites_gold')
COST = ('tokens_per_memory', 'writing_prompt_tokens', 'token_budget_use')
SETS = {'ood': 'Out of distribution', 'in_distribution': 'In distribution'}
LABELS = {
    'json_validity': 'JSON validity (writing)', 'json_parse_rate': 'parses as JSON',
    'truncation_rate': 'truncated', 'field_accuracy': 'field accuracy',
    'event_accuracy': 'event accuracy', 'tags_f1': 'tags F1', 'text_recall': 'text recall',
    'success_at_5': 'success@5 (own memories)', 'answer_json_validity': 'JSON validity (recall)',
    'citation_validity': 'citations valid', 'groundedness': 'groundedness',
    'answer_cites_gold': 'cites an answering memory', 'tokens_per_memory': 'tokens per memory',
    'writing_prompt_tokens': 'writing prompt tokens', 'token_budget_use': 'recall prompt / budget',
}


def _fmt(value: Any) -> str:
    if value is None:
        return 'n/a'
    if isinstance(value, float):
        return f'{value:.3f}' if abs(value) < 10 else f'{value:.1f}'
    return str(value)


def _cell(metrics: dict[str, Any] | None, key: str) -> str:
    """Return a table cell: the value and, when known, its 95% interval."""
    metrics = metrics or {}
    interval = (metrics.get('ci95') or {}).get(key)
    value = _fmt(metrics.get(key))
    if interval is None or metrics.get(key) is None:
        return value
    return f'{value} [{_fmt(interval[0])}, {_fmt(interval[1])}]'


def sets_of(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return (set name, set results) in report order: ood first, then in distribution."""
    if 'arms' in results:
        return [('in_distribution', results)]
    return [(name, results[name]) for name in SETS if results.get(name)]


def _plots(results: dict[str, Any], out: pathlib.Path) -> list[str]:
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    sets = sets_of(results)
    arms = [a for a in sets[0][1]['arms'] if any(r['arms'].get(a) for _, r in sets)]
    names = []
    width = 0.8 / len(sets)
    for filename, wanted, title in (('quality.png', QUALITY, 'Quality (higher is better)'),
                                    ('cost.png', COST, 'Cost (lower is better)')):
        keys = [k for k in wanted if any((r['arms'].get(a) or {}).get(k) is not None
                                         for _, r in sets for a in arms)]
        if not keys:
            continue
        fig, axes = plt.subplots(1, len(keys), figsize=(2.4 * len(keys) + 1, 3.4), squeeze=False)
        for ax, key in zip(axes[0], keys):
            top = 1.0
            for n, (name, data) in enumerate(sets):
                metrics = [data['arms'].get(a) or {} for a in arms]
                values = [m.get(key) or 0.0 for m in metrics]
                intervals = [(m.get('ci95') or {}).get(key) or [v, v]
                             for m, v in zip(metrics, values)]
                errors = [[max(0.0, v - i[0]) for v, i in zip(values, intervals)],
                          [max(0.0, i[1] - v) for v, i in zip(values, intervals)]]
                ax.bar([x + (n - (len(sets) - 1) / 2) * width for x in range(len(arms))],
                       values, width, yerr=errors, capsize=2, label=SETS[name],
                       color=['#b52', '#9aa'][n % 2])
                top = max(top, max(i[1] for i in intervals) * 1.1)
            ax.set_title(LABELS.get(key, key), fontsize=8)
            ax.set_xticks(range(len(arms)), arms, rotation=60, fontsize=7)
            if key not in COST or key == 'token_budget_use':
                ax.set_ylim(0, top)
        axes[0][0].legend(fontsize=6)
        fig.suptitle(f'{title}; bars: 95% bootstrap intervals', fontsize=10)
        fig.tight_layout()
        fig.savefig(out / filename, dpi=90)
        plt.close(fig)
        names.append(filename)
    return names


def _ci(metrics: dict[str, Any], key: str) -> str:
    interval = (metrics.get('ci95') or {}).get(key)
    return '' if not interval else f' (95% interval {interval[0]:.2f}-{interval[1]:.2f})'


def recommendation(results: dict[str, Any]) -> list[str]:
    """Apply the rule of thumb to the measured base arms; return the report's closing lines."""
    arms = results['arms']
    base = [arms.get(a) or {} for a in ('base+prompt', 'base+schema')]
    validity = [b['json_validity'] for b in base if b.get('json_validity') is not None]
    success = [b['success_at_5'] for b in base if b.get('success_at_5') is not None]
    grounded = [b['groundedness'] for b in base if b.get('groundedness') is not None]
    cites = [b['answer_cites_gold'] for b in base if b.get('answer_cites_gold') is not None]
    ceiling = results['reference'].get('success_at_5_gold_memories')
    lines = []
    if not validity:
        return ['No base arm was measured: no recommendation.']
    best_validity = max(validity)
    best_arm = next(a for a in ('base+prompt', 'base+schema')
                    if (arms.get(a) or {}).get('json_validity') == best_validity)
    spread = _ci(arms.get(best_arm) or {}, 'json_validity')
    if best_validity < VALIDITY_RULE:
        lines.append(f'- **Add a writing adapter**: the best base arm ({best_arm}) writes '
                     f'valid JSON {best_validity:.1%} of the time{spread}, under the '
                     f'{VALIDITY_RULE:.0%} rule.')
    else:
        lines.append(f'- Writing: stay with prompting; the best base arm ({best_arm}) writes '
                     f'valid JSON {best_validity:.1%} of the time{spread}, meeting the '
                     f'{VALIDITY_RULE:.0%} rule.')
    if success and ceiling is not None:
        plateau = max(success) >= ceiling - PLATEAU_MARGIN
        weak = bool(grounded and cites) and min(max(grounded), max(cites)) < ANSWER_RULE
        if plateau and weak:
            short = ' and '.join(f'{label} {value:.2f}' for label, value in (
                ('groundedness', max(grounded)), ('answers citing an answering memory',
                                                  max(cites))) if value < ANSWER_RULE)
            lines.append(f'- **Add a recall adapter**: success@5 has plateaued ({max(success):.2f}'
                         f' against {ceiling:.2f} with gold memories), so retrieval is not what '
                         f'holds answers back, and the best base arms stay under the '
                         f'{ANSWER_RULE:.2f} bar: {short}.')
        elif plateau:
            lines.append(f'- Recall: stay with prompting; success@5 has plateaued '
                         f'({max(success):.2f}, gold memories {ceiling:.2f}) and base answers '
                         f'meet the {ANSWER_RULE:.0%} grounding bar.')
        else:
            lines.append(f'- Recall: no recall adapter yet; success@5 ({max(success):.2f}) has '
                         f'not plateaued (gold memories reach {ceiling:.2f}), so better memories '
                         'come first.')
    adapted = arms.get('adapter+schema') or arms.get('adapter+prompt') or {}
    base_accuracy = [b['field_accuracy'] for b in base if b.get('field_accuracy') is not None]
    if base_accuracy and adapted.get('field_accuracy') is not None and \
            adapted['field_accuracy'] > max(base_accuracy) + 0.1:
        base_prompt = base[0].get('writing_prompt_tokens') or 0.0
        saving = (f", on {adapted['writing_prompt_tokens']:.0f} prompt tokens instead of "
                  f'{base_prompt:.0f}') if adapted.get('writing_prompt_tokens') else ''
        best_base = max((b for b in base if b.get('field_accuracy') is not None),
                        key=lambda b: b['field_accuracy'])
        lines.append(f"- Beyond the rule, which looks at validity only: the writing adapter's "
                     f"field accuracy is {adapted['field_accuracy']:.2f}"
                     f"{_ci(adapted, 'field_accuracy')} against "
                     f"{max(base_accuracy):.2f}{_ci(best_base, 'field_accuracy')} for the best "
                     f'base arm{saving}. Valid JSON is not yet a right memory.')
    return lines


def _samples(results: dict[str, Any]) -> list[str]:
    """Return what each arm wrote for the first observation and question, verbatim."""
    samples = results.get('samples') or {}
    if not samples:
        return []
    lines = ['### What the arms wrote (first observation and question)', '']
    for task, key in (('writing', 'input'), ('recall', 'question')):
        first = next((s[task][0] for s in samples.values() if s.get(task)), None)
        if first is None:
            continue
        shown = first[key].replace('\n', ' | ')
        lines += [f'{task} input: `{shown[:300]}`', '', '| arm | status | output |',
                  '| --- | --- | --- |']
        for arm, sample in samples.items():
            if sample.get(task):
                out = sample[task][0]['output'].replace('\n', ' ').replace('|', '\\|')
                lines.append(f"| {arm} | {sample[task][0]['status']} | `{out[:240]}` |")
        lines.append('')
    return lines


def _table(data: dict[str, Any]) -> list[str]:
    arms = list(data['arms'])
    keys = [k for k in LABELS if any((data['arms'][a] or {}).get(k) is not None for a in arms)]
    table = ['| metric | ' + ' | '.join(arms) + ' |', '| --- |' + ' ---: |' * len(arms)]
    for key in keys:
        table.append(f'| {LABELS[key]} | ' + ' | '.join(
            _cell(data['arms'][a], key) for a in arms) + ' |')
    return table


def _set_section(name: str, data: dict[str, Any]) -> list[str]:
    ref = data['reference']
    measured = [m for m in data['arms'].values() if m]
    first: dict[str, Any] = measured[0] if measured else {}
    ceiling = _fmt(ref.get('success_at_5_gold_memories'))
    interval = ref.get('success_at_5_gold_memories_ci95')
    if interval:
        ceiling += f' [{_fmt(interval[0])}, {_fmt(interval[1])}]'
    return [f'## {SETS[name]}', '',
            f"Missions {', '.join(ref.get('missions', []))}: "
            f"{first.get('writing_items', 0)} observations written and "
            f"{first.get('questions', 0)} questions asked per arm, "
            f"{first.get('recall_items', 0)} recall answers.", ''] + _table(data) + [
            '', 'success@5 with the gold memories stored (the ceiling good writing can reach): '
            f'{ceiling}.', ''] + _samples(data)


def write_report(results: dict[str, Any], out: str | pathlib.Path) -> pathlib.Path:
    """Write report.md (and PNG plots when matplotlib is there); return its path."""
    out = pathlib.Path(out)
    sets = sets_of(results)
    plots = _plots(results, out)
    ref = results.get('reference', {})
    lines = [
        '# Adapter evaluation', '',
        f"Generation: {ref.get('generation', '?')}. Base arms use the few-shot prompt, adapter "
        'arms the plain one; schema arms decode under the JSON Schema. Each figure is the mean '
        'over items with its 95% bootstrap interval in brackets.', '']
    if len(sets) > 1:
        lines += [
            'Two test sets. In distribution: missions of the generator the training pairs come '
            'from, other seeds (its questions and sentences recur in the training files). Out '
            'of distribution: a separate world (other rooms, objects, colours, sentence shapes, '
            'detector labels with confidences, operator notes, other question shapes) from '
            'which no training pair is made; the dataset fails its leak check if any of its '
            'texts appears in a training or dev file. The rule of thumb reads the out of '
            'distribution figures.', '']
    lines += [f'![{p}]({p})' for p in plots] + ([''] if plots else [])
    for name, data in sets:
        lines += _set_section(name, data)
    if 'arms' not in results:
        for name, label in SETS.items():
            if not results.get(name):
                lines += [f'## {label}', '', 'Not measured: the run stopped before this set.', '']
    lines += [
        'How to read it: JSON validity counts drafts that parse and pass the record schema '
        '(truncated ones fail); field accuracy is the mean of event match, tag F1 and the '
        "gold text's content words kept; success@5 stores each arm's own valid drafts and asks "
        'the gold questions through MemoryService (an invalid draft leaves no memory). Recall '
        'answers are asked over the same retrieved gold memories in every arm; groundedness is '
        'the share of answer clauses whose content words are at least half found in the cited '
        'memories (a weak-supervision check, not a judge).', '']
    for task in ('writing', 'recall'):
        card = (ref.get('adapters') or {}).get(task)
        if card:
            hp = card['hyperparameters']
            lines.append(f"- {task} adapter: r {hp['r']}, alpha {hp['alpha']}, lr {hp['lr']}, "
                         f"effective batch {hp['effective_batch']}, "
                         f"{card['metrics'].get('steps')} steps, best dev loss "
                         f"{_fmt(card['metrics'].get('best_eval_loss'))}, "
                         f"{card['metrics'].get('train_seconds')} s of training")
    ruled_name, ruled = sets[0]
    lines += ['', f'## Rule of thumb, applied to the measured base arms ({SETS[ruled_name]})',
              '',
              'Add a writing adapter when base JSON validity is under 98%, a recall adapter when '
              'success@k plateaus (here: base memories retrieve within 2 points of gold ones) '
              'while answers still fall short; otherwise stay with prompting.', '']
    lines += recommendation(ruled)
    path = out / 'report.md'
    path.write_text('\n'.join(lines) + '\n')
    return path


def main() -> int:
    """Re-render report.md from an existing latest.json (python -m ...report FOLDER)."""
    import sys
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else 'eval/results')
    print(write_report(json.loads((out / 'latest.json').read_text()), out))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
