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
A nearly full disk under a running node: a real, size-limited file system, not a simulation.

The phase runs in a private mount namespace (`unshare -rm`, which needs no root where user
namespaces are enabled) with a 192 MB tmpfs as the store's disk. The node stores a baseline, then
a ballast file leaves it a few MB above its reserve (store_min_free_mb=64) and writes go on until
the node refuses them. Checked: refusals are success=false with the reason, the node stays up
and keeps answering recalls, writes work again once the ballast is gone, and a new process that
opens the store afterwards finds every acknowledged write, unchanged, and none of the refused.

    python bench/chaos/diskfull.py WORKDIR   (inside `unshare -rm`; prints the figures as JSON)
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
from typing import Any

from common import dump_store, NodeProcess, Probe
from durability import make_records, MISSION
from shadowhound_memory.srv import Recall, WriteMemory

# Edge takes disk in steps (32 MB vector chunks, about 58 MB for the segment it makes when a
# written store is loaded), so the reserve must exceed them; the node's default is 100 MB.
TMPFS_MB = 192
RESERVE_MB = 64


def unshare_works() -> str | None:
    """Return None when a private tmpfs can be mounted here, else the reason it cannot."""
    if shutil.which('unshare') is None:
        return 'no unshare command'
    probe = subprocess.run(['unshare', '-rm', 'sh', '-c',
                            'd=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" && '
                            'umount "$d" && rmdir "$d"'], capture_output=True, text=True)
    return None if probe.returncode == 0 else f'unshare -rm tmpfs failed: {probe.stderr[:200]}'


def run_disk_full(workdir: pathlib.Path, baseline: int = 200, headroom_mb: float = 4.0,
                  log: Any = print) -> dict[str, Any]:
    """
    Run the phase in a private mount namespace; return its figures (or why it was skipped).

    ``baseline`` writes come before the ballast, which leaves ``headroom_mb`` above the reserve.
    """
    reason = unshare_works()
    if reason is not None:
        return {'skipped': reason}
    here = str(pathlib.Path(__file__).resolve().parent)
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(
        p for p in (here, os.environ.get('PYTHONPATH', '')) if p)}
    result = subprocess.run(['unshare', '-rm', sys.executable, __file__, str(workdir),
                             str(baseline), str(headroom_mb)],
                            capture_output=True, text=True, timeout=600, env=env)
    if result.returncode != 0:
        raise RuntimeError(f'the disk-full phase failed: {result.stderr[-3000:]}')
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def free_mb(path: pathlib.Path) -> float:
    """Return the free space of the file system holding path, in MB."""
    return shutil.disk_usage(path).free / 2**20


def scenario(workdir: pathlib.Path, baseline_writes: int, headroom_mb: float) -> dict[str, Any]:
    """Fill the store's disk under a running node (call inside the mount namespace)."""
    disk = workdir / 'small-disk'
    disk.mkdir(parents=True, exist_ok=True)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={TMPFS_MB}m', 'tmpfs', str(disk)],
                   check=True)
    namespace = 'chaos_diskfull'
    node = NodeProcess(namespace, workdir / 'diskfull-node.log',
                       {'store_path': disk / 'store', 'mission_id': MISSION,
                        'store_min_free_mb': RESERVE_MB})
    probe = Probe('chaos_diskfull_probe')
    records = make_records(4000, seed=11)
    service = f'/{namespace}/write_memory'
    acked: list[int] = []
    refused: list[int] = []
    messages: set[str] = set()

    def write(index: int) -> bool:
        response = probe.call(WriteMemory, service,
                              WriteMemory.Request(record_json=json.dumps(records[index])))
        if response is not None and response.success:
            acked.append(index)
            return True
        refused.append(index)
        messages.add(response.message if response is not None else 'no answer')
        return False

    try:
        node.start()
        probe.wait_ready(Recall, f'/{namespace}/recall',
                         Recall.Request(question='ready?', mission_id=MISSION), node)
        index = 0
        for index in range(baseline_writes):
            write(index)
        baseline = len(acked)
        ballast = disk / 'ballast'
        with ballast.open('wb') as handle:
            os.posix_fallocate(handle.fileno(), 0,
                               int((free_mb(disk) - RESERVE_MB - headroom_mb) * 2**20))
        free_before = free_mb(disk)
        streak = 0
        while streak < 20 and index < 3800:
            index += 1
            streak = 0 if write(index) else streak + 1
        acked_until_full = len(acked) - baseline
        alive_when_full = node.check_alive()
        recall = probe.call(Recall, f'/{namespace}/recall',
                            Recall.Request(question='where is the red ball?', mission_id=MISSION))
        free_when_refused = free_mb(disk)
        ballast.unlink()
        recovered = sum(write(i) for i in range(index + 1, index + 21))
        exit_code = node.stop()
        # A restart on a disk below the reserve must end with the reason, not with SIGBUS.
        with ballast.open('wb') as handle:
            os.posix_fallocate(handle.fileno(), 0,
                               int((free_mb(disk) - RESERVE_MB / 2) * 2**20))
        node.start()
        start_code = node.wait_exit(timeout=120)
        start_refused = start_code == 1 and 'reserve' in node.log.read_text()
        ballast.unlink()
    finally:
        probe.close()
        if node.alive():
            node.kill()
    stored = {r['id']: r for r in dump_store(disk / 'store')}
    lost = [i for i in acked if records[i]['id'] not in stored
            or stored[records[i]['id']]['text'] != records[i]['text']]
    return {
        'file_system': f'tmpfs of {TMPFS_MB} MB in a private mount namespace (unshare -rm)',
        'reserve_mb': RESERVE_MB, 'baseline_writes': baseline,
        'free_mb_after_ballast': round(free_before, 1),
        'acked_until_refused': acked_until_full, 'refused_writes': len(refused),
        'refusal_messages': sorted(messages)[:3],
        'free_mb_when_refused': round(free_when_refused, 1),
        'node_alive_when_full': alive_when_full,
        'recall_ok_when_full': bool(recall is not None and recall.success),
        'writes_ok_after_space_freed': recovered, 'exit_code_after_sigint': exit_code,
        'start_below_reserve_exit_code': start_code,
        'start_below_reserve_refused_with_reason': start_refused,
        'acked_writes': len(acked), 'lost_or_damaged_writes': len(lost),
        'refused_but_stored': sum(1 for i in refused if records[i]['id'] in stored),
        'node_crashes': node.unexpected_exits,
    }


if __name__ == '__main__':
    print(json.dumps(scenario(pathlib.Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))))
