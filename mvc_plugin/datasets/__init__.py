from .converters import convert_davis_to_ytvis, split_ytvis_by_video
from .ovis_dataset import OVISDataset
from .synthetic import SyntheticVideoSpec, generate_video
from .transforms import LoadVideoPanopticAnnotations, VideoPatchMask
from .validation import DatasetError
from .video_instance_dataset import VideoInstanceDataset
from .vipseg_dataset import VIPSegDataset
from .vspw_dataset import VSPWDataset

__all__ = ['convert_davis_to_ytvis', 'DatasetError', 'generate_video', 'LoadVideoPanopticAnnotations', 'OVISDataset',
           'split_ytvis_by_video', 'SyntheticVideoSpec', 'VideoInstanceDataset',
           'VideoPatchMask', 'VIPSegDataset', 'VSPWDataset']

from .checks import CheckReport, check_vipseg, check_vspw, check_ytvis  # noqa: E402
from .corrupt_frames import CorruptFrameError, CorruptFrameFallbackMixin  # noqa: E402
from .problems import Problem  # noqa: E402
from .transforms import CheckedLoadImageFromFile  # noqa: E402

__all__ += ['CheckedLoadImageFromFile', 'CheckReport', 'check_vipseg', 'check_vspw', 'check_ytvis',
            'CorruptFrameError', 'CorruptFrameFallbackMixin', 'Problem']
