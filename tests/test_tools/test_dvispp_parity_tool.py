"""tools/dev/dvispp_parity.py without the official code: clear refusals (the comparison itself
is covered by the recorded-parity test)."""
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


def test_losses_are_not_claimed():
    out = _run('--official-root', REPO, '--losses')
    assert out.returncode == 2 and 'not implemented' in out.stderr
