"""Malformed YouTube-VIS / VIPSeg JSON (missing keys, wrong types, wrong lengths, bad RLE) fed
to the datasets and the check tools: a DatasetError / ValueError with a message, never another
exception (and never a pycocotools crash on an RLE that slipped through)."""
import copy
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

import mvc_plugin  # noqa: F401
from mvc_plugin.datasets import VideoInstanceDataset, VIPSegDataset
from mvc_plugin.datasets.checks import check_vipseg, check_ytvis
from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=False) |
    st.text(max_size=6) | st.sampled_from(['', 'zz{', '0', 'PPYo1', '\x00']),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6)


def _slots(node, out=None):
    """Every (container, key) in a JSON tree, so a mutation can target any value."""
    out = [] if out is None else out
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, value in items:
        out.append((node, key))
        _slots(value, out)
    return out


@st.composite
def mutated(draw, valid: dict):
    """``valid`` with 1-3 mutations: a key deleted, a value replaced, a list cut or grown,
    RLE counts / sizes garbled."""
    data = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(data)
        if not slots:
            break
        container, key = slots[draw(st.integers(0, len(slots) - 1))]
        action = draw(st.sampled_from(['delete', 'replace', 'cut', 'grow', 'rle']))
        value = container[key]
        if action == 'delete':
            del container[key]
        elif action == 'cut' and isinstance(value, list) and value:
            del value[draw(st.integers(0, len(value) - 1))]
        elif action == 'grow' and isinstance(value, list) and value:
            value.append(copy.deepcopy(value[draw(st.integers(0, len(value) - 1))]))
        elif action == 'rle' and isinstance(value, dict) and 'counts' in value:
            value['counts'] = draw(st.text(alphabet='0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ'
                                                    '[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~',
                                           max_size=12) | json_values)
            if draw(st.booleans()):
                value['size'] = draw(json_values | st.lists(st.integers(-1, 200), max_size=3))
        else:
            container[key] = draw(json_values)
    return data


def _assert_clear(error: Exception) -> None:
    assert isinstance(error, ValueError), f'{type(error).__name__}: {error}'
    assert str(error).strip(), 'empty error message'


def _decode_all_masks(ds) -> None:
    """What the training pipeline does with the loaded RLEs; must not crash the process."""
    for i in range(len(ds)):
        for img in ds.get_data_info(i)['images']:
            for inst in img['instances']:
                mask_utils.decode(inst['mask'])


@pytest.fixture(scope='module')
def ytvis_json(tiny_ytvis):
    return json.loads((tiny_ytvis / 'annotations' / 'train.json').read_text())


@FUZZ
@given(data=st.data(), test_mode=st.booleans())
def test_malformed_ytvis_json(tiny_ytvis, ytvis_json, tmp_path_factory, data, test_mode):
    bad = data.draw(mutated(ytvis_json))
    ann = tmp_path_factory.mktemp('fuzz') / 'bad.json'
    ann.write_text(json.dumps(bad))
    img_root = str(tiny_ytvis / 'train' / 'JPEGImages')
    try:
        ds = VideoInstanceDataset(ann_file=str(ann), data_prefix=dict(img_path=img_root),
                                  pipeline=[], test_mode=test_mode)
    except Exception as e:  # noqa: BLE001 - the type is what is tested
        _assert_clear(e)
    else:
        _decode_all_masks(ds)
    report = check_ytvis(str(ann), img_root)  # never raises
    assert report.ok or all(str(p) and p.kind for p in report.problems)


def test_truncated_and_non_object_json_is_a_clear_error(tiny_ytvis, tmp_path):
    img_root = str(tiny_ytvis / 'train' / 'JPEGImages')
    for text in ('{"videos": [', '[1, 2]', 'null', '"x"'):
        ann = tmp_path / 'bad.json'
        ann.write_text(text)
        with pytest.raises(ValueError, match='bad.json'):
            VideoInstanceDataset(ann_file=str(ann), data_prefix=dict(img_path=img_root),
                                 pipeline=[])
        report = check_ytvis(str(ann), img_root)
        assert [p.kind for p in report.problems] == ['bad-json']


@pytest.fixture(scope='module')
def vipseg_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('vipseg_fuzz')
    spec = SyntheticVideoSpec(num_videos=2, num_frames=2, height=32, width=48, seed=3)
    ann = write_vipseg(spec, str(root), split='train', progress=False)
    return root, json.loads(open(ann).read())


@FUZZ
@given(data=st.data(), test_mode=st.booleans())
def test_malformed_vipseg_json(vipseg_root, tmp_path_factory, data, test_mode):
    root, valid = vipseg_root
    bad = data.draw(mutated(valid))
    ann = tmp_path_factory.mktemp('fuzz') / 'bad.json'
    ann.write_text(json.dumps(bad))
    try:
        VIPSegDataset(ann_file=str(ann), data_root=str(root), pipeline=[], test_mode=test_mode)
    except Exception as e:  # noqa: BLE001
        _assert_clear(e)
    report = check_vipseg(str(ann), str(root / 'images'), str(root / 'panomasksRGB'), full=True)
    assert report.ok or all(str(p) and p.kind for p in report.problems)


@settings(max_examples=200, deadline=None)
@given(counts=st.text(max_size=30) | st.binary(max_size=30) |
       st.lists(st.integers(-2**40, 2**40), max_size=6),
       size=st.lists(st.integers(-1, 40), min_size=0, max_size=3))
def test_rle_check_guards_pycocotools(counts, size):
    """Whatever ``rle_problem`` accepts, pycocotools decodes into a mask of that size."""
    from mvc_plugin.datasets.rle_validation import rle_problem
    seg = dict(counts=counts, size=size)
    if rle_problem(seg) is None:
        if isinstance(counts, list):
            seg = mask_utils.frPyObjects(seg, *size)
        elif isinstance(counts, str):
            seg = dict(seg, counts=counts.encode())
        assert mask_utils.decode(seg).shape[:2] == tuple(size)
        assert int(mask_utils.area(seg)) <= int(np.prod(size))
