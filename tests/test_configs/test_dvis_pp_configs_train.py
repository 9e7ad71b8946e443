"""Every DVIS++ config (15 baselines + 15 MVC + OMA) trains two iterations on the CPU, as shipped
except for the tiny synthetic data of its format, 64 px inputs, point counts and no downloads
(``dvis_pp_tiny.py``). The YouTube-VIS 2019 baselines run as a chain: the online stage starts
from the segmenter run's ``last_checkpoint`` through ``stage://``, the offline stage from the
online run's; the other stage-2/3 configs start from random weights.

The 30 runs are in-process runners (``Runner.from_cfg``) spread over two worker processes of one
thread each (``MVC_TEST_WORKERS`` to change): on two cores, multi-threaded ops in one process
oversubscribe the cores and run several times slower than two one-thread processes."""
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest

from .dvis_pp_tiny import train_configs, write_tiny_sets

DATASETS = ('ytvis19', 'ytvis21', 'ovis', 'vspw', 'vipseg')
STAGES = ('segmenter', 'online', 'offline')
CHAIN = [f'dvis-pp_r50_ytvis19_{stage}' for stage in STAGES]
CASES = [f'{prefix}dvis-pp_r50_{ds}_{stage}' for ds in DATASETS for stage in STAGES
         for prefix in ('', 'mvc-oma_')]
# rough relative cost (trained frames per iteration): for balancing the two workers
_FRAMES = {'ytvis19': (10, 5, 15), 'ytvis21': (10, 5, 15), 'ovis': (10, 5, 15),
           'vspw': (8, 5, 21), 'vipseg': (10, 5, 11)}


def _cost(name):
    ds, stage = name.split('_')[-2:]
    frames = _FRAMES[ds][STAGES.index(stage)]
    trained = 3 if stage == 'segmenter' else 1  # forward + backward of the segmenter
    return 2 + frames * trained * (2 if name.startswith('mvc-oma') else 1)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Train all 30 configs once (two workers); ``name -> result`` of ``train_configs``."""
    sets = write_tiny_sets(tmp_path_factory.mktemp('dvis_pp_tiny_sets'))
    root = tmp_path_factory.mktemp('dvis_pp_runs')
    workers = int(os.environ.get('MVC_TEST_WORKERS', 2))
    jobs = [(CHAIN, True)] + [([n], False) for n in sorted(
        (n for n in CASES if n not in CHAIN), key=_cost, reverse=True)]
    results = {}
    if workers <= 1:
        for names, chain in jobs:
            results.update(train_configs(names, sets, root, chain))
        _report(results)
        return results
    with ProcessPoolExecutor(workers, mp_context=get_context('spawn')) as pool:
        futures = [pool.submit(train_configs, names, sets, root, chain) for names, chain in jobs]
        for future in futures:
            results.update(future.result())
    _report(results)
    return results


def _report(results):
    """Seconds per config (shown with ``-s``): where the test's time goes."""
    total = sum(r['seconds'] for r in results.values())
    print(f'\nDVIS++ configs, 2 iterations each: {total:.0f} s of runs in all')
    for name, r in sorted(results.items(), key=lambda kv: -kv[1]['seconds']):
        print(f"  {r['seconds']:6.1f} s  {name}")


@pytest.mark.parametrize('name', CASES)
def test_config_trains_two_iterations(name, trained):
    result = trained[name]
    assert result['ok'], result['error']
    assert result['iter'] == 2
    assert result['loss'] == result['loss'] and abs(result['loss']) < float('inf')  # finite
    if name in CHAIN[1:]:  # started from the previous stage's last checkpoint
        previous = CHAIN[CHAIN.index(name) - 1]
        assert result['checkpoint'].startswith('stage://')
        assert result['checkpoint'].endswith(previous)
