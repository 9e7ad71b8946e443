"""Run every diagnostic on a checkpoint: one test pass per masking ratio, JSON + PNG report.

``analyze(config, checkpoint, out_dir, ...)`` (what ``tools/analyze.py`` calls) builds the model
and the config's **test** dataloader, runs the test set once per ratio with
:class:`~.masking.InputMasker` active (ratio 0 = the clean model, always included), and hooks
:class:`~.attention.AttentionProbe` onto the clean pass. Diagnostics that do not apply to the
model are reported as ``{"applicable": false, "reason": ...}`` instead of failing.
"""
import json
import math
import os
import os.path as osp
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import torch
from torch import nn

from mvc_plugin.engine.checkpoint_safety import checkpoint_globals
from mvc_plugin.models.mvc.patch_mask_generator import PatchMaskGenerator
from .attention import AttentionProbe, find_query_head
from .masking import InputMasker, denormalise
from .tasks import VISPass, VSSPass, detect_task, sample_video_key

__all__ = ['AnalysisSettings', 'analyze', 'load_model_and_loader', 'run_analysis',
           'write_report']

DEFAULT_BLOCK_SIZE = 32


@dataclass
class AnalysisSettings:
    """Knobs of a run; None for ``block_size`` / ``fill`` / ``tau`` means "from the model"."""

    ratios: Sequence[float] = (0.0, 0.25, 0.5, 0.75)
    block_size: Optional[int] = None
    seed: int = 0
    fill: Optional[float] = None
    score_thr: float = 0.5
    iou_thr: float = 0.5
    tau: Optional[float] = None
    max_videos: Optional[int] = None
    notes: List[str] = field(default_factory=list)


def load_model_and_loader(config: str, checkpoint: Optional[str],
                          cfg_options: Optional[dict] = None,
                          device: str = 'cpu') -> Tuple[Any, nn.Module, Any]:
    """``(cfg, model in eval mode with the checkpoint loaded, test dataloader)``.

    ``checkpoint=None`` keeps the model's initial weights (for tests).
    """
    import mvc_plugin  # noqa: F401  (registers the plug-in's modules)
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import MODELS, init_default_scope
    from mmengine.runner import Runner, load_checkpoint

    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    MMLogger.get_instance('mvc_plugin.analysis', log_level='WARNING')  # quiet mm* info logs
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:  # as mmengine's Runner does
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        with checkpoint_globals():  # mmengine checkpoints hold a few non-tensor globals
            load_checkpoint(model, checkpoint, map_location='cpu')
    model.to(device).eval()
    loader = Runner.build_dataloader(cfg.test_dataloader)
    return cfg, model, loader


def _limited(loader: Any, max_videos: Optional[int]) -> Iterator[dict]:
    """Batches of ``loader`` up to the end of its ``max_videos``-th video."""
    seen: List[Any] = []
    for data in loader:
        for sample in data['data_samples']:
            key = sample_video_key(sample[0] if hasattr(sample, 'video_data_samples')
                                   else sample)
            if key not in seen:
                seen.append(key)
        if max_videos is not None and len(seen) > max_videos:
            return
        yield data


def _resolve(model: nn.Module, s: AnalysisSettings) -> AnalysisSettings:
    """A copy of ``s`` with model-dependent defaults filled and the ratios normalised (0 is
    always included)."""
    s = replace(s, notes=list(s.notes))
    mvc = getattr(model, '_mvc', None)  # set on MaskedVideoConsistency-built models
    if s.block_size is None:
        s.block_size = mvc.generator.block_size if mvc is not None else DEFAULT_BLOCK_SIZE
        source = "the model's MVC mask generator" if mvc is not None else 'the default'
        s.notes.append(f'block_size {s.block_size} from {source}')
    if s.fill is None:
        s.fill = float(mvc.fill) if mvc is not None else 0.0
    ratios = sorted({float(r) for r in s.ratios})
    if any(not 0.0 <= r < 1.0 for r in ratios):
        raise ValueError(f'ratios must be in [0, 1), got {list(s.ratios)}')
    if ratios[0] != 0.0:
        ratios.insert(0, 0.0)
        s.notes.append('ratio 0 added: the clean pass is the reference (and feeds attention)')
    s.ratios = ratios
    if s.tau is None:
        _, head, _ = find_query_head(model)
        attn = head.transformer_decoder.layers[0].self_attn if head is not None else None
        threshold = getattr(attn, 'threshold', None)
        s.tau = float(threshold) if threshold is not None else 0.5
    return s


def run_analysis(model: nn.Module, loader: Any, settings: AnalysisSettings,
                 progress: bool = True) -> Dict[str, Any]:
    """Run the passes and return the report (without file names of plots)."""
    s = _resolve(model, settings)
    task = detect_task(model)
    report: Dict[str, Any] = dict(model=type(model).__name__, task=task)
    if task is None:
        reason = (f'{type(model).__name__} is neither an mmdet video model with a track_head '
                  '(VIS) nor an mmseg segmentor (VSS)')
        report.update(robustness=dict(applicable=False, reason=reason),
                      consistency=dict(applicable=False, reason=reason))
    head_name, head, reason = find_query_head(model)
    probe = AttentionProbe(model, s.tau) if head is not None else None
    passes, examples = [], []
    for ratio in s.ratios if task is not None else []:
        masker = InputMasker(model, PatchMaskGenerator(s.block_size, ratio, seed=s.seed), s.fill)
        if task == 'vis':
            current = VISPass(loader.dataset.metainfo, s.score_thr, s.iou_thr)
        else:
            classes = loader.dataset.metainfo.get('classes')
            current = VSSPass(len(classes) if classes else model.decode_head.num_classes)
        with ExitStack() as stack, torch.no_grad():
            stack.enter_context(masker)
            if probe is not None and ratio == 0.0:
                stack.enter_context(probe)
            batches = _limited(loader, s.max_videos)
            if progress:
                from tqdm import tqdm
                batches = tqdm(batches, desc=f'ratio {ratio:g}', unit='batch', leave=False)
            for data in batches:
                outputs = model.test_step(data)
                current.add(data, outputs, masker.last_mask)
                if current.example is not None and len(examples) == len(passes):
                    first = masker.last_inputs[0]  # (T, C, H, W) clip or (C, H, W) image
                    image = denormalise(first[0] if first.dim() == 4 else first,
                                        model.data_preprocessor)
                    examples.append(dict(ratio=ratio, input=image, **current.example))
        result = current.finish()
        passes.append(dict(ratio=ratio, masked_pixel_share=masker.masked_share,
                           videos=current.videos, **result))
    if task is not None:
        report.update(_sections(task, passes, s))
    if probe is None:
        report['attention'] = dict(applicable=False, reason=reason)
    elif task is None:
        report['attention'] = dict(applicable=False, reason='no test pass was run')
    else:
        attn = head.transformer_decoder.layers[0].self_attn
        oma = dict(mode=attn.mode, threshold=attn.threshold) if hasattr(attn, 'mode') else None
        report['attention'] = dict(applicable=True, head=head_name, head_type=type(head).__name__,
                                   oma=oma, tau=s.tau, input='clean test pass (ratio 0)',
                                   layers=probe.summary())
    report['settings'] = asdict(s)
    report['_examples'] = examples
    return report


def _sections(task: str, passes: List[dict], s: AnalysisSettings) -> Dict[str, Any]:
    """Split the passes into the robustness and consistency sections."""
    common = dict(block_size=s.block_size, seed=s.seed, fill=s.fill)
    robust_rows = [dict(ratio=p['ratio'], masked_pixel_share=p['masked_pixel_share'],
                        videos=p['videos'], metrics=p['metrics'],
                        pixel_accuracy=p['pixel_accuracy']) for p in passes]
    if task == 'vis':
        robustness = dict(applicable=True, task=task, metric='AP', foreground_iou=True,
                          score_thr=s.score_thr, per_ratio=robust_rows,
                          accuracy_definition='fg/bg agreement of the predicted (score >= '
                          f'{s.score_thr}) and GT mask unions', **common)
        consistency = dict(applicable=True, task=task, score_thr=s.score_thr, iou_thr=s.iou_thr,
                           per_ratio=[dict(ratio=p['ratio'], **p['consistency'])
                                      for p in passes])
    else:
        robustness = dict(applicable=True, task=task, metric='mIoU', per_ratio=robust_rows,
                          accuracy_definition='pixel accuracy (labelled pixels)', **common)
        consistency = dict(applicable=True, task=task, per_ratio=[
            dict(ratio=p['ratio'], videos=p['videos'], VC8=p['metrics'].get('VC8'),
                 VC16=p['metrics'].get('VC16')) for p in passes])
    return dict(robustness=robustness, consistency=consistency)


def _json_ready(obj: Any) -> Any:
    """numpy / torch scalars to Python, NaN / inf to None, recursively."""
    if isinstance(obj, dict):
        return {str(k): _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_ready(v) for v in obj]
    if hasattr(obj, 'item') and getattr(obj, 'ndim', 1) == 0:
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_report(report: Dict[str, Any], out_dir: str) -> Dict[str, str]:
    """Write ``analysis.json`` and one PNG per applicable diagnostic; returns the files."""
    from .attention import plot_attention
    from .consistency import plot_consistency
    from .examples import plot_examples
    from .robustness import plot_robustness
    os.makedirs(out_dir, exist_ok=True)
    report = dict(report)
    examples = report.pop('_examples', [])
    plots = {}
    for name, plot in (('robustness', plot_robustness), ('consistency', plot_consistency),
                       ('attention', plot_attention)):
        if report.get(name, {}).get('applicable'):
            plots[name] = f'{name}.png'
            plot(report[name], osp.join(out_dir, plots[name]))
    if examples:
        plots['examples'] = 'examples.png'
        plot_examples(examples, report['task'], osp.join(out_dir, plots['examples']))
    report['plots'] = plots
    path = osp.join(out_dir, 'analysis.json')
    with open(path, 'w') as f:
        json.dump(_json_ready(report), f, indent=2)
    return dict(json=path, **{k: osp.join(out_dir, v) for k, v in plots.items()})


def analyze(config: str, checkpoint: Optional[str], out_dir: str,
            settings: Optional[AnalysisSettings] = None, cfg_options: Optional[dict] = None,
            progress: bool = True,
            device: str = 'cpu') -> Tuple[Dict[str, Any], Dict[str, str]]:
    """Load, run, write: ``(report, written files)``."""
    _, model, loader = load_model_and_loader(config, checkpoint, cfg_options, device)
    report = run_analysis(model, loader, settings or AnalysisSettings(), progress)
    report = dict(config=osp.abspath(config),
                  checkpoint=osp.abspath(checkpoint) if checkpoint else None, **report)
    files = write_report(report, out_dir)
    return report, files
