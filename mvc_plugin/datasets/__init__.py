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
