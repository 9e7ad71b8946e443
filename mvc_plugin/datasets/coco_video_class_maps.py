"""COCO -> video-dataset class tables for the COCO pseudo-video joint training of DVIS++.

The official DVIS++ segmenter stage of YouTube-VIS 2019 / 2021 and OVIS trains on the video set
*and* on COCO images turned into pseudo clips (``DATASETS.TRAIN = ("coco2ytvis2019_train",
"ytvis_2019_train")`` in ``configs/dvis_Plus/ytvis19/MinVIS_R50.yaml``). Each COCO class that has
a counterpart in the video dataset is relabelled to it; the tables below are those facts (the
official ones live in ``dvis_Plus/data_video/datasets/ytvis.py``: ``COCO_TO_YTVIS_2019``,
``COCO_TO_YTVIS_2021``, ``COCO_TO_OVIS``). Keys are COCO ``category_id`` (1..90, the ids of
``instances_train2017.json``), values the target dataset's ``category_id`` (1-based, contiguous:
label = id - 1).

COCO classes *not* in a table are dropped with their annotations, as the official converter
``datasets/utils/convert_coco2ytvis.py`` does before training (the image stays; see
:class:`~mvc_plugin.datasets.CocoPseudoVideoDataset`).
"""
from typing import Dict, Tuple

__all__ = ['COCO_VIDEO_CLASS_MAPS', 'OVIS_CLASSES', 'coco_class_map']

# COCO id -> YouTube-VIS 2019 id, e.g. person -> person, bicycle -> motorbike (YTVIS has no
# bicycle), car -> sedan, giraffe -> giraffe; (ytvis.py: COCO_TO_YTVIS_2019)
_YTVIS_2019: Dict[int, int] = {
    1: 1, 2: 21, 3: 6, 4: 21, 5: 28, 7: 17, 8: 29, 9: 34, 17: 14, 18: 8, 19: 18, 21: 15, 22: 32,
    23: 20, 24: 30, 25: 22, 35: 33, 36: 33, 41: 5, 42: 27, 43: 40}
# COCO id -> YouTube-VIS 2021 id (ytvis.py: COCO_TO_YTVIS_2021)
_YTVIS_2021: Dict[int, int] = {
    1: 26, 2: 23, 3: 5, 4: 23, 5: 1, 7: 36, 8: 37, 9: 4, 16: 3, 17: 6, 18: 9, 19: 19, 21: 7,
    22: 12, 23: 2, 24: 40, 25: 18, 34: 14, 35: 31, 36: 31, 41: 29, 42: 33, 43: 34}
# COCO id -> OVIS id (ytvis.py: COCO_TO_OVIS)
_OVIS: Dict[int, int] = {
    1: 1, 2: 21, 3: 25, 4: 22, 5: 23, 6: 25, 8: 25, 9: 24, 17: 3, 18: 4, 19: 5, 20: 6, 21: 7,
    22: 8, 23: 9, 24: 10, 25: 11}

COCO_VIDEO_CLASS_MAPS: Dict[str, Dict[int, int]] = {
    'ytvis2019': _YTVIS_2019, 'ytvis2021': _YTVIS_2021, 'ovis': _OVIS}

# OVIS's 25 classes in id order (the official OVIS annotation files; 'Vehical' is spelled so there)
OVIS_CLASSES: Tuple[str, ...] = (
    'Person', 'Bird', 'Cat', 'Dog', 'Horse', 'Sheep', 'Cow', 'Elephant', 'Bear', 'Zebra',
    'Giraffe', 'Poultry', 'Giant_panda', 'Lizard', 'Parrot', 'Monkey', 'Rabbit', 'Tiger', 'Fish',
    'Turtle', 'Bicycle', 'Motorcycle', 'Airplane', 'Boat', 'Vehical')


def coco_class_map(target: str) -> Dict[int, int]:
    """The COCO id -> ``target`` id table; ``ValueError`` naming the known targets otherwise."""
    if target not in COCO_VIDEO_CLASS_MAPS:
        raise ValueError(f'no COCO class mapping for target {target!r}; known targets: '
                         f'{sorted(COCO_VIDEO_CLASS_MAPS)} (VSPW / VIPSeg train without COCO, '
                         'as the official configs do)')
    return dict(COCO_VIDEO_CLASS_MAPS[target])
