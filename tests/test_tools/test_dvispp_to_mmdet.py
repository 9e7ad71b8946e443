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
