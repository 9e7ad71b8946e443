"""Two-process DDP on CPU with gloo: tools/dist_train.sh and dist_test.sh end to end, identical
parameters on both ranks; the Slurm scripts' srun command line; the scripts' usage errors."""
import json
import os
import re
import socket
import stat
import sys

import pytest
import torch

from mvc_plugin.engine import safe_load_checkpoint
from mvc_plugin.engine.hooks import compare_param_digests, load_param_digests, param_digest

from ..conftest import REPO, run_tool, tiny_vis_options

CONFIG = REPO / 'configs' / 'vis_synthetic_quickstart.py'
TOOLS = REPO / 'tools'
SCRIPTS = ('dist_train.sh', 'dist_test.sh', 'slurm_train.sh', 'slurm_test.sh')

needs_gloo = pytest.mark.skipif(not torch.distributed.is_gloo_available(),
                                reason='torch.distributed has no gloo backend in this build')


def _ok(proc):
    assert proc.returncode == 0, f'exit {proc.returncode}\n{proc.stdout[-3000:]}\n' \
                                 f'{proc.stderr[-6000:]}'
    return proc.stdout + proc.stderr


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _dist_env() -> dict:
    # one thread per rank: the two ranks share the machine's cores
    return dict(PORT=str(_free_port()), PYTHON=sys.executable, OMP_NUM_THREADS='1')


@pytest.fixture(scope='module')
def ddp_trained(tiny_ytvis, tmp_path_factory):
    """2 iterations on 2 ranks. tiny_ytvis has 4 train videos: with batch_size=1 each rank's
    DefaultSampler shard holds 2 videos, i.e. 2 batches, so no rank runs out of data."""
    work = tmp_path_factory.mktemp('ddp')
    proc = run_tool(['bash', str(TOOLS / 'dist_train.sh'), str(CONFIG), '2',
                     '--work-dir', str(work), '--cfg-options',
                     *tiny_vis_options(tiny_ytvis, iters=2),
                     'default_hooks.param_digest.type=ParamDigestHook'],
                    env=_dist_env(), timeout=240)
    return work, _ok(proc)


@needs_gloo
def test_both_ranks_finish_with_identical_parameters(ddp_trained):
    work, out = ddp_trained
    assert re.search(r'Iter\(train\) \[2/2\]', out)
    digests = load_param_digests(str(work))
    assert [d['rank'] for d in digests] == [0, 1]
    assert all(d['world_size'] == 2 and d['iter'] == 2 for d in digests)
    assert len(digests[0]['params']) > 100
    assert compare_param_digests(digests) == []

    # the digest is of the trained weights: rank 0's equals the checkpoint mmengine saved
    state = safe_load_checkpoint(work / 'iter_2.pth')['state_dict']
    module = torch.nn.Module()
    for i, name in enumerate(digests[0]['params']):
        module.register_parameter(f'p{i}', torch.nn.Parameter(state[name]))
    from_ckpt = dict(zip(digests[0]['params'], param_digest(module).values()))
    assert from_ckpt == digests[0]['params']


@needs_gloo
def test_dist_test_merges_both_ranks(ddp_trained, tiny_ytvis):
    work, _ = ddp_trained
    out = _ok(run_tool(['bash', str(TOOLS / 'dist_test.sh'), str(CONFIG),
                        str(work / 'iter_2.pth'), '2', '--work-dir', str(work / 'test'),
                        '--cfg-options', *tiny_vis_options(tiny_ytvis)],
                       env=_dist_env(), timeout=240))
    assert re.search(r'ytvis/AP: -?[0-9.]+', out)
    results = json.loads((work / 'test' / 'results' / 'test.json').read_text())
    # the 2 val videos were split over the ranks; rank 0 scored the merged results
    assert {r['video_id'] for r in results} == {1, 2}


def test_compare_param_digests_reports_a_difference():
    a = dict(rank=0, iter=2, params={'w': dict(sum=1.0, sum_sq=1.0, numel=1)})
    b = dict(rank=1, iter=2, params={'w': dict(sum=1.0, sum_sq=1.0000000000000002, numel=1)})
    assert compare_param_digests([a, a]) == []
    problems = compare_param_digests([a, b])
    assert len(problems) == 1 and 'rank 1' in problems[0] and 'w' in problems[0]


@pytest.mark.parametrize('script', SCRIPTS)
def test_scripts_are_executable_and_print_usage(script):
    path = TOOLS / script
    assert path.stat().st_mode & stat.S_IXUSR, f'{path} is not executable'
    assert 'set -euo pipefail' in path.read_text()
    proc = run_tool(['bash', str(path)], timeout=30)
    assert proc.returncode == 2 and 'usage:' in proc.stderr


def test_dist_train_rejects_a_bad_gpu_count():
    proc = run_tool(['bash', str(TOOLS / 'dist_train.sh'), str(CONFIG), 'two'], timeout=30)
    assert proc.returncode == 2 and 'NGPUS must be a positive integer' in proc.stderr


@pytest.mark.parametrize('script,positional,tool', [
    ('slurm_train.sh', ['part', 'job', 'cfg.py', 'work'], 'train.py'),
    ('slurm_test.sh', ['part', 'job', 'cfg.py', 'ckpt.pth'], 'test.py'),
])
def test_slurm_scripts_build_the_srun_command(tmp_path, script, positional, tool):
    """A stand-in ``srun`` on PATH records the command line the script runs."""
    fake = tmp_path / 'srun'
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    fake.chmod(0o755)
    env = dict(PATH=f'{tmp_path}{os.pathsep}{os.environ["PATH"]}', GPUS='4', CPUS_PER_TASK='2',
               SRUN_ARGS='--quotatype=auto -x node7')
    proc = run_tool(['bash', str(TOOLS / script), *positional, '--cfg-options', 'a=1'], env=env,
                    timeout=30)
    args = _ok(proc).split('\n')
    for expected in ('-p', 'part', '--job-name=job', '--ntasks=4', '--ntasks-per-node=4',
                     '--gres=gpu:4', '--cpus-per-task=2', '--quotatype=auto', '-x', 'node7',
                     str(TOOLS / tool), 'cfg.py', '--launcher', 'slurm', '--cfg-options', 'a=1'):
        assert expected in args, f'{expected!r} missing from srun args {args}'
    assert args.index('--launcher') > args.index(str(TOOLS / tool))
    if tool == 'train.py':
        assert '--work-dir=work' in args
    else:
        assert args[args.index('cfg.py') + 1] == 'ckpt.pth'


@needs_gloo
def test_whole_video_panoptic_metric_in_two_processes(tmp_path):
    """A decoupled VPS model tested on whole videos: 2 processes score exactly what 1 does,
    and the official pred.json holds every frame of every video (not one process's share)."""
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg
    root = tmp_path / 'vipseg'
    spec = dict(num_videos=2, num_frames=4, height=64, width=96, seed=6)
    write_vipseg(SyntheticVideoSpec(**spec), str(root), split='train', progress=False)
    write_vipseg(SyntheticVideoSpec(**spec, first_index=30), str(root), split='val',
                 progress=False)
    config = REPO / 'configs' / 'dvis_synthetic_vps_segmenter.py'
    data = [f'{k}.dataset.data_root={root}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    data += [f'{k}.{f}' for k in ('val_evaluator', 'test_evaluator')
             for f in (f'ann_file={root / "panoptic_gt_VIPSeg_val.json"}',
                       f'seg_prefix={root / "panomasksRGB"}')]
    data += [
             # keep every object: a 2-iteration model is rarely confident
             'model.model.test_cfg.object_mask_thr=0.0', 'model.model.test_cfg.overlap_thr=0.0']
    _ok(run_tool([sys.executable, str(TOOLS / 'train.py'), str(config), '--work-dir',
                  str(tmp_path / 'train'), '--cfg-options', *data, 'train_cfg.max_iters=2',
                  'train_cfg.val_begin=100', 'default_hooks.checkpoint.interval=2'],
                 env=dict(OMP_NUM_THREADS='1')))
    ckpt = str(tmp_path / 'train' / 'iter_2.pth')
    scores = {}
    for procs in (1, 2):
        prefix = tmp_path / f'pred{procs}'
        args = [str(config), ckpt]
        opts = ['--work-dir', str(tmp_path / f'test{procs}'), '--cfg-options', *data,
                f'test_evaluator.outfile_prefix={prefix}']
        if procs == 1:
            out = _ok(run_tool([sys.executable, str(TOOLS / 'test.py'), *args, *opts],
                               env=dict(OMP_NUM_THREADS='1')))
        else:
            out = _ok(run_tool(['bash', str(TOOLS / 'dist_test.sh'), *args, '2', *opts],
                               env=_dist_env(), timeout=240))
        scores[procs] = re.search(r'vipseg/VPQ: ([0-9.]+).*vipseg/STQ: ([0-9.]+)', out).groups()
        pred = json.loads((prefix / 'pred.json').read_text())
        assert sorted(len(v['annotations']) for v in pred['annotations']) == [4, 4]
        assert not list(prefix.glob('pred.rank*.json'))
    assert scores[1] == scores[2]
