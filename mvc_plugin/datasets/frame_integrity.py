"""Is an image file complete? Cheap end-of-file markers, and a strict decode on request.

Why: a frame truncated by an interrupted copy keeps a valid header, so the load-time header
check passes; depending on the OpenCV build, decoding it then fails in the middle of training
or silently yields grey bottom rows (only a warning on stderr). JPEG files end with the EOI
marker ``FF D9`` and PNG files with the ``IEND`` chunk; reading those few bytes finds
truncation without decoding. A JPEG whose end marker is missing is decoded strictly by PIL
before it is called corrupt, as some encoders append data after EOI.
"""
import os
import os.path as osp
from typing import Any, Optional

from .problems import Problem
from .validation import check_frame_file

__all__ = ['image_bytes_problem', 'frame_problem', 'image_size', 'read_head_tail']

_PNG_END = b'IEND\xaeB`\x82'
_TAIL = 64


def read_head_tail(path: str, n: int = _TAIL) -> tuple:
    """First and last ``n`` bytes of a file (``OSError`` if unreadable)."""
    with open(path, 'rb') as f:
        head = f.read(n)
        f.seek(max(0, os.fstat(f.fileno()).st_size - n))
        return head, f.read(n)


def _strict_decode_problem(source: Any) -> Optional[str]:
    """Decode fully with PIL, refusing truncated data; a description of the failure or None."""
    from PIL import Image, ImageFile
    keep = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(source) as img:
            img.load()
    except Exception as e:  # noqa: BLE001 - any decoder failure means a corrupt file
        return f'image cannot be decoded ({e})'
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = keep
    return None


def image_bytes_problem(head: bytes, tail: bytes, source: Any) -> Optional[str]:
    """Why an image whose first/last bytes are ``head``/``tail`` is incomplete, or None.

    ``source`` (a path or a binary file object) is decoded strictly only when a JPEG lacks its
    end marker, to tell trailing data from truncation.
    """
    if head.startswith(b'\x89PNG\r\n\x1a\n'):
        return None if tail.endswith(_PNG_END) else 'PNG is truncated (no IEND chunk at the end)'
    if head.startswith(b'\xff\xd8\xff'):
        if tail.rstrip(b'\x00').endswith(b'\xff\xd9'):
            return None
        problem = _strict_decode_problem(source)
        return None if problem is None else f'JPEG is truncated or corrupt: {problem}'
    return None  # BMP and others: only the decode level checks them


def image_size(path: str) -> tuple:
    """``(width, height)`` from the image header, without decoding the pixels."""
    from PIL import Image
    with Image.open(path) as img:
        return img.size


def frame_problem(path: str, full: bool = False, kind_missing: str = 'missing-frame',
                  file: str = '', video: Any = None, frame: Optional[int] = None
                  ) -> Optional[Problem]:
    """Check one image file: exists, image header, complete; ``full`` also decodes it.

    Returns a :class:`Problem` (``kind_missing`` when the file is absent, ``'unreadable-frame'``
    otherwise) or ``None``.
    """
    where = path if video is None else f'{path}: video {video} frame {frame}'

    def found(kind: str, message: str) -> Problem:
        return Problem(f'{where}: {message}', kind, file or path, video, frame)

    if not osp.exists(path):
        return found(kind_missing, 'file missing')
    problem = check_frame_file(path, 'header')
    if problem:
        return found('unreadable-frame', problem[len(path) + 2:] if problem.startswith(
            f'{path}: ') else problem)
    try:
        head, tail = read_head_tail(path)
    except OSError as e:
        return found('unreadable-frame', f'file unreadable ({e})')
    problem = image_bytes_problem(head, tail, path)
    if problem is None and full:
        problem = _strict_decode_problem(path)
        if problem is None:
            import mmcv  # the decoder training uses
            with open(path, 'rb') as f:
                data = f.read()
            try:
                ok = mmcv.imfrombytes(data, flag='unchanged') is not None
            except Exception:  # noqa: BLE001
                ok = False
            problem = None if ok else 'OpenCV cannot decode the image'
    return None if problem is None else found('unreadable-frame', problem)
