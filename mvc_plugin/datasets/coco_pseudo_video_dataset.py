"""``CocoPseudoVideoDataset``: COCO images as pseudo video clips, relabelled to a VIS dataset.

DVIS++ trains its YouTube-VIS / OVIS models on the video set *and* on COCO (official
``configs/dvis_Plus/{ytvis19,ytvis21,ovis}/MinVIS_R50.yaml``: ``DATASETS.TRAIN =
("coco2<target>_train", "<target>_train")``, ``DATASET_RATIO: [1.0, 1.0]``, inherited by the
segmenter (``CTVIS_R50.yaml``), online and offline configs). The official loader
(``dvis_Plus/data_video/dataset_mapper.py``, ``CocoClipDatasetMapper``) repeats one image
``SAMPLING_FRAME_NUM`` times and augments the copies into a clip: the same resize / crop / flip for
the whole clip, a different small rotation per frame (``augmentation.py``,
``build_pseudo_augmentation``; here :class:`~mvc_plugin.datasets.transforms.PseudoClipRotate`).

This dataset is mmdet's :class:`~mmdet.datasets.CocoDataset` underneath (same ``ann_file`` /
``data_prefix=dict(img=...)`` arguments, the COCO API, mmdet's instance parsing) whose items are
*videos*: ``dict(video_id, video_length=num_frames, images=[frame] * num_frames)`` with one
``instance_id`` per object, the layout of :class:`~mvc_plugin.datasets.VideoInstanceDataset`, so
the usual video pipeline (``TransformBroadcaster`` of ``LoadImageFromFile`` /
``LoadTrackAnnotations`` ...) and ``PackTrackInputs`` apply.

Classes: each annotation's COCO ``category_id`` is mapped through the official table of the
``target`` dataset (:mod:`~mvc_plugin.datasets.coco_video_class_maps`); annotations of classes
the table lacks are **dropped**, as the official ``datasets/utils/convert_coco2ytvis.py`` does
when it writes ``coco2<target>_train.json``; crowd annotations are dropped, as the official
mapper does (``iscrowd == 0`` only). Images left without objects are kept (official: the
segmenter configs set ``DATALOADER.FILTER_EMPTY_ANNOTATIONS: False``) unless
``filter_cfg=dict(filter_empty_gt=True)``. An unknown ``target`` or an annotation file that
holds none of the table's COCO ids (not a COCO instances file) is a ``ValueError`` /
:class:`~mvc_plugin.datasets.DatasetError` with the reason.
"""
import copy
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

from mmdet.datasets import CocoDataset, YouTubeVISDataset
from mmdet.registry import DATASETS
from mmengine.fileio import get_local_path

from .coco_video_class_maps import OVIS_CLASSES, coco_class_map
from .validation import DatasetError

__all__ = ['CocoPseudoVideoDataset', 'target_classes']


def target_classes(target: str) -> Tuple[str, ...]:
    """Class names of a pseudo-video target (``'ytvis2019' | 'ytvis2021' | 'ovis'``), in id
    order, as :class:`~mvc_plugin.datasets.VideoInstanceDataset` names them."""
    coco_class_map(target)  # validates the name
    if target == 'ovis':
        return OVIS_CLASSES
    versioned = type('_PseudoVideoYouTubeVIS', (YouTubeVISDataset, ), {})
    versioned.set_dataset_classes(target[len('ytvis'):])
    return tuple(versioned.METAINFO['classes'])


@DATASETS.register_module()
class CocoPseudoVideoDataset(CocoDataset):
    """COCO instance annotations served as clips of ``num_frames`` copies of each image.

    Args:
        target: the video dataset whose classes the COCO classes are mapped to:
            ``'ytvis2019' | 'ytvis2021' | 'ovis'``.
        num_frames: frames per pseudo clip (the official ``SAMPLING_FRAME_NUM`` of the stage).
        metainfo: by default ``classes`` = the target's classes (so that a ``ConcatDataset``
            with the video set agrees); a given ``classes`` must have as many names.
        Other arguments as in :class:`mmdet.datasets.CocoDataset` (``ann_file``, ``data_root``,
        ``data_prefix=dict(img='train2017/')``, ``filter_cfg``, ``pipeline``...).
    """

    def __init__(self, *args: Any, target: str = 'ytvis2019', num_frames: int = 5,
                 metainfo: Optional[dict] = None, **kwargs: Any) -> None:
        self.class_map = coco_class_map(target)
        self.target = target
        if not isinstance(num_frames, int) or num_frames < 1:
            raise ValueError(f'CocoPseudoVideoDataset: num_frames must be an int >= 1, got '
                             f'{num_frames!r}')
        self.num_frames = num_frames
        classes = target_classes(target)
        metainfo = dict(metainfo or {})
        given = metainfo.get('classes')
        if given is not None and len(given) != len(classes):
            raise ValueError(f'CocoPseudoVideoDataset: target {target!r} has {len(classes)} '
                             f'classes, metainfo.classes has {len(given)}')
        metainfo.setdefault('classes', classes)
        super().__init__(*args, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the COCO file; keep the mapped classes' non-crowd annotations, relabelled."""
        with get_local_path(self.ann_file, backend_args=self.backend_args) as local_path:
            self.coco = self.COCOAPI(local_path)
        present = set(self.coco.get_cat_ids())
        self.cat_ids = sorted(c for c in self.class_map if c in present)
        if not self.cat_ids:
            raise DatasetError(f'COCO pseudo videos for {self.target!r}', [
                f'{self.ann_file}: none of the COCO category ids {sorted(self.class_map)} of the '
                f'COCO -> {self.target} table is in its "categories" (is it a COCO instances '
                'file, e.g. annotations/instances_train2017.json?)'])
        # mmdet's parse_data_info keeps categories in cat_ids and labels them with cat2label
        self.cat2label = {c: self.class_map[c] - 1 for c in self.cat_ids}
        self.cat_img_map = copy.deepcopy(self.coco.cat_img_map)
        data_list = []
        for img_id in self.coco.get_img_ids():
            raw_img_info = self.coco.load_imgs([img_id])[0]
            raw_img_info['img_id'] = img_id
            raw_ann_info = self.coco.load_anns(self.coco.get_ann_ids(img_ids=[img_id]))
            info = self.parse_data_info(dict(raw_ann_info=raw_ann_info,
                                             raw_img_info=raw_img_info))
            info['instances'] = [dict(inst, instance_id=i) for i, inst in enumerate(
                inst for inst in info['instances'] if not inst['ignore_flag'])]
            data_list.append(info)
        del self.coco
        return data_list

    def filter_data(self) -> List[dict]:
        """``filter_cfg=dict(filter_empty_gt=True, min_size=N)`` drops images without mapped
        objects / smaller than ``min_size``; nothing is dropped by default (official)."""
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        drop_empty = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        return [d for d in self.data_list
                if not (drop_empty and not d['instances'])
                and min(d['width'], d['height']) >= min_size]

    def get_video_info(self, idx: int) -> Dict[str, Any]:
        """The pseudo video of image ``idx``: ``num_frames`` copies of its frame info."""
        info = self.get_data_info(idx)
        frame = {k: v for k, v in info.items() if k != 'instances'}
        frame.update(video_id=info['img_id'], file_name=osp.basename(info['img_path']))
        images = [dict(frame, frame_id=t, instances=copy.deepcopy(info['instances']))
                  for t in range(self.num_frames)]
        return dict(video_id=info['img_id'], video_length=self.num_frames, images=images)

    def prepare_data(self, idx: int) -> Any:
        """The pipeline's output for the pseudo clip of image ``idx`` (``None``: draw again)."""
        if self.test_mode:
            raise RuntimeError('CocoPseudoVideoDataset is a training set (COCO joint training); '
                               'evaluate on the video dataset')
        video = self.get_video_info(idx)
        # the video-level keys on every frame, as mmdet's frame samplers do for real videos
        length = video['video_length']
        frames = [dict(f, video_length=length, ori_video_length=length)
                  for f in video['images']]
        results: Dict[str, Any] = {}
        for frame in frames:
            for key, value in frame.items():
                results.setdefault(key, []).append(value)
        results['key_frame_flags'] = [t == len(frames) // 2 for t in range(len(frames))]
        return self.pipeline(results)
