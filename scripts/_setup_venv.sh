# Sourced by scripts/demo and scripts/test: make .venv and install the pinned dependencies.
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)-$1
if [ ! -f "$stamp" ]; then
  echo "==> installing dependencies (pinned in requirements.lock)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ "$1" = test ]; then extra=".[test]"; else extra="."; fi
  .venv/bin/python -m pip install --quiet -c requirements.lock "$extra"
  rm -f .venv/.installed-*-"$1"
  touch "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
