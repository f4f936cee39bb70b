#!/usr/bin/python3
"""PyTorch forward-only peer of `fct embed` and of the study's feature cache. Prints one JSON line.

    bench/peers/pytorch_forward.py --threads 2 --images 60000 --batch 256 [--state-dict old.pth]
    bench/peers/pytorch_forward.py --threads 2 --models 3 --views 2 --augment   # feature cache

One process, eval mode, torch.inference_mode, fct's model (docs/python/fct_resnet.py) and data
(peer_common.py). `images_per_s` counts forward passes per second of the loop alone (batches are
sliced from the preloaded split, augmented when asked, pushed through every model);
`whole_images_per_s` divides by the whole script's time, start-up (import torch, reading the split,
building the model) included, the way `fct embed`'s whole command is timed.
"""

import argparse
import json
import time

START = time.perf_counter()

import torch  # noqa: E402  (timed as start-up)

import peer_common  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--images", type=int, default=60000, help="first N of the training split")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--models", type=int, default=1, help="3 = old, side-info, new models")
    parser.add_argument("--views", type=int, default=1)
    parser.add_argument("--augment", action="store_true", help="fct's training augmentation")
    parser.add_argument("--state-dict", default="",
                        help="comma-separated state dicts from `fct export --state-dict`, one a model")
    peer_common.add_model_arguments(parser)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    images, _ = peer_common.fashion_mnist("train", args.images)
    paths = [p for p in args.state_dict.split(",") if p] or [""]
    models = [peer_common.make_model(args, paths[i % len(paths)]).eval() for i in range(args.models)]
    generator = torch.Generator().manual_seed(0)

    loop_start = time.perf_counter()
    checksum = 0.0
    with torch.inference_mode():
        for _ in range(args.views):
            for begin in range(0, len(images), args.batch):
                batch = images[begin:begin + args.batch]
                if args.augment:
                    batch = peer_common.augment(batch, generator)
                for model in models:
                    checksum += float(model.embed(batch)[0, 0])
    end = time.perf_counter()
    passes = len(images) * args.views * args.models
    print(json.dumps({
        "peer": "pytorch", "torch": torch.__version__, "threads": args.threads,
        "images": len(images), "views": args.views, "models": args.models, "batch": args.batch,
        "images_per_s": passes / (end - loop_start),
        "whole_images_per_s": passes / (end - START),
        "startup_s": loop_start - START, "checksum": checksum}))


if __name__ == "__main__":
    main()
