"""tools/convert/dvispp_to_mmdet.py on checkpoints with the official DVIS++ R50 key layout.

The non-backbone names and shapes come from the official modules
(``tests/data/dvispp_r50_official_keys.json``, written by ``tools/dev/dvispp_parity.py
--save-r50-keys``); the backbone's are detectron2's ResNet-50 naming (stem / res2..res5 with
``conv{1,2,3}.norm`` and ``shortcut``), which the official code does not build without
detectron2 -- so the backbone mapping is checked by name and shape only.
"""
import json
import os.path as osp
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'convert'))
import dvispp_to_mmdet  # noqa: E402

KEYS = osp.join(REPO, 'tests', 'data', 'dvispp_r50_official_keys.json')
CONFIG = osp.join(REPO, 'configs', 'dvis_pp', 'dvis-pp_r50_ytvis19_{}.py')


def detectron2_r50_shapes() -> dict:
    shapes = {'stem.conv1.weight': [64, 3, 7, 7]}
    bn = ('weight', 'bias', 'running_mean', 'running_var')
    shapes.update({f'stem.conv1.norm.{k}': [64] for k in bn})
    in_ch = 64
    for stage, (blocks, width) in enumerate(((3, 64), (4, 128), (6, 256), (3, 512)), start=2):
        out = width * 4
        for b in range(blocks):
            convs = {'conv1': [width, in_ch if b == 0 else out, 1, 1],
                     'conv2': [width, width, 3, 3], 'conv3': [out, width, 1, 1]}
            if b == 0:
                convs['shortcut'] = [out, in_ch, 1, 1]
            for name, shape in convs.items():
                shapes[f'res{stage}.{b}.{name}.weight'] = shape
                shapes.update({f'res{stage}.{b}.{name}.norm.{k}': [shape[0]] for k in bn})
        in_ch = out
    return {f'backbone.{k}': v for k, v in shapes.items()}


def official_checkpoint(path, drop=(), extra=None, stage='offline'):
    with open(KEYS) as f:
        shapes = json.load(f)
    shapes.update(detectron2_r50_shapes())
    shapes.update({'pixel_mean': [3, 1, 1], 'pixel_std': [3, 1, 1]})
    if stage == 'online':
        shapes = {k: v for k, v in shapes.items() if not k.startswith('refiner.')}
    g = torch.Generator().manual_seed(0)
    state = {k: torch.randn(v, generator=g) for k, v in shapes.items() if k not in drop}
    state.update(extra or {})
    torch.save({'model': state, 'iteration': 40000}, path)
    return state


def test_official_offline_checkpoint_loads_strictly(tmp_path):
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    state = official_checkpoint(src)
    assert dvispp_to_mmdet.main([str(src), str(dst), '--config', CONFIG.format('offline')]) == 0
    ours = torch.load(dst, weights_only=True)
    assert ours['meta']['dvispp_stage'] == 'offline'
    sd = ours['state_dict']
    # values travel unchanged to the mapped names
    assert torch.equal(sd['tracker.ref_proj.2.weight'], state['tracker.ref_proj.layers.1.weight'])
    assert torch.equal(sd['segmenter.backbone.layer4.0.downsample.1.running_var'],
                       state['backbone.res5.0.shortcut.norm.running_var'])
    assert torch.equal(sd['segmenter.panoptic_head.transformer_decoder.post_norm.weight'],
                       state['sem_seg_head.predictor.decoder_norm.weight'])


def test_online_checkpoint_against_the_online_config(tmp_path):
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    official_checkpoint(src, stage='online')
    assert dvispp_to_mmdet.main([str(src), str(dst), '--config', CONFIG.format('online')]) == 0
    # ... but not into the offline config: the refiner is missing; nothing is written
    dst2 = tmp_path / 'ours2.pth'
    assert dvispp_to_mmdet.main([str(src), str(dst2), '--config', CONFIG.format('offline')]) == 2
    assert not dst2.exists()


@pytest.mark.parametrize('case', ['extra_key', 'missing_key', 'wrong_classes', 'not_dvispp'])
def test_bad_checkpoints_are_refused_and_nothing_is_written(tmp_path, case, capsys):
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    if case == 'extra_key':
        official_checkpoint(src, extra={'tracker.memory_cross_attn.norm.weight': torch.ones(512)})
        expected = 'tracker.memory_cross_attn.norm.weight'
    elif case == 'missing_key':
        official_checkpoint(src, drop=('refiner.activation_proj.weight',))
        expected = 'refiner.activation_proj.weight'
    elif case == 'wrong_classes':  # a 40-class YouTube-VIS model into the 25-class OVIS config
        official_checkpoint(src)
        expected = 'cls_embed'
    else:
        torch.save({'model': {'backbone.stem.conv1.weight': torch.zeros(1)}}, src)
        expected = 'not a DVIS++ checkpoint'
    config = CONFIG.format('offline').replace('ytvis19', 'ovis') if case == 'wrong_classes' \
        else CONFIG.format('offline')
    assert dvispp_to_mmdet.main([str(src), str(dst), '--config', config]) == 2
    assert expected in capsys.readouterr().err
    assert not dst.exists() and list(tmp_path.iterdir()) == [src]


def test_segmenter_checkpoint_loads_into_the_segmenter(tmp_path):
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    official_checkpoint(src, stage='online')
    state = torch.load(src, weights_only=True)
    state['model'] = {k: v for k, v in state['model'].items() if not k.startswith('tracker.')}
    torch.save(state, src)
    assert dvispp_to_mmdet.main([str(src), str(dst), '--config',
                                 CONFIG.format('segmenter')]) == 0
    assert torch.load(dst, weights_only=True)['meta']['dvispp_stage'] == 'segmenter'


def _with_classes(state: dict, num_classes: int) -> dict:
    """The official key layout with ``num_classes`` classes (class heads and their bias)."""
    out = {}
    for key, value in state.items():
        if key.endswith(('class_embed.weight', 'class_embed.bias')):
            value = torch.randn((num_classes + 1,) + tuple(value.shape[1:]))
        out[key] = value
    return out


@pytest.mark.parametrize('dataset, task', [('ytvis19', 'vis'), ('vspw', 'vss'),
                                           ('vipseg', 'vps')])
def test_converted_offline_checkpoint_predicts_each_task(tmp_path, dataset, task):
    """Every task's shipped offline config takes a converted checkpoint strictly and predicts;
    VIPSeg's class heads are reordered (official: category id order, ours: things first)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mvc_plugin  # noqa: F401
    from mmdet.registry import MODELS
    from mvc_plugin.models.dvis_plus.checkpoint_conversion import vipseg_label_order
    sys.path.insert(0, osp.join(REPO, 'tests'))
    from test_models.test_video_heads.conftest import video_inputs, video_samples

    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    official_checkpoint(src)
    ckpt = torch.load(src, weights_only=True)
    if dataset != 'ytvis19':
        ckpt['model'] = _with_classes(ckpt['model'], 124)
        torch.save(ckpt, src)
    config = CONFIG.format('offline').replace('ytvis19', dataset)
    assert dvispp_to_mmdet.main([str(src), str(dst), '--config', config]) == 0
    ours = torch.load(dst, weights_only=True)
    got = ours['state_dict']['segmenter.panoptic_head.cls_embed.weight']
    official = ckpt['model']['sem_seg_head.predictor.class_embed.weight']
    order = vipseg_label_order() if dataset == 'vipseg' else list(range(got.shape[0] - 1))
    assert ours['meta']['class_order'] == ('vipseg' if dataset == 'vipseg' else 'official')
    assert torch.equal(got, official[order + [len(order)]])
    assert torch.equal(ours['state_dict']['tracker.cls_embed.bias'],
                       ckpt['model']['tracker.class_embed.bias'][order + [len(order)]])

    cfg = Config.fromfile(config)
    init_default_scope('mmdet')
    host = cfg.model.get('model', cfg.model)
    host.update(init_cfg=None, allow_random_init=True)  # the weights: loaded below
    host.segmenter.init_cfg = None
    host.segmenter.backbone.init_cfg = None
    model = MODELS.build(host)
    model.load_state_dict(ours['state_dict'], strict=True)
    model.eval()
    with torch.no_grad():
        frames = model.predict(video_inputs(2), [video_samples(2)])[0].video_data_samples
    key = dict(vis='pred_track_instances', vss='pred_sem_seg', vps='pred_panoptic_seg')[task]
    assert all(key in f for f in frames)
