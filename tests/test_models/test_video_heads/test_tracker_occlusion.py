"""The referring tracker keeps an object's identity through an occlusion (toy, trained here).

Toy world, no images: each clip has 3 objects whose appearance (a 32-d embedding: a class
prototype + an instance part) drifts slowly over time. Per frame, the "segmenter" returns the
visible objects' embeddings as queries in a *random slot order* (padded with no-object queries)
and mask features that hold, at each pixel, the embedding of the object there. One object is
hidden for a few frames. A tracked object keeps its identity if the tracker object that segments
object 0 before the occlusion segments it again afterwards (the object has drifted meanwhile and
comes back in another slot, so the tracker must re-find it).
"""
import torch

from mvc_plugin.models.video_heads import ClipMatchingCriterion, ClipTargets, ReferringTracker

C, K, N, T, S, NOBJ = 32, 3, 5, 6, 16, 3
BLOCK = S // 2 - 3
PROTO = torch.randn(K, C, generator=torch.Generator().manual_seed(7))
EMPTY = torch.randn(C, generator=torch.Generator().manual_seed(8))


def _clips(b, g, occlude=None):
    labels = torch.randint(0, K, (b, NOBJ), generator=g)
    drift = 0.3 * torch.randn(b, T, NOBJ, C, generator=g)
    drift[:, 0] = 0
    ident = (0.7 * PROTO[labels] + torch.randn(b, NOBJ, C, generator=g))[:, None] + \
        drift.cumsum(1)                                                     # (b, T, NOBJ, C)
    # one object per quadrant, a BLOCK x BLOCK square at a random offset inside it
    quad = torch.rand(b, 4, generator=g).argsort(-1)[:, :NOBJ]
    top = (quad // 2) * (S // 2) + torch.randint(0, S // 2 - BLOCK + 1, (b, NOBJ), generator=g)
    left = (quad % 2) * (S // 2) + torch.randint(0, S // 2 - BLOCK + 1, (b, NOBJ), generator=g)
    ar = torch.arange(S)
    rows = (ar >= top[..., None]) & (ar < top[..., None] + BLOCK)
    cols = (ar >= left[..., None]) & (ar < left[..., None] + BLOCK)
    region = rows[..., :, None] & cols[..., None, :]                        # (b, NOBJ, S, S)
    visible = torch.ones(b, T, NOBJ, dtype=torch.bool)
    for i in range(b):
        k, start, end = occlude if occlude else (
            int(torch.randint(0, NOBJ, (1,), generator=g)),
            int(torch.randint(1, T - 3, (1,), generator=g)), None)
        visible[i, start:end if end else start + int(torch.randint(1, 3, (1,), generator=g)),
                k] = False
    slots = torch.rand(b, T, N, generator=g).argsort(-1)[..., :NOBJ]       # random slot order
    queries = EMPTY + 0.3 * torch.randn(b, T, N, C, generator=g)
    logits = torch.zeros(b, T, N, K + 1)
    logits[..., K] = 6.0
    obj_queries = ident + 0.1 * torch.randn(b, T, NOBJ, C, generator=g)
    obj_logits = torch.zeros(b, T, NOBJ, K + 1).scatter_(-1, labels[:, None, :, None]
                                                         .expand(-1, T, -1, -1), 6.0)
    vis = visible[..., None]
    queries.scatter_(2, slots[..., None].expand(-1, -1, -1, C), torch.where(
        vis, obj_queries, queries.gather(2, slots[..., None].expand(-1, -1, -1, C))))
    logits.scatter_(2, slots[..., None].expand(-1, -1, -1, K + 1), torch.where(
        vis, obj_logits, logits.gather(2, slots[..., None].expand(-1, -1, -1, K + 1))))
    masks = region[:, :, None] & visible.transpose(1, 2)[..., None, None]  # (b, NOBJ, T, S, S)
    feats = torch.einsum('bkthw,btkc->btchw', masks.float(), ident)
    feats = torch.cat([feats, torch.ones(b, T, 1, S, S)], dim=2)             # + a bias channel
    targets = [ClipTargets(labels=labels[i], masks=masks[i], instance_ids=torch.arange(NOBJ))
               for i in range(b)]
    return queries, logits, feats, targets


def _kept_identities(tracker, num=32):
    """Sequences where the tracker object segmenting object 0 before its occlusion (frame 1;
    hidden on frames 2..T-3) segments it again on the last two frames (mask IoU >= 0.5)."""
    queries, logits, feats, targets = _clips(num, torch.Generator().manual_seed(123),
                                             occlude=(0, 2, T - 2))
    tracker.eval()
    with torch.no_grad():
        cls_logits, mask_logits = tracker.predict_heads(tracker(queries, logits), feats)
    pred = mask_logits.flatten(-2) > 0                                      # (num, T, N, P)
    gt = torch.stack([tg.masks[0].flatten(-2) for tg in targets])          # (num, T, P)
    inter = (pred & gt[:, :, None]).sum(-1).float()
    iou = inter / (pred | gt[:, :, None]).sum(-1).clamp(min=1).float()    # (num, T, N)
    objectness = 1 - cls_logits.softmax(-1)[..., -1]
    star = (iou[:, 1] * objectness[:, 1]).argmax(-1)                        # object 0's tracker
    own = iou.gather(2, star[:, None, None].expand(-1, T, 1))[..., 0]       # (num, T)
    kept = (own[:, 1] >= 0.5) & (own[:, -2:].min(-1).values >= 0.5)
    return int(kept.sum())


def test_identity_survives_occlusion_after_training():
    torch.manual_seed(2)
    tracker = ReferringTracker(num_layers=2, embed_dims=C, num_heads=4, ffn_channels=64,
                               num_classes=K, mask_dims=C + 1,
                               oma_cfg=dict(mode='hard', threshold=0.5), noise_ratio=0.1)
    criterion = ClipMatchingCriterion(num_classes=K, num_points=64)
    untrained = _kept_identities(tracker)
    optimizer = torch.optim.AdamW(tracker.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(2)
    tracker.train()
    for _ in range(300):
        queries, logits, feats, targets = _clips(8, g)
        cls_logits, mask_logits = tracker.predict_heads(tracker(queries, logits), feats)
        loss = sum(criterion(cls_logits, mask_logits, targets).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    kept = _kept_identities(tracker)
    assert kept >= 20, f'identity kept through the occlusion in only {kept}/32 clips'
    assert kept >= untrained + 10, (kept, untrained)
