"""Benchmarks of the DVIS++ ablation (``dvispp_ablation.py``): data and per-benchmark config.

Each benchmark is a task (VIS / VSS / VPS), the quick-start-size DVIS++ configs of that task
(``configs/dvis_pp/dvis-pp_r18_synthetic-<format>_<stage>.py``) and a data set written once:

* ``synthetic-vis``: the generator's occlusion-heavy YouTube-VIS set (4-6 objects of 35-60 % of
  the frame, class prior ~ 1 / (k + 1) ** 1.5), with OVIS per-frame occlusion labels; tested as
  OVIS (``OVISDataset``) so that AP splits by occlusion level (APso / APmo / APho), and with the
  rarest and most frequent classes (by training tracks) as class groups (AP_rare / AP_frequent).
* ``synthetic-vss`` / ``synthetic-vps``: the generator's VSPW / VIPSeg sets (same scene model).
* ``davis-vis``: the four DAVIS 2016 sequences of ``../shared/data/real``, each split in time
  (first 70 % of the frames train, the rest test), one class per sequence.
* ``camvid-vss``: the CamVid Seq05VD frames of ``../shared/data/real`` in the VSPW layout, the
  first 10 frames train, the last 5 test (too short for VC8: mIoU only). Images are linked,
  labels written with VSPW's coding (0 = ignored, class c -> c + 1).
"""
import json
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REAL = osp.join(osp.dirname(REPO), 'shared', 'data', 'real')
CAMVID_CLASSES = ('sky', 'building', 'pole', 'road', 'pavement', 'tree', 'sign_symbol', 'fence',
                  'car', 'pedestrian', 'bicyclist')
DAVIS_SEQS = ('blackswan', 'car-shadow', 'dance-twirl', 'libby')

SIZES = {  # generator settings: CPU size (default) and the larger GPU preset
    'cpu': dict(train=dict(num_videos=48, num_frames=8, height=96, width=128),
                val=dict(num_videos=12, num_frames=10, height=96, width=128)),
    'gpu': dict(train=dict(num_videos=120, num_frames=12, height=240, width=320),
                val=dict(num_videos=30, num_frames=24, height=240, width=320)),
    'smoke': dict(train=dict(num_videos=3, num_frames=6, height=48, width=64),
                  val=dict(num_videos=2, num_frames=6, height=48, width=64)),
}
OCCLUSION_HEAVY = dict(objects_per_video=(4, 6), object_size=(0.35, 0.6), class_skew=1.5)

BENCHES = {  # name -> (task, config prefix under configs/dvis_pp)
    'synthetic-vis': ('vis', 'dvis-pp_r18_synthetic-ytvis'),
    'synthetic-vss': ('vss', 'dvis-pp_r18_synthetic-vspw'),
    'synthetic-vps': ('vps', 'dvis-pp_r18_synthetic-vipseg'),
    'davis-vis': ('vis', 'dvis-pp_r18_synthetic-ytvis'),
    'camvid-vss': ('vss', 'dvis-pp_r18_synthetic-vspw'),
}
REAL_BENCHES = ('davis-vis', 'camvid-vss')


def _stamped(root: str, wanted: dict) -> bool:
    """Whether ``root`` already holds data written with the settings ``wanted``."""
    stamp = osp.join(root, 'ablation_spec.json')
    if osp.isfile(stamp):
        with open(stamp) as f:
            return json.load(f) == wanted
    return False


def _stamp(root: str, wanted: dict) -> None:
    with open(osp.join(root, 'ablation_spec.json'), 'w') as f:
        json.dump(wanted, f)


def write_synthetic(bench: str, root: str, size: str = 'cpu') -> None:
    """Write the generator's set of ``bench`` (train and val from disjoint video indices)."""
    from mvc_plugin.datasets.synthetic import (SyntheticVideoSpec, write_vipseg, write_vspw,
                                               write_ytvis)
    extra = OCCLUSION_HEAVY if bench == 'synthetic-vis' else {}
    wanted = {split: dict(SIZES[size][split], seed=200, first_index=0 if split == 'train'
                          else 5000, **extra) for split in ('train', 'val')}
    if _stamped(root, json.loads(json.dumps(wanted))):
        return
    for split, spec in wanted.items():
        spec = SyntheticVideoSpec(**spec)
        if bench == 'synthetic-vis':
            write_ytvis(spec, root, split=split, progress=False, occlusion=True)
        elif bench == 'synthetic-vss':
            write_vspw(spec, root, split=split, progress=False)
        else:
            write_vipseg(spec, root, split=split, progress=False)
    _stamp(root, wanted)


def write_camvid(root: str, camvid: str, train_frames: int = 10) -> None:
    """CamVid Seq05VD as two VSPW videos: frames ``[:train_frames]`` train, the rest test."""
    from PIL import Image
    names = sorted(os.listdir(osp.join(camvid, 'images')))
    wanted = dict(source=camvid, frames=names, train_frames=train_frames)
    if _stamped(root, wanted):
        return
    parts = {'train': names[:train_frames], 'val': names[train_frames:]}
    for split, frames in parts.items():
        video = f'seq05vd_{split}'
        for sub in ('origin', 'mask'):
            os.makedirs(osp.join(root, 'data', video, sub), exist_ok=True)
        for name in frames:
            link = osp.join(root, 'data', video, 'origin', name)
            if not osp.lexists(link):
                os.symlink(osp.join(camvid, 'images', name), link)
            label = np.asarray(Image.open(osp.join(camvid, 'labels', name)), dtype=np.int64)
            if label.max() > len(CAMVID_CLASSES):
                raise ValueError(f'{osp.join(camvid, "labels", name)}: label {label.max()} > '
                                 f'{len(CAMVID_CLASSES)} (11 = unlabelled)')
            vspw = np.where(label == len(CAMVID_CLASSES), 0, label + 1).astype(np.uint8)
            Image.fromarray(vspw).save(osp.join(root, 'data', video, 'mask', name))
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write(video + '\n')
    with open(osp.join(root, 'label_num_dic_final.json'), 'w') as f:
        json.dump({c: i + 1 for i, c in enumerate(CAMVID_CLASSES)}, f)
    _stamp(root, wanted)


def class_groups(train_json: str, k: int = 2) -> Dict[str, List[str]]:
    """The ``k`` rarest and ``k`` most frequent classes by number of training tracks."""
    with open(train_json) as f:
        data = json.load(f)
    counts = Counter(a['category_id'] for a in data['annotations'])
    names = {c['id']: c['name'] for c in data['categories']}
    order = sorted(names, key=lambda c: (counts.get(c, 0), c))
    return dict(rare=[names[c] for c in order[:k]], frequent=[names[c] for c in order[-k:]])


def prepare(bench: str, data_dir: str, size: str = 'cpu') -> Optional[dict]:
    """Write ``bench``'s data under ``data_dir`` and return its config options (``None``
    when its real source is absent; the caller says so)."""
    root = osp.join(data_dir, bench)
    os.makedirs(root, exist_ok=True)
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    opts = {f'{k}.dataset.data_root': root for k in loaders}
    if bench.startswith('synthetic'):
        write_synthetic(bench, root, size)
    if bench == 'synthetic-vis':
        metric = dict(type='VideoInstanceMetric', format_only=False, outfile_prefix=None,
                      occlusion_split=True,
                      class_groups=class_groups(osp.join(root, 'annotations', 'train.json')))
        opts.update({'test_dataloader.dataset.type': 'OVISDataset', 'test_evaluator': metric})
    elif bench == 'synthetic-vps':
        opts.update({'test_evaluator.ann_file': osp.join(root, 'panoptic_gt_VIPSeg_val.json'),
                     'test_evaluator.seg_prefix': osp.join(root, 'panomasksRGB')})
    elif bench == 'davis-vis':
        davis = osp.join(REAL, 'davis2016_val_subset')
        if not osp.isdir(davis):
            return None
        from mvc_ablation import make_davis  # the Mask2Former ablation's temporal split
        make_davis(root, davis)
        img = osp.join(davis, 'JPEGImages', '480p')
        opts.update({f'{k}.dataset.data_prefix.img_path': img for k in loaders})
        opts.update(_num_classes(len(DAVIS_SEQS)))
    elif bench == 'camvid-vss':
        camvid = osp.join(REAL, 'camvid_seq05vd')
        if not osp.isdir(camvid):
            return None
        write_camvid(root, camvid)
        n = len(CAMVID_CLASSES)
        opts.update(_num_classes(n))
        opts.update({'train_dataloader.dataset.pipeline.1.transforms.1.num_classes': n,
                     'test_evaluator.num_classes': n})
    return opts


def _num_classes(n: int) -> dict:
    """Options that resize the segmenter's class heads to ``n`` classes."""
    seg = 'model.segmenter.'
    return {f'{seg}panoptic_head.num_things_classes': n,
            f'{seg}panoptic_head.loss_cls.class_weight': [1.0] * n + [0.1],
            f'{seg}panoptic_fusion_head.num_things_classes': n}
