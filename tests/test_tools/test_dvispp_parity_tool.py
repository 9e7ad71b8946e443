"""tools/dev/dvispp_parity.py without the official code: clear refusals (the comparisons
themselves are covered by the recorded-parity tests)."""
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'dev', 'dvispp_parity.py')


def _run(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True,
                          timeout=300)


def test_a_folder_without_the_official_code_is_refused(tmp_path):
    (tmp_path / 'DVIS_Plus' / 'dvis_Plus').mkdir(parents=True)
    (tmp_path / 'DVIS_Plus' / 'dvis_Plus' / 'tracker.py').write_text('')
    out = _run('--official-root', str(tmp_path), '--save-fixture', str(tmp_path / 'f.pth'))
    assert out.returncode != 0
    assert 'DVIS_Plus/dvis_Plus/refiner.py' in out.stderr and 'tracker.py' not in \
        out.stderr.split('missing:')[1]
    assert not (tmp_path / 'f.pth').exists()


def test_losses_without_the_official_code_are_refused(tmp_path):
    (tmp_path / 'DVIS_Plus' / 'dvis_Plus').mkdir(parents=True)
    out = _run('--official-root', str(tmp_path), '--losses-only', '--save-loss-fixture',
               str(tmp_path / 'f.pth'))
    assert out.returncode != 0
    assert 'DVIS_Plus/mask2former_video/modeling/criterion.py' in out.stderr
    assert 'DVIS_Plus/dvis_Plus/ctvis.py' in out.stderr
    assert not (tmp_path / 'f.pth').exists()
