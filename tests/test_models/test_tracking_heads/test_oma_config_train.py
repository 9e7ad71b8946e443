"""configs/vis_synthetic_quickstart_oma.py builds and trains 2 iterations through tools/train.py."""
import copy
import sys

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mvc_plugin  # noqa: F401
import mvc_plugin.models.layers  # noqa: F401  (registers the OMA modules)
import mvc_plugin.models.tracking_heads  # noqa: F401
from mmdet.registry import MODELS
from mvc_plugin.models.tracking_heads import OMAMask2FormerTrackHead
from ...conftest import REPO, run_tool, tiny_vis_options

CONFIG = REPO / 'configs' / 'vis_synthetic_quickstart_oma.py'
MVC_CONFIG = REPO / 'configs' / 'vis_synthetic_quickstart.py'
TRAIN = REPO / 'tools' / 'train.py'
# Run tools/train.py as __main__ after importing the OMA modules, so the test does not depend on
# mvc_plugin/models/__init__.py importing them (tools/train.py itself only imports mvc_plugin).
RUN_TRAIN = ('import runpy, sys; '
             'import mvc_plugin.models.layers, mvc_plugin.models.tracking_heads; '
             'sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__")')


def _model(path):
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.default_scope)
    return cfg, MODELS.build(copy.deepcopy(cfg.model))


def test_oma_config_swaps_only_the_head():
    cfg, model = _model(CONFIG)
    _, mvc = _model(MVC_CONFIG)
    assert cfg.model.type == 'MaskedVideoConsistency'
    assert cfg.model.model.track_head.oma_cfg == dict(mode='hard', threshold=0.5)
    assert isinstance(model.track_head, OMAMask2FormerTrackHead)
    assert list(model.state_dict()) == list(mvc.state_dict())
    assert [p.shape for p in model.parameters()] == [p.shape for p in mvc.parameters()]


def test_oma_config_trains_two_iterations(tiny_ytvis, tmp_path):
    work = tmp_path / 'work'
    proc = run_tool([sys.executable, '-c', RUN_TRAIN, str(TRAIN), str(CONFIG),
                     '--work-dir', str(work), '--cfg-options',
                     *tiny_vis_options(tiny_ytvis, iters=2)], cwd=REPO)
    assert proc.returncode == 0, f'exit {proc.returncode}\n{proc.stdout[-3000:]}\n' \
                                 f'{proc.stderr[-6000:]}'
    ckpt = work / 'iter_2.pth'
    assert ckpt.is_file()
    assert (work / 'last_checkpoint').read_text().strip().endswith('iter_2.pth')
    assert 'OMAMask2FormerTrackHead' in (work / CONFIG.name).read_text()
    state = torch.load(str(ckpt), map_location='cpu', weights_only=False)['state_dict']
    _, mvc = _model(MVC_CONFIG)
    mvc.load_state_dict(state, strict=True)  # the OMA checkpoint loads into the plain model
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
