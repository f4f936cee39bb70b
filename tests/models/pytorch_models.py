"""The PyTorch side of tests/models/pytorch_models_test.cpp (Debian's python3-torch).

  pytorch_models.py make DOCS_PYTHON ROOT OUT N
      trains fct's small ResNet (docs/python/fct_resnet.py) for a few steps on Fashion-MNIST,
      writes OUT/model.ts (TorchScript: pixels normalised with mean 0.5, std 0.5 -> embeddings),
      OUT/model.pth (torch.save(model.state_dict()), fct's names) and the embeddings of the first
      N test images both ways (OUT/expected_ts.pt, OUT/expected_sd.pt)
  pytorch_models.py compare EXPECTED.pt STORE.h5
      prints max_abs_diff=<x> between a tensor file and an fct store's embeddings (ids order)
  pytorch_models.py run_exported MODEL.ts ROOT N OUT.pt
      runs an `fct export` module without fct on the first N test images as pixels in [0, 1]
"""

import gzip
import sys

import numpy as np
import torch

FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860, 0.3530  # fct's normalisation of the dataset


def images(root, split, count):
    """The first `count` images of a split as float pixels in [0, 1], [N, 1, 28, 28]."""
    name = "train" if split == "train" else "t10k"
    with gzip.open("%s/%s-images-idx3-ubyte.gz" % (root, name)) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    pixels = torch.from_numpy(data[: count * 784].copy()).view(count, 1, 28, 28)
    return pixels.float() / 255.0


def labels(root, count):
    with gzip.open("%s/train-labels-idx1-ubyte.gz" % root) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return torch.from_numpy(data[:count].astype(np.int64))


def make(docs_python, root, out, count):
    sys.path.insert(0, docs_python)
    from fct_resnet import FctEmbeddingModel, FctResNet

    torch.manual_seed(0)
    shape = dict(depth=10, width=8, small_input=True, in_channels=1, embedding_dim=16)
    model = FctEmbeddingModel(num_classes=10, **shape)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = images(root, "train", 256), labels(root, 256)
    model.train()
    for step in range(8):  # a few steps: weights and BatchNorm statistics move off their start
        batch = slice(32 * step, 32 * step + 32)
        _, logits = model((x[batch] - 0.5) / 0.5)
        loss = torch.nn.functional.cross_entropy(logits, y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    torch.save(model.state_dict(), out + "/model.pth")
    # The TorchScript module is the backbone alone, taking images normalised with (0.5, 0.5), not
    # fct's statistics: fct must convert.
    backbone = FctResNet(**shape)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("classifier.")}
    backbone.load_state_dict(state)
    torch.jit.script(backbone.eval()).save(out + "/model.ts")
    test = images(root, "test", count)
    with torch.no_grad():
        torch.save(model.embed((test - 0.5) / 0.5), out + "/expected_ts.pt")
        torch.save(model.embed((test - FASHION_MNIST_MEAN) / FASHION_MNIST_STD),
                   out + "/expected_sd.pt")
    print("made loss=%.4f" % loss.item())


def compare(expected_path, store_path):
    import h5py

    expected = torch.load(expected_path).double().numpy()
    with h5py.File(store_path, "r") as f:
        embeddings = f["embeddings"][...].astype(np.float64)
        ids = f["ids"][...]
    order = np.argsort(ids)
    embeddings = embeddings[order]
    if embeddings.shape != expected.shape:
        print("shape mismatch: store %s, expected %s" % (embeddings.shape, expected.shape))
        sys.exit(1)
    print("max_abs_diff=%.3e max_abs=%.3e" % (np.abs(embeddings - expected).max(),
                                               np.abs(expected).max()))


def run_exported(module_path, root, count, out):
    module = torch.jit.load(module_path)
    with torch.no_grad():
        torch.save(module(images(root, "test", count)), out)
    print("ran %s" % module_path)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "make":
        make(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif command == "compare":
        compare(sys.argv[2], sys.argv[3])
    elif command == "run_exported":
        run_exported(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit("unknown command " + command)
