"""A model built through ``MaskedVideoConsistency`` behaves like an ordinary module: pickle,
``torch.save(model)``, ``copy.deepcopy`` and a spawned worker process all get the same model."""
import copy
import io
import multiprocessing
import pickle

import pytest
import torch
from mmengine.registry import MODELS

from .test_masked_video_consistency import _cfg, _losses, _wrap, batches  # noqa: F401


def _digest(model) -> float:
    return float(sum(p.double().sum() for p in model.state_dict().values()))


@pytest.fixture(scope='module', params=['default', 'feature_masking'])
def mvc(request):
    kwargs = {} if request.param == 'default' else dict(
        feature_mask_points=['backbone.layer1'],
        consistency_loss=dict(type='MVCConsistencyLoss'))
    torch.manual_seed(0)
    return _wrap(_cfg().model, **kwargs)


def _torch_roundtrip(model):
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    return torch.load(buf, map_location='cpu', weights_only=False)  # a whole module: trusted


@pytest.mark.parametrize('roundtrip', [lambda m: pickle.loads(pickle.dumps(m)),
                                       _torch_roundtrip, copy.deepcopy],
                         ids=['pickle', 'torch.save', 'deepcopy'])
def test_roundtrip_keeps_class_state_and_training_step(mvc, batches, roundtrip):  # noqa: F811
    copied = roundtrip(mvc)
    assert type(copied) is type(mvc) and type(copied).__name__.startswith('MaskedVideoConsistency')
    assert vars(copied._mvc).keys() == vars(mvc._mvc).keys()
    assert copied._mvc.mode == mvc._mvc.mode
    assert list(copied.state_dict()) == list(mvc.state_dict())
    assert _digest(copied) == _digest(mvc)
    expected, got = _losses(mvc, batches['train']), _losses(copied, batches['train'])
    assert expected.keys() == got.keys() and any(k.startswith('mvc.') for k in got)
    for key in expected:
        if 'loss' in key:
            assert torch.allclose(torch.as_tensor(got[key]).sum(),
                                  torch.as_tensor(expected[key]).sum()), key


def _child(model, queue) -> None:
    queue.put((type(model).__name__, _digest(model), hasattr(model, '_mvc')))


def test_model_crosses_a_spawned_process(mvc):
    """What data-parallel launchers do with ``spawn``: the model is pickled to a new process."""
    ctx = multiprocessing.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(mvc, queue))
    proc.start()
    try:
        name, digest, has_mvc = queue.get(timeout=180)
    finally:
        proc.join(timeout=60)
    assert proc.exitcode == 0
    assert name == type(mvc).__name__ and has_mvc and digest == pytest.approx(_digest(mvc))


def test_host_class_stays_unwrapped(mvc):
    """Pickling support lives on the generated class only; the host class is untouched."""
    host_cls = type(mvc)._mvc_host_cls
    assert type(mvc).__mro__[2] is host_cls
    assert '__reduce_ex__' not in vars(host_cls) and '_mvc_host_cls' not in vars(host_cls)
    plain = MODELS.build(copy.deepcopy(_cfg().model))
    assert type(pickle.loads(pickle.dumps(plain))) is host_cls
