#!/usr/bin/env bash
# Create or update a virtual environment with one pinned OpenMMLab stack (a "profile").
# Idempotent: a second run only checks stamps and takes seconds.
#
# Profiles (MVC_PROFILE):
#   main     (default) torch 2.13.0+cpu, numpy 2, mmcv 2.1.0 -> <repo>/.venv
#   torch21  the compatibility profile users typically have: torch 2.1.2, numpy 1.26.4,
#            mmcv 2.1.0 built for torch 2.1, opencv < 4.11 -> <repo>/.venv-torch21
# Both: mmengine 0.10.7, mmdet 3.3.0, mmsegmentation 1.2.2.
#
# Environment knobs:
#   MVC_PROFILE       main | torch21 (default: main)
#   PYTHON            interpreter used to create the venv (default: python3, must be 3.11)
#   MVC_VENV          venv location (default: <repo>/.venv, <repo>/.venv-torch21 for torch21)
#   MVC_WHEEL_CACHE   where a locally built mmcv wheel is cached (default: ~/.cache/mvc_plugin/wheels)
#   TORCH_CPU_INDEX   index serving CPU-only torch wheels, used only when torch==2.13.0+cpu is not
#                     found through pip's normal configuration
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROFILE=${MVC_PROFILE:-main}
PYTHON=${PYTHON:-python3}
TORCH_CPU_INDEX=${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}
MMCV_PIN="mmcv==2.1.0"

case "$PROFILE" in
  main)
    VENV=${MVC_VENV:-$ROOT/.venv}
    TORCH_PIN="torch==2.13.0+cpu"
    TORCH_VERSION="2.13.0+cpu"      # what torch.__version__ must read
    NUMPY_PIN="numpy>=2,<3"
    OPENCV_PIN="opencv-python-headless"
    WHEEL_SUBDIR=""                  # ../shared/wheels/ (and the cache) hold the torch 2.13 build
    ;;
  torch21)
    VENV=${MVC_VENV:-$ROOT/.venv-torch21}
    # The PyPI wheel (2.1.2+cu121, pulls the nvidia-* wheels, ~2.5 GB; runs on CPU).
    TORCH_PIN="torch==2.1.2"
    TORCH_VERSION="2.1.2"            # any local variant (+cu121, +cpu) passes
    NUMPY_PIN="numpy==1.26.4"
    OPENCV_PIN="opencv-python-headless<4.11"   # 4.11+ / 5.x require numpy 2
    WHEEL_SUBDIR="torch2.1/"
    ;;
  *) printf '[setup_env] ERROR: unknown MVC_PROFILE=%s (main | torch21)\n' "$PROFILE" >&2; exit 1 ;;
esac
CACHE=${MVC_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mvc_plugin/wheels}/$WHEEL_SUBDIR
SHARED_WHEELS=$ROOT/../shared/wheels/$WHEEL_SUBDIR

# Everything but torch and mmcv; the exact pins of each tested stack (setup.cfg holds ranges).
STACK=(
  "setuptools>=77,<81" wheel "$NUMPY_PIN" "mmengine==0.10.7" "mmdet==3.3.0"
  "mmsegmentation==1.2.2" "pycocotools>=2.0.7" ftfy regex "$OPENCV_PIN"
  matplotlib tqdm "pytest>=8" "hypothesis>=6" "vermin>=1.6"
  # openmim's own dependencies, minus opendatalab/openxlab which downgrade setuptools
  click colorama model-index pandas requests rich tabulate
)

log() { printf '[setup_env] %s\n' "$*" >&2; }
die() { printf '[setup_env] ERROR: %s\n' "$*" >&2; exit 1; }

"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || die "$PYTHON is not Python 3.11 (the cached mmcv wheel and the pins need 3.11); set PYTHON=..."

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

# Constraints keep every later install from replacing torch with a CUDA build.
CONSTRAINTS="$VENV/mvc-constraints.txt"
printf '%s\n' "$TORCH_PIN" "$NUMPY_PIN" "setuptools>=77,<81" > "$CONSTRAINTS"

stack_hash=$(printf '%s\n' "$PROFILE" "$TORCH_PIN" "$MMCV_PIN" "${STACK[@]}" | sha256sum | cut -c1-16)
STACK_STAMP="$VENV/.stack-$stack_hash"

if [ ! -f "$STACK_STAMP" ]; then
  log "installing the pinned $PROFILE stack into $VENV (first time: ~2 min with a cached mmcv wheel)"
  "${PIP[@]}" install -q "setuptools>=77,<81" wheel
  if ! "$PY" -c "import torch, sys; v = torch.__version__; sys.exit(not (v == '$TORCH_VERSION' or v.startswith('$TORCH_VERSION+')))" 2>/dev/null; then
    "${PIP[@]}" install -q "$TORCH_PIN" \
      || "${PIP[@]}" install -q "$TORCH_PIN" --index-url "$TORCH_CPU_INDEX" \
      || die "could not install $TORCH_PIN (tried pip's configured sources and $TORCH_CPU_INDEX)"
  fi
  "${PIP[@]}" install -q -c "$CONSTRAINTS" "${STACK[@]}"
  "${PIP[@]}" install -q --no-deps "openmim==0.3.9"

  if ! "$PY" -c 'import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != "2.1.0")' 2>/dev/null; then
    wheel=$(ls "$SHARED_WHEELS"/mmcv-2.1.0-cp311-*.whl 2>/dev/null | head -n1 || true)
    [ -n "$wheel" ] || wheel=$(ls "$CACHE"/mmcv-2.1.0-cp311-*.whl 2>/dev/null | head -n1 || true)
    if [ -z "$wheel" ]; then
      log "no cached mmcv wheel: building mmcv 2.1.0 with CPU ops from source (~11 min on 2 cores)"
      mkdir -p "$CACHE"
      MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-$(nproc)} CFLAGS="-g0 -O1" \
        "${PIP[@]}" wheel -q --no-deps --no-build-isolation -w "$CACHE" "$MMCV_PIN" \
        || die "building $MMCV_PIN failed (needs a C++ compiler: apt-get install g++)"
      wheel=$(ls "$CACHE"/mmcv-2.1.0-cp311-*.whl | head -n1)
      log "cached $wheel"
    fi
    log "installing $wheel"
    "${PIP[@]}" install -q -c "$CONSTRAINTS" "$wheel"
  fi
  MVC_TORCH_VERSION="$TORCH_VERSION" MVC_PROFILE="$PROFILE" "$PY" - <<'PY' \
    || die "the installed stack does not import; see the error above"
import os
import torch, mmcv, mmcv.ops, mmengine, mmdet, mmseg, pycocotools
want = os.environ['MVC_TORCH_VERSION']  # exact, or a local variant of it (2.1.2+cu121)
assert torch.__version__ == want or torch.__version__.startswith(want + '+'), torch.__version__
if os.environ['MVC_PROFILE'] == 'main':
    assert not torch.version.cuda, 'a CUDA build of torch was installed'
import mmdet.models, mmseg.models  # needs mmcv._ext, ftfy, regex
print('[setup_env] stack ok: torch', torch.__version__, '| mmcv', mmcv.__version__,
      '| mmdet', mmdet.__version__, '| mmseg', mmseg.__version__)
PY
  rm -f "$VENV"/.stack-*
  touch "$STACK_STAMP"
fi

# The plug-in itself: a regular (non-editable) install so that `mim train mvc_plugin ...` finds
# configs/ and tools/ under the installed package (mim cannot resolve PEP 660 editable installs).
# Re-installed only when a packaged file changed since the last install.
PKG_STAMP="$VENV/.pkg-installed"
pkg_hash=$(cd "$ROOT" && find mvc_plugin configs tools setup.cfg setup.py -type f \
             \( -name '*.py' -o -name '*.cfg' -o -name '*.sh' -o -name '*.json' \) \
             -not -path '*/.mim/*' -not -path '*/__pycache__/*' -print0 2>/dev/null \
           | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
if [ "$(cat "$PKG_STAMP" 2>/dev/null)" != "$pkg_hash" ]; then
  log "installing mvc_plugin from $ROOT"
  (cd "$ROOT" && "${PIP[@]}" install -q --no-deps --no-build-isolation . ) \
    || die "pip install of mvc_plugin failed"
  rm -rf "$ROOT/build" "$ROOT"/*.egg-info
  echo "$pkg_hash" > "$PKG_STAMP"
fi
log "ready: $VENV ($PROFILE profile)"
