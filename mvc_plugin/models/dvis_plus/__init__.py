"""DVIS++ modules (Zhang et al., 2023), re-implemented on mmdet / mmcv and checked against the
official code (``tools/dev/dvispp_parity.py``)."""
from .ctvis_contrastive import CTVISContrastiveLoss
from .dvis_plus_segmentor import DVISPlusVideoSegmentor
from .contrastive_losses import (ClassEmbeddingMemory, memory_contrastive_loss,
                                 reference_contrastive_loss)
from .attention_layers import KeyAttentionLayer, PostNormFFN, PostNormSelfAttention, mlp
from .query_noiser import NOISE_MODES, QueryNoiser, match_by_cosine
from .referring_tracker import DVISPlusReferringTracker, TrackerMemory
from .reid_mask2former_head import ReIDMask2FormerHead
from .stage_training import ClipFrames, refiner_stage_losses, tracker_stage_losses, video_targets
from .temporal_refiner import DVISPlusTemporalRefiner
from .video_hungarian_matcher import (DVISPlusConsistentVideoMatcher,
                                      DVISPlusVideoHungarianMatcher)
from .video_set_criterion import DVISPlusVideoSetCriterion
from .video_panoptic_fusion import VideoPanopticFusion

__all__ = [
    'CTVISContrastiveLoss', 'ClassEmbeddingMemory', 'ClipFrames', 'DVISPlusConsistentVideoMatcher',
    'DVISPlusReferringTracker', 'DVISPlusTemporalRefiner', 'DVISPlusVideoHungarianMatcher',
    'DVISPlusVideoSegmentor', 'DVISPlusVideoSetCriterion', 'KeyAttentionLayer', 'NOISE_MODES',
    'PostNormFFN', 'PostNormSelfAttention', 'QueryNoiser', 'ReIDMask2FormerHead', 'TrackerMemory',
    'VideoPanopticFusion', 'match_by_cosine', 'memory_contrastive_loss', 'mlp',
    'reference_contrastive_loss', 'refiner_stage_losses', 'tracker_stage_losses', 'video_targets'
]
