"""DVIS++'s segmenter stage: per-frame Mask2Former losses on clip-wide targets + CTVIS re-id
loss (switchable), also under MaskedVideoConsistency; the criterion's API for the video stages."""
import torch

from mmdet.registry import MODELS
from mvc_plugin.models.dvis_plus import DVISPlusVideoSegmentor, DVISPlusVideoSetCriterion
from mvc_plugin.models.dvis_plus.reid_mask2former_head import clip_frame_samples
from ..test_video_heads.conftest import video_inputs, video_samples
from .conftest import build_dvispp, dvispp_cfg

MASK2FORMER = {'loss_cls', 'loss_mask', 'loss_dice'} | {
    f'd{i}.{k}' for i in range(2) for k in ('loss_cls', 'loss_mask', 'loss_dice')}


def _clips():
    return video_inputs(3, batch=2), [video_samples(3, with_gt=True, seed=s) for s in (0, 1)]


def test_segmenter_stage_adds_the_reid_loss_and_trains_the_reid_branch():
    model = build_dvispp('segmenter').train()
    losses = model.loss(*_clips())
    assert set(losses) == MASK2FORMER | {'loss_reid', 'loss_aux_reid'}
    assert losses['loss_reid'] > 0
    sum(losses.values()).backward()
    head = model.segmenter.panoptic_head
    assert all(p.grad is not None for p in head.reid_embed.parameters())


def test_reid_loss_can_be_switched_off():
    cfg = dvispp_cfg('segmenter')
    cfg['segmenter']['panoptic_head']['reid_loss'] = None
    torch.manual_seed(0)
    model = MODELS.build(cfg).train()
    assert set(model.loss(*_clips())) == MASK2FORMER


def test_frames_get_every_object_of_their_clip():
    sample = video_samples(3, with_gt=True)  # track 2 hidden on odd frames
    frames = clip_frame_samples(sample.video_data_samples, 3)
    assert [f.gt_instances.instances_ids.tolist() for f in frames] == [[1, 2], [1, -1], [1, 2]]
    hidden = frames[1].gt_instances
    assert hidden.labels.tolist() == [0, 3] and hidden.masks.masks[1].sum() == 0


def test_segmenter_stage_under_masked_video_consistency():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='MaskedVideoConsistency', model=dvispp_cfg('segmenter'),
                              mask_generator=dict(block_size=16, mask_ratio=0.5)))
    assert isinstance(model, DVISPlusVideoSegmentor)
    losses = model.train().loss(*_clips())
    assert {'loss_reid', 'mvc.loss_reid', 'mvc.loss_mask'} <= set(losses)
    assert all(torch.isfinite(v) for k, v in losses.items() if 'loss' in k)


def test_criterion_returns_weighted_losses_and_the_matching():
    crit = DVISPlusVideoSetCriterion(
        4, dict(type='DVISPlusConsistentVideoMatcher', frames=2, num_points=32), num_points=32)
    torch.manual_seed(0)
    layer = dict(pred_logits=torch.randn(4, 6, 5), pred_masks=torch.randn(4, 6, 1, 8, 8))
    outputs = dict(layer, aux_outputs=[{k: v + 1 for k, v in layer.items()}])
    targets = [dict(labels=torch.tensor([1, 2]), ids=torch.tensor([[i], [-1 if f == 0 else i]]),
                    masks=torch.rand(2, 1, 16, 16).round()) for i in (0, 1) for f in (0, 1)]
    losses, match = crit(outputs, targets, matcher_outputs=layer, ret_match_result=True)
    assert set(losses) == {'loss_ce', 'loss_mask', 'loss_dice', 'd0.loss_ce', 'd0.loss_mask',
                           'd0.loss_dice'}
    assert len(match) == 4 and torch.equal(match[0][1], match[1][1])  # a video's frames agree
    assert sorted(match[0][1].tolist()) == [0, 1]  # object 1 matched on its first frame
