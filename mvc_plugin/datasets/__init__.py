from .converters import convert_davis_to_ytvis
from .synthetic import SyntheticVideoSpec, generate_video
from .validation import DatasetError
from .video_instance_dataset import VideoInstanceDataset

__all__ = ['convert_davis_to_ytvis', 'DatasetError', 'SyntheticVideoSpec', 'generate_video',
           'VideoInstanceDataset']
