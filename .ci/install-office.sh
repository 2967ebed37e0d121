#!/usr/bin/env bash
# Installs LibreOffice Calc without a screen (Debian's libreoffice-calc-nogui): the yearly workbook's test
# opens the XLSX in it, converting every sheet to CSV, as the units' and analysts' spreadsheet would.
# Idempotent: does nothing when soffice is present, so .ci/run can call it on every run.
set -euo pipefail

if command -v soffice >/dev/null 2>&1; then
  echo "install-office: soffice already present"
  exit 0
fi

echo "install-office: installing libreoffice-calc-nogui"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui

command -v soffice >/dev/null 2>&1 || { echo "install-office: soffice still missing" >&2; exit 1; }
echo "install-office: done ($(soffice --version 2>/dev/null | head -n1))"
