"""Read a per-frame mmdet ``Mask2Former``'s object queries, class logits and mask features.

The video heads need more than mmdet's ``Mask2FormerHead.forward`` returns (class and mask
logits per decoder layer): the last layer's *query embeddings* and the pixel decoder's *mask
features*. Rather than subclassing or editing mmdet's head, two forward hooks read them:

* ``panoptic_head.transformer_decoder.post_norm`` -- called once per prediction (before the first
  decoder layer and after each layer); its last output is the normalised final query embedding,
  exactly the tensor mmdet's ``cls_embed`` / ``mask_embed`` read, and its last input the same
  query before the norm (DVIS++ feeds both to its video modules);
* ``panoptic_head.pixel_decoder`` -- its output ``(mask_features, multi_scale_memorys)``.

Hooks work with any head that keeps these two sub-modules (mmdet's ``Mask2FormerHead`` and
subclasses), leave the segmenter's parameters and state-dict keys untouched (so plain mmdet
Mask2Former checkpoints stay compatible), and record only inside :meth:`SegmenterTap.capture`.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional

from torch import Tensor, nn

__all__ = ['SegmenterFrames', 'SegmenterTap']


@dataclass
class SegmenterFrames:
    """Segmenter outputs for a batch of frames (first dim ``F`` = frames)."""

    queries: Tensor        #: ``(F, N, C)`` final decoder query embeddings
    cls_logits: Tensor     #: ``(F, N, K + 1)`` class logits (last = no-object)
    mask_logits: Tensor    #: ``(F, N, h, w)`` the segmenter's own mask logits
    mask_features: Tensor  #: ``(F, Cm, h, w)`` pixel-decoder mask features (stride 4)
    queries_no_norm: Optional[Tensor] = None  #: ``(F, N, C)`` the queries before ``post_norm``


class SegmenterTap:
    """Hooks on a built mmdet ``Mask2Former`` (``MaskFormer``-style detector).

    Args:
        segmenter: the detector; it needs ``extract_feat`` and a ``panoptic_head`` with
            ``transformer_decoder.post_norm`` and ``pixel_decoder``.
    """

    def __init__(self, segmenter: nn.Module) -> None:
        head = getattr(segmenter, 'panoptic_head', None)
        decoder = getattr(head, 'transformer_decoder', None)
        if head is None or not hasattr(decoder, 'post_norm') or \
                not hasattr(head, 'pixel_decoder') or not hasattr(segmenter, 'extract_feat'):
            raise TypeError('DecoupledVideoSegmentor: the segmenter must be an mmdet Mask2Former '
                            '(a panoptic_head with transformer_decoder.post_norm and '
                            f'pixel_decoder), got {type(segmenter).__name__}')
        self.segmenter = segmenter
        self._store: Optional[Dict[str, Any]] = None
        decoder.post_norm.register_forward_hook(self._on_post_norm)
        head.pixel_decoder.register_forward_hook(self._on_pixel_decoder)

    def _on_post_norm(self, module: nn.Module, args: Any, output: Tensor) -> None:
        if self._store is not None:
            self._store['queries'] = output
            self._store['queries_no_norm'] = args[0]

    def _on_pixel_decoder(self, module: nn.Module, args: Any, output: Any) -> None:
        if self._store is not None:
            self._store['mask_features'] = output[0]

    @contextmanager
    def capture(self) -> Iterator[Dict[str, Any]]:
        """Record the hooked tensors of the forward passes run inside the block."""
        self._store = {}
        try:
            yield self._store
        finally:
            self._store = None

    def __call__(self, images: Tensor, samples: Optional[List] = None) -> SegmenterFrames:
        """Run the segmenter on ``(F, C, H, W)`` frames and collect its per-frame outputs."""
        head = self.segmenter.panoptic_head
        feats = self.segmenter.extract_feat(images)
        with self.capture() as store:
            cls_list, mask_list = head(feats, samples)
        if 'queries' not in store or 'mask_features' not in store:
            raise RuntimeError('SegmenterTap: the segmenter head did not call post_norm / '
                               'pixel_decoder; is it an mmdet Mask2FormerHead?')
        return SegmenterFrames(queries=store['queries'], cls_logits=cls_list[-1],
                               mask_logits=mask_list[-1], mask_features=store['mask_features'],
                               queries_no_norm=store['queries_no_norm'])
