"""Run the official VIPSeg / VSPW / YouTube-VIS scorers and ``tools/eval_offline.py`` on the
same files, timing each as a fresh process (what a user runs) and reading back its numbers.

The official code is not part of this repository: pass the folders of its checkouts. Each run
works on copies in a scratch folder; the shims (applied to the copies, never to the
checkouts) are: ``VC_perclip.py``'s hard-coded ``DIR`` / ``Pred`` / ``split`` / ``clip_num``
set to the inputs (once with 8, once with 16); the VSPW ``Evaluator`` (``utils.py``) driven
the way its ``test.py`` feeds it (``label - 1``, so "others" and void fall outside 0..123);
``ytvos.py`` / ``ytvoseval.py`` importing ``mask`` from the installed pycocotools (the
checkout's C extension is not built) and run under numpy 2 with ``np.float = float`` and an
integer ``num`` for ``np.linspace``. The VIPSeg scripts run unchanged.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ['find_file', 'official_vipseg', 'official_vspw', 'official_ytvis', 'ours']

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
_FLOAT = r'[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?'


def find_file(root: str, name: str) -> Path:
    """The one file called ``name`` under ``root`` (``ValueError`` naming what is missing)."""
    hits = sorted(Path(root).rglob(name))
    if not hits:
        raise ValueError(f'{root}: no {name} found (expected a checkout of the official code)')
    return hits[0]


def _run(cmd: list[str], cwd: str | Path, what: str) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f'{what} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}')
    return seconds, proc.stdout


def _grab(pattern: str, text: str, what: str) -> float:
    found = re.findall(pattern, text)
    if not found:
        raise RuntimeError(f'{what}: no line matching {pattern!r} in its output')
    return float(found[-1])


def official_vipseg(checkout: str, data: dict, scratch: Path) -> tuple[dict, dict]:
    """VPQ (``eval_vpq_vspw.py``, its default 8 processes) and STQ (``eval_stq_vspw.py``)."""
    work = scratch / 'vipseg_official'
    work.mkdir(parents=True, exist_ok=True)
    for name in ('eval_vpq_vspw.py', 'eval_stq_vspw.py', 'segmentation_and_tracking_quality.py'):
        shutil.copy(find_file(checkout, name), work / name)
    args = ['--submit_dir', str(data['pred_dir']), '--truth_dir', str(data['gt_root']),
            '--pan_gt_json_file', str(data['gt_json'])]
    t_vpq, out = _run([sys.executable, 'eval_vpq_vspw.py', *args], work, 'eval_vpq_vspw.py')
    rows = [tuple(map(float, m)) for m in re.findall(
        rf'^({_FLOAT}) ({_FLOAT}) ({_FLOAT})$', out, re.M)]
    if len(rows) != 5:
        raise RuntimeError(f'eval_vpq_vspw.py: expected 5 lines of VPQ values, got {rows}')
    res: dict[str, float] = {}
    for k, (a, th, st) in zip((1, 2, 4, 6, 8), rows):
        res.update({f'VPQ@{k}': a, f'VPQ_thing@{k}': th, f'VPQ_stuff@{k}': st})
    for j, name in enumerate(('VPQ', 'VPQ_thing', 'VPQ_stuff')):
        res[name] = sum(r[j] for r in rows) / len(rows)  # the script's sum(v) / len(v)
    t_stq, out = _run([sys.executable, 'eval_stq_vspw.py', *args], work, 'eval_stq_vspw.py')
    res['STQ'] = 100 * _grab(rf'STQ : ({_FLOAT})', out, 'eval_stq_vspw.py')
    res['AQ'] = 100 * _grab(rf'AQ :({_FLOAT})', out, 'eval_stq_vspw.py')
    res['SQ'] = 100 * _grab(rf'IoU:({_FLOAT})', out, 'eval_stq_vspw.py')
    return res, dict(vpq=t_vpq, stq=t_stq)


_MIOU_DRIVER = '''import os, sys
import numpy as np
from PIL import Image
sys.path.insert(0, sys.argv[1])
from utils import Evaluator
gt_root, pred_root, split = sys.argv[2:5]
ev = Evaluator(124)
for video in [v.strip() for v in open(split) if v.strip()]:
    for name in sorted(os.listdir(os.path.join(gt_root, 'data', video, 'mask'))):
        gt = np.array(Image.open(os.path.join(gt_root, 'data', video, 'mask', name))).astype(int)
        pred = np.array(Image.open(os.path.join(pred_root, video, name)))
        ev.add_batch(gt - 1, pred)
print('mIoU', ev.Mean_Intersection_over_Union())
'''


def official_vspw(checkout: str, data: dict, scratch: Path) -> tuple[dict, dict]:
    """VC8 / VC16 (``VC_perclip.py``, once per window) and mIoU (``utils.Evaluator``)."""
    work = scratch / 'vspw_official'
    work.mkdir(parents=True, exist_ok=True)
    source = find_file(checkout, 'VC_perclip.py').read_text()
    res, times = {}, {}
    for n in (8, 16):
        text = re.sub(r'^DIR\s*=.*$', f'DIR = {str(data["gt_root"])!r}', source, flags=re.M)
        text = re.sub(r'^Pred\s*=.*$', f'Pred = {str(data["pred_root"])!r}', text, flags=re.M)
        text = re.sub(r'^split\s*=.*$', f'split = {Path(data["split"]).name!r}', text, flags=re.M)
        text = re.sub(r'^clip_num\s*=.*$', f'clip_num = {n}', text, flags=re.M)
        (work / f'vc{n}.py').write_text(text)
        times[f'vc{n}'], out = _run([sys.executable, f'vc{n}.py'], work, 'VC_perclip.py')
        res[f'VC{n}'] = 100 * _grab(rf'VC{n} score: ({_FLOAT})', out, 'VC_perclip.py')
    utils_dir = find_file(checkout, 'VC_perclip.py').parent
    (work / 'miou.py').write_text(_MIOU_DRIVER)
    times['miou'], out = _run([sys.executable, 'miou.py', str(utils_dir), str(data['gt_root']),
                               str(data['pred_root']), str(data['split'])], work,
                              'VSPW Evaluator')
    res['mIoU'] = 100 * _grab(rf'mIoU ({_FLOAT})', out, 'VSPW Evaluator')
    return res, times


_YTVIS_DRIVER = '''import json, sys
import numpy as np
np.float = float
_linspace = np.linspace
np.linspace = lambda start, stop, num=50, *a, **k: _linspace(start, stop, int(num), *a, **k)
from ytvos_official.ytvos import YTVOS
from ytvos_official.ytvoseval import YTVOSeval
gt = YTVOS(sys.argv[1])
dt = gt.loadRes(sys.argv[2])
ev = YTVOSeval(gt, dt, 'segm')
ev.evaluate()
ev.accumulate()
ev.summarize()
print('STATS', json.dumps([float(s) for s in ev.stats]))
'''
YTVIS_STATS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs',
               'ARm', 'ARl')


def official_ytvis(checkout: str, data: dict, scratch: Path) -> tuple[dict, dict]:
    """AP / AR of the official ``ytvos.py`` + ``ytvoseval.py`` (single process)."""
    pkg = scratch / 'ytvis_official' / 'ytvos_official'
    pkg.mkdir(parents=True, exist_ok=True)
    for name in ('ytvos.py', 'ytvoseval.py'):
        shutil.copy(find_file(checkout, name), pkg / name)
    (pkg / '__init__.py').write_text('')
    (pkg / 'mask.py').write_text('from pycocotools.mask import *  # noqa: F401,F403\n')
    (pkg.parent / 'run.py').write_text(_YTVIS_DRIVER)
    seconds, out = _run([sys.executable, 'run.py', str(data['gt_json']), str(data['pred_json'])],
                        pkg.parent, 'ytvoseval.py')
    stats = json.loads(re.findall(r'^STATS (.*)$', out, re.M)[-1])
    res = {k: (-1.0 if v < 0 else 100 * v) for k, v in zip(YTVIS_STATS, stats)}
    return res, dict(ytvis=seconds)


def ours(dataset: str, data: dict, scratch: Path, extra: tuple[str, ...] = ()
         ) -> tuple[dict[str, Any], float]:
    """Scores (percent) and seconds of one ``tools/eval_offline.py`` run, default options."""
    out = scratch / f'ours_{dataset}.json'
    flags = {'vipseg': ('--gt-json', 'gt_json', '--gt-root', 'gt_root', '--pred-json',
                        'pred_json', '--pred-root', 'pred_root'),
             'vspw': ('--gt-root', 'gt_root', '--pred-root', 'pred_root', '--split', 'split'),
             'ytvis': ('--gt-json', 'gt_json', '--pred-json', 'pred_json')}[dataset]
    cmd = [sys.executable, osp.join(_REPO, 'tools', 'eval_offline.py'), dataset]
    for flag, key in zip(flags[::2], flags[1::2]):
        cmd += [flag, str(data[key])]
    env_cmd = cmd + list(extra) + ['--out', str(out)]
    seconds, _ = _run(env_cmd, os.getcwd(), f'eval_offline.py {dataset}')
    return json.loads(out.read_text()), seconds
