"""AtomicCheckpointHook: a save that fails half-way leaves the previous checkpoint usable."""
import builtins
import errno
import os

import pytest
import torch

import mvc_plugin  # noqa: F401  (registers the hook and the atomic backend)
from mvc_plugin.engine import atomic_write, safe_load_checkpoint

from ..toy_runner import toy_runner

KEEP_ONE = dict(type='AtomicCheckpointHook', interval=1, by_epoch=False, max_keep_ckpts=1)


def _disk_full_on(name_part: str, monkeypatch) -> None:
    """Writes to files whose name contains ``name_part`` store half their bytes, then fail."""
    real_open = builtins.open

    class HalfWriter:
        def __init__(self, f):
            self._f = f

        def write(self, data):
            self._f.write(data[:len(data) // 2])
            self._f.flush()
            raise OSError(errno.ENOSPC, 'No space left on device')

        def __getattr__(self, name):
            return getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._f.__exit__(*exc)

    def fake_open(file, mode='r', *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        if name_part in os.fspath(file) and any(m in mode for m in 'wxa'):
            return HalfWriter(f)
        return f

    monkeypatch.setattr(builtins, 'open', fake_open)


def _check_previous_intact(work, previous='iter_1.pth', failed='iter_2.pth'):
    assert not (work / failed).exists(), f'a partial {failed} was left behind'
    assert not list(work.glob('.*.partial')), 'temporary files were left behind'
    assert (work / 'last_checkpoint').read_text().endswith(previous)
    ckpt = safe_load_checkpoint(work / previous)
    assert ckpt['meta']['iter'] == int(previous.split('_')[1].split('.')[0])


def test_disk_full_mid_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    runner = toy_runner(tmp_path, max_iters=3, checkpoint=KEEP_ONE)
    calls = {'n': 0}
    real_save = runner.save_checkpoint

    def save_then_fail_second(*args, **kwargs):
        calls['n'] += 1
        if calls['n'] == 2:
            _disk_full_on('iter_2.pth', monkeypatch)
        return real_save(*args, **kwargs)

    runner.save_checkpoint = save_then_fail_second
    with pytest.raises(OSError, match='No space left'):
        runner.train()
    _check_previous_intact(tmp_path)


def test_serialisation_error_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    runner = toy_runner(tmp_path, max_iters=3, checkpoint=KEEP_ONE)
    real_save, calls = torch.save, {'n': 0}

    def torch_save_fails_mid_write(obj, f, *args, **kwargs):
        calls['n'] += 1
        if calls['n'] == 2:
            f.write(b'PK\x03\x04 half a zip archive')
            raise RuntimeError('serialisation failed mid-write')
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, 'save', torch_save_fails_mid_write)
    with pytest.raises(RuntimeError, match='mid-write'):
        runner.train()
    _check_previous_intact(tmp_path)


def test_last_checkpoint_pointer_is_written_atomically(tmp_path, monkeypatch):
    runner = toy_runner(tmp_path, max_iters=3, checkpoint=dict(KEEP_ONE, max_keep_ckpts=2))
    calls = {'n': 0}
    real_save = runner.save_checkpoint

    def pointer_write_fails_second(*args, **kwargs):
        calls['n'] += 1
        real_save(*args, **kwargs)
        if calls['n'] == 2:
            _disk_full_on('last_checkpoint', monkeypatch)

    runner.save_checkpoint = pointer_write_fails_second
    with pytest.raises(OSError, match='No space left'):
        runner.train()
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_1.pth')
    assert not list(tmp_path.glob('.*.partial'))


def test_old_checkpoints_go_only_after_the_new_one_and_leftovers_are_cleaned(tmp_path):
    stale = tmp_path / '.iter_9.pth.1234-0123abcd.partial'
    stale.write_bytes(b'left by a killed save')
    toy_runner(tmp_path, max_iters=3, checkpoint=dict(KEEP_ONE, max_keep_ckpts=2)).train()
    assert sorted(p.name for p in tmp_path.glob('iter_*.pth')) == ['iter_2.pth', 'iter_3.pth']
    assert not stale.exists()
    assert (tmp_path / 'last_checkpoint').read_text().endswith('iter_3.pth')


def test_atomic_write_replaces_whole_files(tmp_path):
    path = tmp_path / 'sub' / 'f.txt'
    atomic_write(path, 'one')
    atomic_write(path, b'two')
    assert path.read_text() == 'two' and len(os.listdir(path.parent)) == 1
