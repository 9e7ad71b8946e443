"""A short plain-text summary of an analysis report (what ``tools/analyze.py`` prints)."""
from typing import Any, Dict, List, Mapping, Optional

__all__ = ['format_summary']


def _f(value: Optional[float], digits: int = 1) -> str:
    return 'n/a' if value is None else f'{value:.{digits}f}'


def _robustness(sec: Mapping[str, Any]) -> List[str]:
    metric = sec['metric']
    lines = [f'robustness ({metric} %, accuracy % on masked | unmasked pixels; block '
             f'{sec["block_size"]} px, seed {sec["seed"]}):']
    for row in sec['per_ratio']:
        acc = row['pixel_accuracy']
        text = (f'  ratio {row["ratio"]:<5g} {metric} {_f(row["metrics"].get(metric)):>6}   '
                f'accuracy {_f(acc["masked"]["accuracy"]):>5} | '
                f'{_f(acc["unmasked"]["accuracy"]):>5}')
        if 'foreground_iou' in acc['masked']:
            text += (f'   fg IoU {_f(acc["masked"]["foreground_iou"]):>5} | '
                     f'{_f(acc["unmasked"]["foreground_iou"]):>5}')
        lines.append(text)
    return lines


def _consistency(sec: Mapping[str, Any]) -> List[str]:
    if sec['task'] == 'vis':
        lines = [f'consistency (per 100 frames; tracks with score >= {sec["score_thr"]}):']
        for row in sec['per_ratio']:
            lines.append(f'  ratio {row["ratio"]:<5g} identity switches '
                         f'{_f(row["id_switches_per_100_frames"], 2):>6}   flicker '
                         f'{_f(row["flicker_per_100_frames"], 2):>6}   ({row["frames"]} frames)')
        return lines
    lines = ['consistency (video consistency %):']
    for row in sec['per_ratio']:
        lines.append(f'  ratio {row["ratio"]:<5g} VC8 {_f(row["VC8"]):>6}   '
                     f'VC16 {_f(row["VC16"]):>6}')
    return lines


def _attention(sec: Mapping[str, Any]) -> List[str]:
    oma = sec.get('oma')
    kind = f'OMA {oma["mode"]} (threshold {oma["threshold"]})' if oma else 'plain'
    lines = [f'attention ({sec["head_type"]}, {kind}; background keys: r < {sec["tau"]}; '
             'mass on background vs share of background keys):']
    for row in sec['layers']:
        lines.append(f'  layer {row["layer"]}  mass on background '
                     f'{_f(row["mass_on_background"], 3):>6}   background key share '
                     f'{_f(row["background_key_share"], 3):>6}   ({row["calls_mixed"]} mixed, '
                     f'{row["calls_all_background"]} all-background, '
                     f'{row["calls_all_object"]} all-object calls)')
    return lines


def format_summary(report: Mapping[str, Any], files: Optional[Dict[str, str]] = None) -> str:
    """Human-readable summary of ``report`` (and the files written, when given)."""
    lines = [f'[analyze] {report.get("model")} ({(report.get("task") or "unknown task").upper()})']
    for note in report.get('settings', {}).get('notes', []):
        lines.append(f'  note: {note}')
    for name, fmt in (('robustness', _robustness), ('consistency', _consistency),
                      ('attention', _attention)):
        sec = report.get(name, {})
        if sec.get('applicable'):
            lines += fmt(sec)
        else:
            lines.append(f'{name}: not applicable: {sec.get("reason", "not run")}')
    if files:
        lines.append('wrote ' + ', '.join(files.values()))
    return '\n'.join(lines)
