"""State-dict key mapping from the official DVIS++ modules to this package's.

Used by ``tools/convert/dvispp_to_mmdet.py`` (checkpoints) and ``tools/dev/dvispp_parity.py``
(random official weights). Each table maps an official key (regular expression, relative to
the module) to ours; :func:`convert_keys` applies one table and reports what it could not map.
"""
import re
from typing import Dict, List, Sequence, Tuple

from torch import Tensor

__all__ = ['BACKBONE_RULES', 'DECODER_RULES', 'PIXEL_DECODER_RULES', 'REFINER_RULES',
           'TRACKER_RULES', 'convert_keys']

Rules = Sequence[Tuple[str, str]]

_ATTN = r'(in_proj_weight|in_proj_bias|out_proj\.weight|out_proj\.bias)'
_P = r'(weight|bias)'

#: official ``VideoMultiScaleMaskedTransformerDecoder_dvisPlus`` (``sem_seg_head.predictor``)
#: -> mmdet ``Mask2FormerHead`` / :class:`ReIDMask2FormerHead` (``panoptic_head``).
DECODER_RULES: Rules = (
    (r'^(query_feat|query_embed|level_embed)\.weight$', r'\1.weight'),
    (rf'^input_proj\.(\d+)\.{_P}$', r'decoder_input_projs.\1.\2'),
    (rf'^transformer_cross_attention_layers\.(\d+)\.multihead_attn\.{_ATTN}$',
     r'transformer_decoder.layers.\1.cross_attn.attn.\2'),
    (rf'^transformer_cross_attention_layers\.(\d+)\.norm\.{_P}$',
     r'transformer_decoder.layers.\1.norms.0.\2'),
    (rf'^transformer_self_attention_layers\.(\d+)\.self_attn\.{_ATTN}$',
     r'transformer_decoder.layers.\1.self_attn.attn.\2'),
    (rf'^transformer_self_attention_layers\.(\d+)\.norm\.{_P}$',
     r'transformer_decoder.layers.\1.norms.1.\2'),
    (rf'^transformer_ffn_layers\.(\d+)\.linear1\.{_P}$',
     r'transformer_decoder.layers.\1.ffn.layers.0.0.\2'),
    (rf'^transformer_ffn_layers\.(\d+)\.linear2\.{_P}$',
     r'transformer_decoder.layers.\1.ffn.layers.1.\2'),
    (rf'^transformer_ffn_layers\.(\d+)\.norm\.{_P}$', r'transformer_decoder.layers.\1.norms.2.\2'),
    (rf'^decoder_norm\.{_P}$', r'transformer_decoder.post_norm.\1'),
    (rf'^class_embed\.{_P}$', r'cls_embed.\1'),
    (rf'^(mask_embed|reid_embed)\.layers\.(\d+)\.{_P}$', r'\1.<2x\2>.\3'),
)

_BN = r'(weight|bias|running_mean|running_var)'

#: official ``MSDeformAttnPixelDecoder`` (``sem_seg_head.pixel_decoder``) -> mmdet's
#: ``MSDeformAttnPixelDecoder`` (``panoptic_head.pixel_decoder``).
PIXEL_DECODER_RULES: Rules = (
    (rf'^input_proj\.(\d+)\.0\.{_P}$', r'input_convs.\1.conv.\2'),
    (rf'^input_proj\.(\d+)\.1\.{_P}$', r'input_convs.\1.gn.\2'),
    (r'^transformer\.level_embed$', r'level_encoding.weight'),
    (rf'^transformer\.encoder\.layers\.(\d+)\.self_attn\.'
     rf'(sampling_offsets|attention_weights|value_proj|output_proj)\.{_P}$',
     r'encoder.layers.\1.self_attn.\2.\3'),
    (rf'^transformer\.encoder\.layers\.(\d+)\.norm1\.{_P}$', r'encoder.layers.\1.norms.0.\2'),
    (rf'^transformer\.encoder\.layers\.(\d+)\.norm2\.{_P}$', r'encoder.layers.\1.norms.1.\2'),
    (rf'^transformer\.encoder\.layers\.(\d+)\.linear1\.{_P}$',
     r'encoder.layers.\1.ffn.layers.0.0.\2'),
    (rf'^transformer\.encoder\.layers\.(\d+)\.linear2\.{_P}$',
     r'encoder.layers.\1.ffn.layers.1.\2'),
    (rf'^mask_features\.{_P}$', r'mask_feature.\1'),
    (r'^adapter_(\d+)\.weight$', r'lateral_convs.<-1+\1>.conv.weight'),
    (rf'^adapter_(\d+)\.norm\.{_P}$', r'lateral_convs.<-1+\1>.gn.\2'),
    (r'^layer_(\d+)\.weight$', r'output_convs.<-1+\1>.conv.weight'),
    (rf'^layer_(\d+)\.norm\.{_P}$', r'output_convs.<-1+\1>.gn.\2'),
)

#: detectron2 ``ResNet`` (``backbone``, Mask2Former's R50 with ``STRIDE_IN_1X1: False``) ->
#: mmdet ``ResNet`` (style ``pytorch``); frozen BN statistics keep their names.
BACKBONE_RULES: Rules = (
    (r'^stem\.conv1\.weight$', r'conv1.weight'),
    (rf'^stem\.conv1\.norm\.{_BN}$', r'bn1.\1'),
    (r'^res(\d)\.(\d+)\.conv(\d)\.weight$', r'layer<-1+\1>.\2.conv\3.weight'),
    (rf'^res(\d)\.(\d+)\.conv(\d)\.norm\.{_BN}$', r'layer<-1+\1>.\2.bn\3.\4'),
    (r'^res(\d)\.(\d+)\.shortcut\.weight$', r'layer<-1+\1>.\2.downsample.0.weight'),
    (rf'^res(\d)\.(\d+)\.shortcut\.norm\.{_BN}$', r'layer<-1+\1>.\2.downsample.1.\3'),
)

_LAYER_COMMON: Rules = (
    (rf'^transformer_ffn_layers\.(\d+)\.linear1\.{_P}$', r'layers.\1.ffn.ffn.layers.0.0.\2'),
    (rf'^transformer_ffn_layers\.(\d+)\.linear2\.{_P}$', r'layers.\1.ffn.ffn.layers.1.\2'),
    (rf'^transformer_ffn_layers\.(\d+)\.norm\.{_P}$', r'layers.\1.ffn.norm.\2'),
    (rf'^transformer_cross_attention_layers\.(\d+)\.multihead_attn\.{_ATTN}$',
     r'layers.\1.cross_attn.attn.attn.\2'),
    (rf'^transformer_cross_attention_layers\.(\d+)\.norm\.{_P}$', r'layers.\1.cross_attn.norm.\2'),
    (rf'^decoder_norm\.{_P}$', r'decoder_norm.\1'),
    (rf'^class_embed\.{_P}$', r'cls_embed.\1'),
    (rf'^mask_embed\.layers\.(\d+)\.{_P}$', r'mask_embed.<2x\1>.\2'),
)

#: official ``ReferringTracker_noiser`` (``tracker``) -> :class:`DVISPlusReferringTracker`.
TRACKER_RULES: Rules = _LAYER_COMMON + (
    (rf'^transformer_self_attention_layers\.(\d+)\.self_attn\.{_ATTN}$',
     r'layers.\1.self_attn.attn.attn.\2'),
    (rf'^transformer_self_attention_layers\.(\d+)\.norm\.{_P}$', r'layers.\1.self_attn.norm.\2'),
    (rf'^ref_proj\.layers\.(\d+)\.{_P}$', r'ref_proj.<2x\1>.\2'),
    (rf'^mask_feature_proj\.{_P}$', r'mask_feature_proj.\1'),
)

#: official ``TemporalRefiner`` (``refiner``) -> :class:`DVISPlusTemporalRefiner`.
REFINER_RULES: Rules = _LAYER_COMMON + (
    (rf'^transformer_time_self_attention_layers\.(\d+)\.self_attn\.{_ATTN}$',
     r'layers.\1.time_attn.attn.attn.\2'),
    (rf'^transformer_time_self_attention_layers\.(\d+)\.norm\.{_P}$',
     r'layers.\1.time_attn.norm.\2'),
    (rf'^transformer_obj_self_attention_layers\.(\d+)\.self_attn\.{_ATTN}$',
     r'layers.\1.obj_attn.attn.attn.\2'),
    (rf'^transformer_obj_self_attention_layers\.(\d+)\.norm\.{_P}$',
     r'layers.\1.obj_attn.norm.\2'),
    (rf'^conv_short_aggregate_layers\.(\d+)\.(0|2)\.{_P}$', r'layers.\1.short_conv.conv.\2.\3'),
    (rf'^conv_norms\.(\d+)\.{_P}$', r'layers.\1.short_conv.norm.\2'),
    (rf'^activation_proj\.{_P}$', r'activation_proj.\1'),
)


def _rename(key: str, rules: Rules) -> str:
    for pattern, target in rules:
        if re.match(pattern, key):
            new = re.sub(pattern, target, key)
            # '<2xN>': an MLP's N-th Linear sits at index 2N of an nn.Sequential with ReLUs;
            # '<-1+N>': 1-based names (res2 -> layer1, adapter_1 -> lateral_convs.0).
            new = re.sub(r'<2x(\d+)>', lambda m: str(2 * int(m.group(1))), new)
            return re.sub(r'<-1\+(\d+)>', lambda m: str(int(m.group(1)) - 1), new)
    return ''


def convert_keys(state_dict: Dict[str, Tensor], rules: Rules,
                 prefix: str = '') -> Tuple[Dict[str, Tensor], List[str]]:
    """Rename ``state_dict`` keys by ``rules``; return the renamed dict (keys prefixed with
    ``prefix``) and the official keys no rule matched."""
    out, unmatched = {}, []
    for key, value in state_dict.items():
        new = _rename(key, rules)
        if new:
            out[prefix + new] = value
        else:
            unmatched.append(key)
    return out, unmatched
