#!/usr/bin/env bash
# Installs what the 通报's PDF and the browser tests need: Debian's headless Chromium and the Noto CJK
# fonts (without them Chinese renders as boxes). Idempotent: does nothing when both are present, so
# .ci/run can call it on every run.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# fc-match always answers something; only a Noto CJK answer means Chinese will render.
if ! fc-match 'sans-serif:lang=zh-cn' 2>/dev/null | grep -qi 'CJK'; then
  need+=(fonts-noto-cjk)
fi
command -v fc-match >/dev/null 2>&1 || need+=(fontconfig)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-browser: chromium and CJK fonts already present"
  exit 0
fi

echo "install-browser: installing ${need[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig
fc-cache -f >/dev/null 2>&1 || true

command -v chromium >/dev/null 2>&1 || { echo "install-browser: chromium still missing" >&2; exit 1; }
fc-match 'sans-serif:lang=zh-cn' | grep -qi 'CJK' || { echo "install-browser: no CJK font after install" >&2; exit 1; }
echo "install-browser: done ($(chromium --version 2>/dev/null | head -n1); $(fc-match 'sans-serif:lang=zh-cn'))"
