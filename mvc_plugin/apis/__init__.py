"""High-level entry points (demo); imported lazily by the tools, not by ``import mvc_plugin``."""
from .video_demo import load_streaming_model, run_video_demo
from .video_source import VideoSource, open_video_source

__all__ = ['load_streaming_model', 'open_video_source', 'run_video_demo', 'VideoSource']
