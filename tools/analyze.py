"""Diagnose a checkpoint: ``python tools/analyze.py CONFIG CHECKPOINT --out DIR [...]``.

Runs the config's test set once per masking ratio and writes ``DIR/analysis.json`` plus PNG plots:
masked-input robustness (AP / mIoU and accuracy on masked vs unmasked pixels), temporal
consistency (identity switches and flicker for VIS, VC8 / VC16 for VSS) and the attention mass
object queries put on background vs object queries (Mask2Former-style heads, OMA or plain).
See ``mvc_plugin/analysis`` for the definitions.
"""
import argparse
import os.path as osp
import sys

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isfile(osp.join(_REPO, 'mvc_plugin', '__init__.py')):
    sys.path.insert(0, _REPO)  # run from a source checkout: use its package

from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='folder for analysis.json and the plots')
    parser.add_argument('--ratios', type=float, nargs='+', default=[0.0, 0.25, 0.5, 0.75],
                        help='shares of masked input blocks, in [0, 1) (0 is always run)')
    parser.add_argument('--block-size', type=int, default=None,
                        help="mask block side in input px (default: the model's MVC block "
                             'size, else 32)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the mask generator')
    parser.add_argument('--score-thr', type=float, default=0.5,
                        help='VIS: score from which a predicted track counts as present')
    parser.add_argument('--tau', type=float, default=None,
                        help='relevance below which a query is background (default: the OMA '
                             'threshold, else 0.5)')
    parser.add_argument('--max-videos', type=int, default=None,
                        help='only the first N test videos')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. test_dataloader.dataset.data_root=X')
    parser.add_argument('--device', default='cpu', help='torch device of the model, e.g. cuda')
    parser.add_argument('--no-progress', action='store_true', help='no progress bars')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.max_videos is not None and args.max_videos < 1:
        raise SystemExit('--max-videos must be >= 1')
    from mvc_plugin.analysis import AnalysisSettings, analyze  # heavy: imported lazily
    from mvc_plugin.analysis.summary import format_summary
    settings = AnalysisSettings(ratios=args.ratios, block_size=args.block_size, seed=args.seed,
                                score_thr=args.score_thr, tau=args.tau,
                                max_videos=args.max_videos)
    report, files = analyze(args.config, args.checkpoint, args.out, settings,
                            cfg_options=args.cfg_options, progress=not args.no_progress,
                            device=args.device)
    print(format_summary(report, files))
    return report


if __name__ == '__main__':
    main()
