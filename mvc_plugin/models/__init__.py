from .layers import (ObjectMaskedAttention, OMATransformerDecoder, OMATransformerDecoderLayer,
                     relevance_from_logits)
from .losses import MVCConsistencyLoss
from .mvc import FeatureMasker, MaskedVideoConsistency, PatchMaskGenerator
from .tracking_heads import OMAMask2FormerTrackHead
from .video_heads import DecoupledVideoSegmentor, ReferringTracker, TemporalRefiner

__all__ = [
    'DecoupledVideoSegmentor', 'FeatureMasker', 'MaskedVideoConsistency', 'MVCConsistencyLoss',
    'ObjectMaskedAttention', 'OMAMask2FormerTrackHead', 'OMATransformerDecoder',
    'OMATransformerDecoderLayer', 'PatchMaskGenerator', 'ReferringTracker',
    'relevance_from_logits', 'TemporalRefiner'
]
