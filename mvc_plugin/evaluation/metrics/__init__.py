"""Registered evaluation metrics (importing this registers them in mmdet / mmseg)."""
from .video_instance_metric import VideoInstanceMetric
from .vipseg_metric import VIPSegMetric
from .vspw_metric import VSPWMetric

__all__ = ['VideoInstanceMetric', 'VIPSegMetric', 'VSPWMetric']
