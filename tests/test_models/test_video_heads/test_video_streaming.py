"""Streaming inference: constant state size, lazy frame consumption, predict == stream."""
import pytest
import torch

from mvc_plugin.models.video_heads import SegmenterFrames, StreamState
from .conftest import build_dvis, video_inputs, video_samples

N, C, K, CM = 8, 128, 5, 128


def _random_frames(num: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    for _ in range(num):
        yield SegmenterFrames(queries=torch.randn(1, N, C, generator=g),
                              cls_logits=torch.randn(1, N, K + 1, generator=g),
                              mask_logits=torch.randn(1, N, 4, 6, generator=g),
                              mask_features=torch.randn(1, CM, 4, 6, generator=g))


@pytest.fixture(scope='module')
def models():
    return {mode: build_dvis('refiner', mode).eval() for mode in ('online', 'offline')}


@pytest.mark.parametrize('mode,window', [('online', None), ('offline', 4)])
def test_state_does_not_grow_with_the_video(models, mode, window):
    sizes = {}
    for num in (5, 50):
        state, peak_tensors, peak_bytes = StreamState(), 0, 0
        for res in models[mode].stream_features(_random_frames(num), state, window=window):
            peak_tensors = max(peak_tensors, len(state.tensors()))
            peak_bytes = max(peak_bytes, state.nbytes())
            assert res.mask_logits.shape == (1, N, 4, 6)
        assert state.num_frames == num
        sizes[num] = (peak_tensors, peak_bytes)
    assert sizes[50] == sizes[5]
    if mode == 'offline':  # the buffer is bounded by the window
        assert sizes[50][0] <= 2 + 4 * 4


def test_stream_pulls_frames_lazily(models):
    pulled = []

    def frames():
        for t in range(6):
            pulled.append(t)
            yield torch.randn(3, 64, 96)

    model = models['online']
    assert model.test_cfg['frame_batch'] == 4  # frames per segmenter pass
    stream = model.stream(frames())
    first = next(stream)
    assert first.index == 0 and len(pulled) == 4  # one segmenter batch, not the whole video
    assert [r.index for r in stream] == [1, 2, 3, 4, 5]


def test_predict_ranks_by_streamed_video_scores(models):
    model = models['online']
    inputs = video_inputs(3)
    state = StreamState()
    with torch.no_grad():
        results = list(model.stream((f[None] for f in inputs[0]), state))
        pred = model.predict(inputs, [video_samples(3)])[0]
    assert [r.index for r in results] == [0, 1, 2]
    best = state.video_scores()[0].flatten().topk(10).values
    torch.testing.assert_close(pred.video_data_samples[0].pred_track_instances.scores, best)


def test_segmenter_stage_links_frames_by_query_similarity():
    """Before a tracker is trained, objects follow their query embeddings (MinVIS-style)."""
    model = build_dvis('segmenter').eval()
    first = next(_random_frames(1))
    perm = torch.randperm(N)
    second = SegmenterFrames(*(x[:, perm] if x.dim() > 2 and x.shape[1] == N else x
                               for x in (first.queries, first.cls_logits, first.mask_logits,
                                         first.mask_features)))
    out = list(model.stream_features([first, second]))
    torch.testing.assert_close(out[1].cls_logits, out[0].cls_logits)
    torch.testing.assert_close(out[1].mask_logits, out[0].mask_logits)
