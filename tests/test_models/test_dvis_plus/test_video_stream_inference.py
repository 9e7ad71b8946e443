"""DVIS++ inference streamed through a FrameSpill: same results as in memory, and the demo's
frame-by-frame interface."""
import pytest
import torch

from mvc_plugin.models.dvis_plus.frame_spill import FrameSpill
from mvc_plugin.models.video_heads import StreamState
from ..test_video_heads.conftest import H, W, video_inputs, video_samples
from .conftest import build_dvispp


@pytest.mark.parametrize('in_memory', [False, True])
def test_frame_spill_round_trips_bytes(in_memory):
    x = torch.randn(5, 3, 4, 6)
    with FrameSpill(in_memory) as spill:
        spill.append(x[:2])
        spill.append(x[2:])
        assert len(spill) == 5
        assert torch.equal(spill.read(3)[0], x[3])
        assert torch.equal(spill.read(1, 4), x[1:4])
        assert torch.equal(spill.read(4, 99), x[4:])  # clipped at the end
        assert torch.equal(spill.read_all(), x)
        with pytest.raises(ValueError, match='shape'):
            spill.append(torch.zeros(1, 3, 4, 5))
        with pytest.raises(IndexError, match='5:6 of 5'):
            spill.read(5)


@pytest.mark.parametrize('task', ['vis', 'vss', 'vps'])
@pytest.mark.parametrize('mode', ['online', 'offline'])
def test_spilled_predictions_equal_in_memory_ones(task, mode):
    model = build_dvispp('refiner', mode, task=task,
                         num_thing_classes=3 if task == 'vps' else None).eval()
    model.test_cfg.update(object_mask_thr=0.1, overlap_thr=0.1)
    ori = [(2 * H, 3 * W // 2)] * 5
    outs = []
    for spill in (True, False):
        model.test_cfg['spill_to_disk'] = spill
        with torch.no_grad():
            outs.append(model.predict(video_inputs(5), [video_samples(5, ori)])[0])
    for a, b in zip(*(o.video_data_samples for o in outs)):
        if task == 'vis':
            for key in ('masks', 'scores', 'labels', 'instances_id'):
                assert torch.equal(a.pred_track_instances[key], b.pred_track_instances[key])
        elif task == 'vss':
            assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)
        else:
            assert torch.equal(a.pred_panoptic_seg.sem_seg, b.pred_panoptic_seg.sem_seg)


def test_vis_keeps_the_official_top_k_by_score():
    model = build_dvispp('refiner', 'online').eval()
    with torch.no_grad():
        frames = model.predict(video_inputs(3), [video_samples(3)])[0].video_data_samples
        probs, _ = model.video_outputs(video_inputs(3)[0])
    inst = frames[0].pred_track_instances
    top = probs[:, :-1].flatten().sort(descending=True).values[:model.test_cfg['max_num']]
    torch.testing.assert_close(inst.scores, top)
    assert all(torch.equal(f.pred_track_instances.scores, inst.scores) for f in frames)


@pytest.mark.parametrize('mode', ['online', 'offline'])
def test_stream_yields_every_frame_with_the_video_scores(mode):
    model = build_dvispp('refiner', mode).eval()
    video = video_inputs(5)[0]
    probs, masks = model.video_outputs(video)
    state = StreamState()
    results = list(model.stream((f for f in video), state))
    assert [r.index for r in results] == list(range(5))
    torch.testing.assert_close(state.video_scores()[0], probs[:, :-1])
    if mode == 'online':  # offline the max with the online scores is not a distribution
        torch.testing.assert_close(results[0].cls_logits[0].softmax(-1), probs)
    for r in results:
        assert torch.equal(r.mask_logits[0], masks[:, r.index])
