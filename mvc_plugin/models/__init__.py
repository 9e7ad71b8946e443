from .layers import (ObjectMaskedAttention, OMATransformerDecoder, OMATransformerDecoderLayer,
                     relevance_from_logits)
from .losses import MVCConsistencyLoss
from .mvc import FeatureMasker, MaskedVideoConsistency, PatchMaskGenerator
from .tracking_heads import OMAMask2FormerTrackHead

__all__ = [
    'FeatureMasker', 'MaskedVideoConsistency', 'MVCConsistencyLoss',
    'ObjectMaskedAttention', 'OMAMask2FormerTrackHead', 'OMATransformerDecoder',
    'OMATransformerDecoderLayer', 'PatchMaskGenerator', 'relevance_from_logits'
]
from .video_heads import DecoupledVideoSegmentor, ReferringTracker, TemporalRefiner  # noqa: E402

__all__ += ['DecoupledVideoSegmentor', 'ReferringTracker', 'TemporalRefiner']
