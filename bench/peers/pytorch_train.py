#!/usr/bin/python3
"""PyTorch training peer of fct's supervised stage (the built-in study's old/new model). One JSON line.

    bench/peers/pytorch_train.py --ranks 1 --threads 2 --images 20000     # one process
    bench/peers/pytorch_train.py --ranks 2 --threads 1 --images 20000     # DDP over gloo

The same model (fct_resnet.py), loss (cross-entropy, label smoothing 0.1), optimiser (SGD, lr 0.2,
momentum 0.9, Nesterov, weight decay 5e-4), global batch (256, split over the ranks), data (the
first N training images, each rank a contiguous shard reshuffled each epoch) and augmentation as
fct's study. `images_per_s` is the global training throughput over the epoch, first step included,
evaluation excluded: what fct's summary.json calls items_per_s.
"""

import argparse
import json
import os
import socket
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import peer_common


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(rank, args, port, results):
    torch.set_num_threads(args.threads)
    if args.ranks > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=args.ranks)
    images, labels = peer_common.fashion_mnist("train", args.images)
    share = (len(images) + args.ranks - 1) // args.ranks
    images, labels = images[rank * share:(rank + 1) * share], labels[rank * share:(rank + 1) * share]
    model = peer_common.make_model(args)
    if args.ranks > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, nesterov=True,
                                weight_decay=5e-4)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    local_batch = args.batch // args.ranks
    generator = torch.Generator().manual_seed(rank)
    steps = len(images) // local_batch  # fct drops the last partial batch in training
    model.train()
    if args.ranks > 1:
        dist.barrier()
    start = time.perf_counter()
    for epoch in range(args.epochs):
        order = torch.randperm(len(images), generator=generator)
        for step in range(steps):
            index = order[step * local_batch:(step + 1) * local_batch]
            batch = peer_common.augment(images[index], generator)
            optimizer.zero_grad(set_to_none=True)
            _, logits = model(batch)
            loss_fn(logits, labels[index]).backward()
            optimizer.step()
    if args.ranks > 1:
        dist.barrier()
    seconds = time.perf_counter() - start
    if rank == 0:
        results.put({"peer": "pytorch", "torch": torch.__version__,
                     "mode": "DDP gloo" if args.ranks > 1 else "one process",
                     "ranks": args.ranks, "threads_per_rank": args.threads,
                     "global_batch": local_batch * args.ranks, "epochs": args.epochs,
                     "images_per_s": steps * local_batch * args.ranks * args.epochs / seconds})
    if args.ranks > 1:
        dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ranks", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads per rank")
    parser.add_argument("--images", type=int, default=20000, help="first N of the training split")
    parser.add_argument("--batch", type=int, default=256, help="global batch")
    parser.add_argument("--epochs", type=int, default=1)
    peer_common.add_model_arguments(parser)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    if args.ranks == 1:
        import queue
        results = queue.Queue()
        worker(0, args, 0, results)
    else:
        context = mp.get_context("spawn")
        results = context.SimpleQueue()
        mp.start_processes(worker, args=(args, free_port(), results), nprocs=args.ranks,
                           start_method="spawn")
    print(json.dumps(results.get()))


if __name__ == "__main__":
    main()
