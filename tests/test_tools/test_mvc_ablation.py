"""The ablation script runs end to end (1 iteration, 2 variants) and writes runs and summary."""
import json
import sys

from ..conftest import REPO, run_tool


def test_ablation_smoke(tmp_path):
    proc = run_tool([sys.executable, str(REPO / 'tools' / 'experiments' / 'mvc_ablation.py'),
                     '--iters', '1', '--seeds', '0', '1', '--variants', 'baseline', 'mvc_oma',
                     '--no-real', '--no-diagnostics', '--out', str(tmp_path)])
    assert proc.returncode == 0, proc.stderr[-4000:]
    runs = json.loads((tmp_path / 'runs.json').read_text())
    assert {(r['variant'], r['seed']) for r in runs} == {
        ('baseline', 0), ('baseline', 1), ('mvc_oma', 0), ('mvc_oma', 1)}
    assert all('AP' in r['metrics'] for r in runs)
    summary = json.loads((tmp_path / 'summary.json').read_text())
    assert set(summary['synthetic']) == {'baseline', 'mvc_oma'}
    assert '| baseline |' in proc.stdout
