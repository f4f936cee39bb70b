#!/usr/bin/env bash
# JPEG input pipeline, images/s on one core: fct (TurboJPEG, DCT scaling, optional crop-only
# decoding) against OpenCV (cv::imdecode + cv::resize) doing the same decode + random-resized-crop
# (224) + flip + normalise, in the same run, on ImageNet-like files (500x375, q90 4:2:0 and
# q96 4:4:4) made from the photographs Debian ships in scikit-learn and scikit-image. Prints the
# medians and spreads of images/s and of the ratios over 5 interleaved rounds (FCT_BENCH_ROUNDS);
# one run of the program alone also prints the cores a GPU training ResNet-50 at 3000 images/s
# would need.
# Usage: bench/jpeg_pipeline.sh [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."

# OpenCV is the baseline only: installed here, not by setup.sh.
for package in libopencv-imgcodecs-dev libopencv-imgproc-dev; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -q --no-install-recommends libopencv-imgcodecs-dev libopencv-imgproc-dev
    cmake -S . -B build >/dev/null
    break
  fi
done
cmake --build build --target fct_bench_jpeg_pipeline -j "$(nproc)" >/dev/null

# The photographs, from the Debian packages (downloaded, not installed: only their images).
photos=build/bench-photos
if [ ! -f "$photos/.complete" ]; then
  rm -rf "$photos" && mkdir -p "$photos/debs"
  (cd "$photos/debs" && apt-get download python3-sklearn python3-skimage >/dev/null)
  for deb in "$photos"/debs/*.deb; do
    dpkg-deb --fsys-tarfile "$deb" |
      tar -x -C "$photos/debs" --wildcards '*/sklearn/datasets/images/*.jpg' \
        '*/skimage/data/*.png' '*/skimage/data/*.jpg' 2>/dev/null || true
  done
  find "$photos/debs" -type f \( -name '*.jpg' -o -name '*.png' \) -exec mv -t "$photos" {} +
  rm -rf "$photos/debs"
  touch "$photos/.complete"
fi
mkdir -p build/bench-results
# The program measures fct and OpenCV on the same images; 5 interleaved rounds (FCT_BENCH_ROUNDS).
/usr/bin/python3 bench/interleave.py --title "JPEG pipeline, images/s on one core" \
  --json build/bench-results/jpeg_pipeline.json \
  --run "jpeg=build/bench/fct_bench_jpeg_pipeline --photos $photos $*" \
  --value "q90 4:2:0 fct=jpeg:sets.0.fct_images_per_s" \
  --value "q90 4:2:0 OpenCV=jpeg:sets.0.opencv_images_per_s" \
  --value "q96 4:4:4 fct=jpeg:sets.1.fct_images_per_s" \
  --value "q96 4:4:4 OpenCV=jpeg:sets.1.opencv_images_per_s" \
  --ratio "fct / OpenCV, q90 4:2:0=q90 4:2:0 fct/q90 4:2:0 OpenCV" \
  --ratio "fct / OpenCV, q96 4:4:4=q96 4:4:4 fct/q96 4:4:4 OpenCV"
