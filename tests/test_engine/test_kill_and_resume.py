"""kill -9 in the middle of training, then ``--resume``: iterations 5 and 6 log the same losses
as a run that was never interrupted (RNGStateHook + AtomicCheckpointHook in the configs)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import REPO, run_tool, tiny_vis_options

CONFIG = REPO / 'configs' / 'vis_synthetic_quickstart.py'
ITERS = 6


def _options(data_root: Path) -> list:
    return [*tiny_vis_options(data_root, iters=ITERS), 'default_hooks.checkpoint.interval=2',
            'log_processor.window_size=1', 'randomness.seed=0',
            'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']


def _train_cmd(work: Path, data_root: Path, *extra: str) -> list:
    return [sys.executable, str(REPO / 'tools' / 'train.py'), str(CONFIG), '--work-dir',
            str(work), *extra, '--cfg-options', *_options(data_root)]


def _losses(scalars: Path) -> dict:
    """{iteration: {loss name: value}} from a run's vis_data/scalars.json."""
    out = {}
    for line in scalars.read_text().splitlines():
        record = json.loads(line)
        if 'iter' in record and 'loss' in record:
            out[record['iter']] = {k: v for k, v in record.items() if 'loss' in k}
    return out


def _run_dirs(work: Path) -> set:
    return {p for p in work.iterdir() if (p / 'vis_data' / 'scalars.json').is_file()}


def _ok(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, f'exit {proc.returncode}\n{proc.stderr[-4000:]}'


def _train_until_checkpoint_then_kill(cmd: list, work: Path, step: int, timeout: float) -> None:
    """Start training, SIGKILL it as soon as ``iter_<step>.pth`` is complete and recorded."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    log = work / 'killed_run.log'
    with open(log, 'w') as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    target, pointer = work / f'iter_{step}.pth', work / 'last_checkpoint'
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if target.is_file() and pointer.is_file() and \
                    pointer.read_text().strip().endswith(target.name):
                break
            time.sleep(0.02)
        assert proc.poll() is None, f'training ended before it was killed:\n' \
                                    f'{log.read_text()[-4000:]}'
        assert target.is_file(), f'no {target.name} after {timeout} s'
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def test_sigkill_then_resume_matches_uninterrupted_run(tiny_ytvis, tmp_path):
    reference, killed = tmp_path / 'reference', tmp_path / 'killed'
    _ok(run_tool(_train_cmd(reference, tiny_ytvis), timeout=240))
    expected = _losses(next(iter(_run_dirs(reference))) / 'vis_data' / 'scalars.json')
    assert sorted(expected) == list(range(1, ITERS + 1))

    killed.mkdir()
    _train_until_checkpoint_then_kill(_train_cmd(killed, tiny_ytvis), killed, 4, timeout=240)
    # normally killed during iteration 5; if later saves landed first, resume from iter_4 by path
    pointer = (killed / 'last_checkpoint').read_text().strip()
    resume = ['--resume'] if pointer.endswith('iter_4.pth') else \
        ['--resume', str(killed / 'iter_4.pth')]
    before = _run_dirs(killed)
    _ok(run_tool(_train_cmd(killed, tiny_ytvis, *resume), timeout=240))
    resumed = _losses(next(iter(_run_dirs(killed) - before)) / 'vis_data' / 'scalars.json')

    assert sorted(resumed) == [5, 6], 'the resumed run did not start after iteration 4'
    for it in (5, 6):
        assert resumed[it].keys() == expected[it].keys()
        for name, value in expected[it].items():
            assert resumed[it][name] == pytest.approx(value, rel=1e-6, abs=1e-7), \
                f'iteration {it}: {name} {resumed[it][name]} != {value} (uninterrupted run)'
