"""Visualisation: a track visualizer with stable per-id colours and the dataset browser."""
from .browse import SPLITS, browse_dataset, build_split_dataset, pick_frames
from .track_visualizer import VideoTrackVisualizer, track_colour

__all__ = ['SPLITS', 'VideoTrackVisualizer', 'browse_dataset', 'build_split_dataset',
           'pick_frames', 'track_colour']
