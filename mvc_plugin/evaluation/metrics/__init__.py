"""Registered evaluation metrics (importing this registers them in mmdet)."""
from .video_instance_metric import VideoInstanceMetric

__all__ = ['VideoInstanceMetric']
