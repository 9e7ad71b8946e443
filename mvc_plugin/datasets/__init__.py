from .converters import convert_davis_to_ytvis
from .transforms import VideoPatchMask
from .synthetic import SyntheticVideoSpec, generate_video
from .validation import DatasetError
from .video_instance_dataset import VideoInstanceDataset
from .vspw_dataset import VSPWDataset

__all__ = ['convert_davis_to_ytvis', 'DatasetError', 'SyntheticVideoSpec', 'generate_video',
           'VideoInstanceDataset', 'VideoPatchMask', 'VSPWDataset']
