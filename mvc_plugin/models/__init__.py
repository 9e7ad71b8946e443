from .layers import (ObjectMaskedAttention, OMATransformerDecoder, OMATransformerDecoderLayer,
                     relevance_from_logits)
from .losses import MVCConsistencyLoss
from .mvc import FeatureMasker, MaskedVideoConsistency, PatchMaskGenerator
from .tracking_heads import OMAMask2FormerTrackHead
from .dvis_plus import (DVISPlusReferringTracker, DVISPlusTemporalRefiner, QueryNoiser,
                        ReIDMask2FormerHead)
from .video_heads import DecoupledVideoSegmentor, ReferringTracker, TemporalRefiner

__all__ = [
    'DecoupledVideoSegmentor', 'DVISPlusReferringTracker', 'DVISPlusTemporalRefiner',
    'FeatureMasker', 'MaskedVideoConsistency', 'MVCConsistencyLoss',
    'ObjectMaskedAttention', 'OMAMask2FormerTrackHead', 'OMATransformerDecoder',
    'OMATransformerDecoderLayer', 'PatchMaskGenerator', 'QueryNoiser', 'ReferringTracker',
    'ReIDMask2FormerHead',
    'relevance_from_logits', 'TemporalRefiner'
]
