"""What every format's checker shares: the report, JSON loading, size comparison, the bar."""
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, List, Optional, Tuple

from tqdm import tqdm

from ..frame_integrity import image_size
from ..problems import Problem
from ..validation import DatasetError, load_json_file

__all__ = ['CheckReport', 'load_json_or_problem', 'size_problem', 'header_size', 'videos_bar']


@dataclass
class CheckReport:
    """All problems of one dataset check, and how much was looked at."""

    what: str
    problems: List[Problem] = field(default_factory=list)
    videos: int = 0
    frames: int = 0

    def add(self, problem: Optional[Problem]) -> None:
        if problem is not None:
            self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line: counts per problem kind, or that the data is clean."""
        if self.ok:
            return (f'{self.what}: OK, no problems in {self.videos} videos / '
                    f'{self.frames} frames')
        kinds = Counter(p.kind for p in self.problems)
        bad_videos = len({p.video for p in self.problems if p.video is not None})
        per_kind = ', '.join(f'{n} {kind}' for kind, n in sorted(kinds.items()))
        return (f'{self.what}: {len(self.problems)} problem(s) ({per_kind}) involving '
                f'{bad_videos} video(s); checked {self.videos} videos / {self.frames} frames')


def load_json_or_problem(path: str, what: str) -> Tuple[Any, Optional[Problem]]:
    """``(data, None)``, or ``(None, problem)`` when the file is missing or not JSON."""
    try:
        return load_json_file(path, what), None
    except DatasetError as e:
        kind = 'missing-file' if not osp.isfile(path) else 'bad-json'
        return None, Problem(e.problems[0], kind, path)


def header_size(path: str) -> Optional[Tuple[int, int]]:
    """``(width, height)`` read from the image header, ``None`` if it cannot be read."""
    try:
        return image_size(path)
    except Exception:  # noqa: BLE001 - unreadable files are reported by frame_problem
        return None


def size_problem(path: str, actual: Optional[Tuple[int, int]], expected: Optional[Tuple[int, int]],
                 expected_what: str, video: Any, frame: int) -> Optional[Problem]:
    """A ``size-mismatch`` problem when two known (width, height) sizes differ."""
    if actual is None or expected is None or tuple(actual) == tuple(expected):
        return None
    return Problem(f'{path}: video {video} frame {frame}: image is {actual[0]}x{actual[1]} '
                   f'(WxH) but {expected_what} is {expected[0]}x{expected[1]}',
                   'size-mismatch', path, video, frame)


def videos_bar(items: list, desc: str, progress: bool) -> Iterable:
    """A tqdm bar over videos on stderr (``progress=False`` hides it)."""
    return tqdm(items, desc=desc, unit='video', disable=not progress, dynamic_ncols=True)
