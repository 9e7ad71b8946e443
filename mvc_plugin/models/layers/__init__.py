from .object_masked_attention import (ObjectMaskedAttention, relevance_from_logits,
                                      resolve_oma_cfg)
from .oma_decoder_layer import OMATransformerDecoder, OMATransformerDecoderLayer

__all__ = ['ObjectMaskedAttention', 'OMATransformerDecoder', 'OMATransformerDecoderLayer',
           'relevance_from_logits', 'resolve_oma_cfg']
