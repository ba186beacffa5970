#!/bin/sh
# Regenerates the aligned faces of examples/data/xseg/faces from the clip: the frames (6 per second from
# frame 69 to 224, where the performer holds the microphone, every 15th frame elsewhere), then
# `dfl-extract --face-type wf --size 256` (default detector, auto) on them, then the faces that have a label
# file in examples/data/xseg/faces copied next to it (without replacing what is there unless FORCE=1).
#
#   tools/xseg/extract_poetry_jam.sh WORKDIR          # run from the repository root, dfl-extract on PATH
#
# dfl-extract writes the same bytes for the same frames on the same machine and build; on another CPU the
# landmarks can move by float rounding, so compare before replacing the committed faces (FORCE=1).
set -eu
work=${1:?usage: tools/xseg/extract_poetry_jam.sh WORKDIR}
clip=examples/data/white_house_poetry_jam_2009.mp4
faces=examples/data/xseg/faces
mkdir -p "$work/frames" "$work/aligned"
ffmpeg -loglevel error -y -i "$clip" \
  -vf "select='(between(n\,69\,224)*not(mod(n\,5)))+(not(between(n\,69\,224))*not(mod(n\,15)))'" \
  -vsync 0 -frame_pts 1 "$work/frames/pj_%04d.png"
dfl-extract --face-type wf --size 256 --out "$work/aligned" "$work/frames" >/dev/null
for label in "$faces"/*.json; do
  stem=$(basename "$label" .json)
  if [ ! -e "$work/aligned/$stem.jpg" ]; then
    echo "extract_poetry_jam: $stem was not extracted again" >&2
    continue
  fi
  if [ "${FORCE:-0}" = 1 ] || [ ! -e "$faces/$stem.jpg" ]; then
    cp "$work/aligned/$stem.jpg" "$faces/$stem.jpg"
  elif ! cmp -s "$work/aligned/$stem.jpg" "$faces/$stem.jpg"; then
    echo "extract_poetry_jam: $stem.jpg differs from the committed face (FORCE=1 replaces it)" >&2
  fi
done
