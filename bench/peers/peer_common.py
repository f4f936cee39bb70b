"""What the PyTorch peers share: the data fct's built-in study uses, fct's models, fct's transforms.

The peers run the same work as fct on the same cores so that bench/side_by_side.sh can print
ratios: Fashion-MNIST from Debian's dataset-fashion-mnist (the files fct reads), normalised with
the training split's mean and standard deviation as fct's dataset does, fct's ResNet from
docs/python/fct_resnet.py (parameter for parameter, so `fct export --state-dict` weights load),
and fct's training augmentation (random 28x28 crop of the image zero-padded by 2, horizontal flip
with probability 1/2) done per batch with tensor indexing, as a PyTorch user would on few cores.
"""

import gzip
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "docs", "python"))

from fct_resnet import FctEmbeddingModel  # noqa: E402  (the path above makes it importable)

DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist"
DEPTHS = {"resnet10_small": 10, "resnet18_small": 18, "resnet34_small": 34, "resnet50_small": 50}


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(root, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(root, name)
        if os.path.exists(path):
            return path
    raise SystemExit(f"peers: no {stem}[.gz] in {root} (install dataset-fashion-mnist)")


def fashion_mnist(split="train", limit=0, root=DEFAULT_ROOT):
    """Normalised images [N, 1, 28, 28] float32 and labels [N] int64."""
    prefix = "train" if split == "train" else "t10k"
    train = read_idx(find(root, "train-images-idx3-ubyte")).astype(np.float32) / 255.0
    mean, std = float(train.mean()), float(train.std())
    pixels = train if split == "train" else (
        read_idx(find(root, prefix + "-images-idx3-ubyte")).astype(np.float32) / 255.0)
    labels = read_idx(find(root, prefix + "-labels-idx1-ubyte")).astype(np.int64)
    if limit:
        pixels, labels = pixels[:limit], labels[:limit]
    images = torch.from_numpy((pixels - mean) / std).unsqueeze(1).contiguous()
    return images, torch.from_numpy(labels.copy())


def augment(images, generator):
    """fct's training transform for Fashion-MNIST on a batch: pad-2 random crop, random flip."""
    n, c, h, w = images.shape
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    dy = torch.randint(0, 5, (n,), generator=generator)
    dx = torch.randint(0, 5, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None].expand(n, c, h, w + 4)
    cropped = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(w)[None, :])
    flip = torch.rand(n, generator=generator) < 0.5
    cols = torch.where(flip[:, None], cols.flip(1), cols)[:, None, None, :].expand(n, c, h, w)
    return cropped.gather(3, cols)


def add_model_arguments(parser):
    parser.add_argument("--arch", default="resnet18_small", choices=sorted(DEPTHS))
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--embedding-dim", type=int, default=128)
    parser.add_argument("--head", default="conv", choices=["conv", "linear"])


def make_model(args, state_dict_path=""):
    torch.manual_seed(0)
    model = FctEmbeddingModel(num_classes=10, depth=DEPTHS[args.arch], width=args.width,
                              small_input=True, in_channels=1, embedding_dim=args.embedding_dim,
                              head=args.head)
    if state_dict_path:
        state = torch.load(state_dict_path, map_location="cpu")
        # A model trained on a class subset has fewer classifier rows; embeddings do not use them.
        state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
        # Extra keys (a SimCLR projection head) do not take part in embedding.
        missing, _ = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.startswith("classifier.")]
        if missing:
            raise SystemExit(f"{state_dict_path}: no weights for {missing}")
    return model
