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
The recall evaluation's report: tables with 95% intervals, the targets checked, a plot.

Targets are the issue's: ``hybrid+rules`` fixes at least half of ``dense``'s success@1 misses
overall and two thirds on where_now, when_last and temporal; success@10 no lower in any
category; unanswerable_refused at least 0.9. A target that is not met is written as not met.
"""

import pathlib
from typing import Any

from shadowhound_memory.evaluation.recall_missions import CATEGORIES

PLOT = 'recall.png'
FIX_TARGETS = {'overall': 0.5, 'where_now': 2 / 3, 'when_last': 2 / 3, 'temporal': 2 / 3}


def fixed_share(after: float, before: float) -> float | None:
    """Return the share of ``before``'s misses that ``after`` fixes; None with no misses."""
    return None if before >= 1.0 else (after - before) / (1.0 - before)


def targets(arms: dict[str, Any], arm: str = 'hybrid+rules',
            baseline: str = 'dense') -> dict[str, Any]:
    """Return the issue's targets for ``arm`` against ``baseline``, each with its verdict."""
    if arm not in arms or baseline not in arms:
        return {}
    ours, base = arms[arm], arms[baseline]
    checks: dict[str, Any] = {}
    for scope, wanted in FIX_TARGETS.items():
        after = ours['success_at_1'] if scope == 'overall' else \
            ours['by_category'][scope]['success_at_1']
        before = base['success_at_1'] if scope == 'overall' else \
            base['by_category'][scope]['success_at_1']
        share = fixed_share(after, before)
        checks[f'fixed_share_{scope}'] = {
            'value': None if share is None else round(share, 3), 'target': round(wanted, 3),
            'met': share is not None and share >= wanted}
    lower = [c for c in CATEGORIES if c != 'unanswerable' and
             ours['by_category'][c]['success_at_10'] < base['by_category'][c]['success_at_10']]
    checks['success_at_10_no_lower'] = {'lower_in': lower, 'met': not lower}
    checks['unanswerable_refused'] = {'value': ours['unanswerable_refused'], 'target': 0.9,
                                      'met': ours['unanswerable_refused'] >= 0.9}
    return checks


def _plot(arms: dict[str, Any], out: pathlib.Path) -> str | None:
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = list(arms)
    fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    width = 0.8 / max(1, len(names))
    for row, metric in enumerate(('success_at_1', 'success_at_10')):
        axis = axes[row]
        for n, name in enumerate(names):
            values = [arms[name]['by_category'][c][metric] for c in CATEGORIES]
            axis.bar([i + n * width for i in range(len(CATEGORIES))], values, width, label=name)
        axis.set_ylabel(metric.replace('_at_', '@'))
        axis.set_ylim(0, 1)
        axis.grid(axis='y', alpha=0.3)
    axes[1].set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(CATEGORIES))])
    axes[1].set_xticklabels(CATEGORIES, rotation=20)
    axes[0].legend(ncol=len(names), fontsize=8, loc='upper right')
    axes[0].set_title('Recall on held-out missions, by category (unanswerable: refused)')
    fig.tight_layout()
    fig.savefig(out / PLOT, dpi=110)
    plt.close(fig)
    return PLOT


def _fmt(value: Any) -> str:
    return '-' if value is None else f'{value:.3f}'


def write_report(results: dict[str, Any], details: dict[str, Any],
                 out: pathlib.Path) -> pathlib.Path:
    """Write recall.md (and recall.png when matplotlib is there); return the page's path."""
    arms = results['arms']
    measured = dict(details['arms'])
    lines = ['# Recall on held-out missions', '',
             'Written by `make eval-recall` (shadowhound_memory/evaluation/recall_eval.py); how '
             'the set is built and why it is held out: docs/recall-eval.md.', '']
    missions = details.get('missions', [])
    if missions:
        lines += [f'{len(missions)} missions, '
                  f"{sum(m['memories'] for m in missions)} memories stored "
                  f"(per mission {min(m['memories'] for m in missions)}-"
                  f"{max(m['memories'] for m in missions)}, from "
                  f"{sum(m['reports'] for m in missions)} reports), "
                  f"{sum(m['questions'] for m in missions)} questions. "
                  'Qdrant Edge on disk, MiniLM, through MemoryService.', '']
    lines += ['| arm | questions | success@1 | success@5 | success@10 | answer correct | '
              'unanswerable refused | recall p50 ms |', '|---|---|---|---|---|---|---|---|']
    for name, extra in measured.items():
        cells = [f"{extra[m]['value']:.3f} [{extra[m]['ci95'][0]:.2f}, {extra[m]['ci95'][1]:.2f}]"
                 for m in ('success_at_1', 'success_at_5', 'success_at_10', 'answer_correct',
                           'unanswerable_refused')]
        lines.append(f"| {name} | {extra['answer_correct']['n']} | " + ' | '.join(cells)
                     + f" | {extra['recall_ms_p50']:.1f} |")
    lines += ['', 'Brackets: 95% bootstrap intervals over questions. Arms not in this table '
              'were not measured in this run (see below).', '',
              '## By category (success@1 / success@10; unanswerable: refused)', '',
              '| category | ' + ' | '.join(measured) + ' |',
              '|---|' + '---|' * len(measured)]
    for category in CATEGORIES:
        cells = [f"{d['metrics']['by_category'][category]['success_at_1']:.2f} / "
                 f"{d['metrics']['by_category'][category]['success_at_10']:.2f}"
                 for d in measured.values()]
        lines.append(f'| {category} | ' + ' | '.join(cells) + ' |')
    checks = targets(arms)
    if checks:
        lines += ['', '## Targets: hybrid+rules against dense', '']
        for name, check in checks.items():
            verdict = 'met' if check['met'] else 'NOT met'
            shown = {k: v for k, v in check.items() if k != 'met'}
            lines.append(f'- {name}: {verdict} ({shown})')
    if details.get('not_measured'):
        lines += ['', '## Arms not measured', '']
        lines += [f'- {arm}: {why}' for arm, why in details['not_measured'].items()]
    plot = _plot({n: d['metrics'] for n, d in measured.items()}, out)
    if plot:
        lines += ['', f'![success by category]({plot})']
    page = out / 'recall.md'
    page.write_text('\n'.join(lines) + '\n')
    return page
