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

# Letters are made into PDFs by WeasyPrint, which needs Debian's Pango (>= 1.44) and a font.
if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then
  echo "==> installing Debian's Pango for the letters' PDFs"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core) >/tmp/pango-install.log 2>&1 \
      || echo "Pango install failed; see /tmp/pango-install.log"
  else
    echo "Pango is missing and this is no root shell: letters cannot be made into PDFs"
  fi
fi
