from .checks import CheckReport, check_vipseg, check_vspw, check_ytvis
from .converters import convert_davis_to_ytvis, convert_videos_to_ytvis, split_ytvis_by_video
from .corrupt_frames import CorruptFrameError, CorruptFrameFallbackMixin
from .ovis_dataset import OVISDataset
from .problems import Problem
from .synthetic import SyntheticVideoSpec, generate_video
from .transforms import CheckedLoadImageFromFile, LoadVideoPanopticAnnotations, VideoPatchMask
from .validation import DatasetError
from .video_instance_dataset import VideoInstanceDataset
from .vipseg_dataset import VIPSegDataset
from .vspw_dataset import VSPWDataset

__all__ = ['CheckedLoadImageFromFile', 'check_vipseg', 'check_vspw', 'check_ytvis', 'CheckReport',
           'convert_davis_to_ytvis', 'convert_videos_to_ytvis', 'CorruptFrameError',
           'CorruptFrameFallbackMixin', 'DatasetError', 'generate_video',
           'LoadVideoPanopticAnnotations', 'OVISDataset', 'Problem', 'split_ytvis_by_video',
           'SyntheticVideoSpec', 'VideoInstanceDataset', 'VideoPatchMask', 'VIPSegDataset',
           'VSPWDataset']
