from .feature_masking import FeatureMasker
from .masked_video_consistency import PATCH_MASK_KEY, MaskedVideoConsistency, MVCTrainingMixin
from .patch_mask_generator import PatchMaskGenerator

__all__ = ['FeatureMasker', 'MaskedVideoConsistency', 'MVCTrainingMixin', 'PATCH_MASK_KEY',
           'PatchMaskGenerator']
