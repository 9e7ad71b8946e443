from .checks import CheckReport, check_vipseg, check_vspw, check_ytvis
from .coco_pseudo_video_dataset import CocoPseudoVideoDataset
from .coco_video_class_maps import COCO_VIDEO_CLASS_MAPS
from .converters import convert_davis_to_ytvis, convert_videos_to_ytvis, split_ytvis_by_video
from .corrupt_frames import CorruptFrameError, CorruptFrameFallbackMixin
from .dataset_ratio_batch_sampler import DatasetRatioBatchSampler
from .ovis_dataset import OVISDataset
from .problems import Problem
from .synthetic import SyntheticVideoSpec, generate_video
from .segmentation_video_dataset import SegmentationVideoDataset
from .transforms import (CheckedLoadImageFromFile, DVISPlusClipSample,
                         LoadVideoPanopticAnnotations, LoadVideoPanopticTracks,
                         LoadVideoSemanticAnnotations, PseudoClipRotate, VideoClipSample,
                         VideoPatchMask)
from .validation import DatasetError
from .video_instance_dataset import VideoInstanceDataset
from .vipseg_dataset import VIPSegDataset
from .vipseg_video_dataset import VIPSegVideoDataset
from .vspw_dataset import VSPWDataset
from .vspw_video_dataset import VSPWVideoDataset

__all__ = ['CheckedLoadImageFromFile', 'check_vipseg', 'check_vspw', 'check_ytvis', 'CheckReport',
           'COCO_VIDEO_CLASS_MAPS', 'CocoPseudoVideoDataset', 'convert_davis_to_ytvis',
           'convert_videos_to_ytvis', 'CorruptFrameError', 'CorruptFrameFallbackMixin',
           'DatasetError', 'DatasetRatioBatchSampler', 'DVISPlusClipSample', 'generate_video',
           'LoadVideoPanopticAnnotations', 'LoadVideoPanopticTracks',
           'LoadVideoSemanticAnnotations', 'OVISDataset', 'Problem', 'PseudoClipRotate',
           'SegmentationVideoDataset', 'split_ytvis_by_video', 'SyntheticVideoSpec',
           'VideoClipSample', 'VideoInstanceDataset', 'VideoPatchMask', 'VIPSegDataset',
           'VIPSegVideoDataset', 'VSPWDataset', 'VSPWVideoDataset']
