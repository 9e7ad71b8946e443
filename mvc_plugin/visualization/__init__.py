"""Visualisation: a track visualizer with stable per-id colours, semantic / panoptic map
visualizers for video segmentation, and the dataset browser."""
from .browse import SPLITS, browse_dataset, build_split_dataset, pick_frames
from .segmentation_visualizer import (SemanticMapVisualizer, VideoPanopticVisualizer,
                                      dataset_palette)
from .track_visualizer import VideoTrackVisualizer, class_palette, track_colour

__all__ = ['SPLITS', 'SemanticMapVisualizer', 'VideoPanopticVisualizer', 'VideoTrackVisualizer',
           'browse_dataset', 'build_split_dataset', 'class_palette', 'dataset_palette',
           'pick_frames', 'track_colour']
