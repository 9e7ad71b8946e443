"""Decoupled video segmentation heads (DVIS++ design): referring tracker, temporal refiner and
the model that runs them on an mmdet Mask2Former segmenter."""
from .clip_criterion import ClipMatchingCriterion, ClipTargets, clip_targets
from .decoupled_video_segmentor import STAGES, DecoupledVideoSegmentor
from .prediction_heads import ObjectPredictionHeads, mask_logits_from_embeddings
from .referring_tracker import ReferringTracker, ReferringTrackerLayer
from .segmenter_tap import SegmenterFrames, SegmenterTap
from .temporal_refiner import TemporalRefiner, TemporalRefinerLayer
from .video_results import RLEMaskStore, check_frame_sizes, postprocess_masks, select_video_topk
from .video_streaming import FrameResult, StreamState, VideoStreamingMixin

__all__ = [
    'ClipMatchingCriterion', 'ClipTargets', 'DecoupledVideoSegmentor', 'FrameResult',
    'ObjectPredictionHeads', 'ReferringTracker', 'ReferringTrackerLayer', 'RLEMaskStore',
    'STAGES', 'SegmenterFrames', 'SegmenterTap', 'StreamState', 'TemporalRefiner',
    'TemporalRefinerLayer', 'VideoStreamingMixin', 'check_frame_sizes', 'clip_targets',
    'mask_logits_from_embeddings', 'postprocess_masks', 'select_video_topk'
]
