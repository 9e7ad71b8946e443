"""InputMasker on the quick-start VIS model: masks what the generator draws, leaves no trace."""
import copy

import pytest
import torch

from mvc_plugin.analysis.masking import InputMasker
from mvc_plugin.analysis.runner import load_model_and_loader
from mvc_plugin.models.mvc.patch_mask_generator import PatchMaskGenerator

from ..conftest import REPO

CONFIG = REPO / 'configs' / 'vis_synthetic_quickstart_oma.py'


@pytest.fixture(scope='module')
def vis_model(tiny_ytvis):
    """Randomly initialised quick-start model (no checkpoint) and one test video."""
    torch.manual_seed(0)
    _, model, loader = load_model_and_loader(
        str(CONFIG), None, {'test_dataloader.dataset.data_root': str(tiny_ytvis)})
    return model, next(iter(loader))


def _predict(model, data):
    with torch.no_grad():
        out = model.test_step(copy.deepcopy(data))  # predict writes into the data samples
    frames = out[0].video_data_samples
    return (torch.stack([f.pred_track_instances.masks for f in frames]),
            frames[0].pred_track_instances.scores)


def _preprocess(model, data):
    with torch.no_grad():
        return model.data_preprocessor(copy.deepcopy(data), False)['inputs']


def test_masker_masks_the_drawn_blocks_with_the_fill(vis_model):
    model, data = vis_model
    plain = _preprocess(model, data)
    with InputMasker(model, PatchMaskGenerator(8, 0.5, seed=3)) as masker:
        assert masker.active
        masked = _preprocess(model, data)
    b, t, _, h, w = plain.shape
    expected = PatchMaskGenerator(8, 0.5, seed=3)(b, t, h, w)
    assert torch.equal(masker.last_mask, expected)
    assert masker.masked_share == pytest.approx(expected.float().mean().item())
    assert 0.3 < masker.masked_share < 0.7  # 8 x 12 blocks x 4 frames at ratio 0.5
    m = expected[:, :, None].expand_as(plain)
    assert (masked[m] == 0).all()  # 0 in normalised space = the mean colour
    assert torch.equal(masked[~m], plain[~m])
    assert torch.equal(masker.last_inputs, masked)


def test_masker_is_removed_and_predictions_come_back(vis_model):
    model, data = vis_model
    clean_masks, clean_scores = _predict(model, data)
    with InputMasker(model, PatchMaskGenerator(8, 0.5, seed=3)):
        masked_masks, masked_scores = _predict(model, data)
    assert not model.data_preprocessor._forward_hooks
    assert not torch.equal(masked_scores, clean_scores)  # the masking reached the model
    after_masks, after_scores = _predict(model, data)
    assert torch.equal(after_masks, clean_masks) and torch.equal(after_scores, clean_scores)


def test_ratio_zero_leaves_the_inputs_unchanged(vis_model):
    model, data = vis_model
    with InputMasker(model, PatchMaskGenerator(8, 0.0, seed=3)) as masker:
        inputs = _preprocess(model, data)
    assert masker.masked_share == 0.0
    assert torch.equal(inputs, _preprocess(model, data))


def test_masker_is_removed_after_an_error(vis_model):
    model, _ = vis_model
    with pytest.raises(RuntimeError, match='boom'):
        with InputMasker(model, PatchMaskGenerator(8, 0.5)):
            raise RuntimeError('boom')
    assert not model.data_preprocessor._forward_hooks
    with pytest.raises(TypeError, match='data_preprocessor'):
        InputMasker(torch.nn.Linear(2, 2), PatchMaskGenerator(8, 0.5))
