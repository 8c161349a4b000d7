"""The PyTorch side of `deno task bench nets|train --peer pytorch`: times one case of the official
pix2pixHD code (NVIDIA/pix2pixHD), read from a checkout the user names, on the CPU.

One case per invocation, so each case runs in its own process and its peak RSS is its own. The
official code is imported from --official_repo unmodified (nothing of it lives in this repository);
CPU shims make it run without CUDA: torch.cuda.FloatTensor / ByteTensor become the CPU types,
Tensor.cuda() and Module.cuda() do nothing, and torchvision's vgg19(pretrained=True) is built with
random weights (no download).

Protocol: exactly one JSON object on the last line of stdout; progress goes to stderr.
  --check                      {"ok": true, "python": …, "torch": …, "torchvision": …, "threads": …}
  --kind forward --netG global|local --ngf N --width W --height H
                               the official define_G (36 inputs, n_downsample_global 4, 9 blocks,
                               1 local enhancer with 3 blocks), forward under no_grad, batch 1
  --kind train --ngf N --width W --height H
                               Pix2PixHDModel.forward (official training defaults: label_nc 35,
                               num_D 2, n_layers_D 3, ndf 64, LSGAN, feature matching, VGG loss)
                               + optimizer_G step + optimizer_D step, in train.py's order
  with --warmup N (untimed runs first, default 1), --reps N (timed runs, default 3), --threads N.
A case answers {"ok": true, "seconds": median, "times": [...], "first_seconds": …,
"peak_rss_bytes": …, "params": …, "torch": …, "threads": …}. A failure answers
{"ok": false, "error": "one line"} and exits 1 (2 for bad arguments).

Usage: python3 bench/peer/pytorch_peer.py --official_repo DIR --kind forward --netG local \
  --ngf 32 --width 2048 --height 1024
"""
import argparse
import contextlib
import io
import json
import os
import platform
import resource
import statistics
import sys
import time

INPUT_NC = 36  # 35 Cityscapes labels + the instance boundary map


def answer(record, code=0):
    print(json.dumps(record), flush=True)
    sys.exit(code)


def fail(message, code=1):
    answer({"ok": False, "error": message}, code)


def log(message):
    print(f"pytorch peer: {message}", file=sys.stderr, flush=True)


def peak_rss_bytes():
    """The process's peak resident set size (VmHWM; getrusage's ru_maxrss where there is no /proc)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def import_torch():
    try:
        import torch
        import torchvision
    except ImportError as error:
        fail(f"{sys.executable} cannot import torch/torchvision ({error}); install them "
             "(Debian: apt-get install python3-torch python3-torchvision) or pass --python")
    return torch, torchvision


def install_cpu_shims(torch, torchvision):
    torch.cuda.FloatTensor = torch.FloatTensor
    torch.cuda.ByteTensor = torch.ByteTensor
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.nn.Module.cuda = lambda self, *a, **k: self
    vgg19 = torchvision.models.vgg19

    def vgg19_random_weights(*args, **kwargs):
        kwargs.pop("pretrained", None)
        kwargs["weights"] = None
        return vgg19(*args, **kwargs)

    torchvision.models.vgg19 = vgg19_random_weights


@contextlib.contextmanager
def quiet():
    """define_G / define_D print whole networks; stdout carries only the answer."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def import_official(repo):
    sys.path.insert(0, repo)
    with quiet():
        from models import networks
        from models.pix2pixHD_model import Pix2PixHDModel
        from options.train_options import TrainOptions
    return networks, Pix2PixHDModel, TrainOptions


def time_runs(run, warmup, reps):
    first = None
    for _ in range(warmup):
        start = time.perf_counter()
        run()
        first = first if first is not None else time.perf_counter() - start
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    first = first if first is not None else times[0]
    return {"seconds": statistics.median(times), "times": times, "first_seconds": first}


def forward_case(torch, networks, args):
    torch.manual_seed(0)
    with quiet():
        net = networks.define_G(INPUT_NC, 3, args.ngf, args.netG, n_downsample_global=4,
                                n_blocks_global=9, n_local_enhancers=1, n_blocks_local=3,
                                norm="instance")
    net.eval()
    x = torch.rand(1, INPUT_NC, args.height, args.width)

    def run():
        with torch.no_grad():
            net(x)

    log(f"forward {args.netG} ngf {args.ngf} {args.width}x{args.height}")
    params = sum(p.numel() for p in net.parameters())
    return {**time_runs(run, args.warmup, args.reps), "params": params}


def label_and_instance_maps(torch, height, width):
    """Blocky Cityscapes-like label ids (float, N1HW) and instance ids (int, N1HW)."""
    g = torch.Generator().manual_seed(0)
    coarse = torch.randint(0, 35, (1, 1, max(height // 32, 1), max(width // 32, 1)), generator=g)
    label = torch.nn.functional.interpolate(coarse.float(), size=(height, width), mode="nearest")
    inst = label.int() * 1000 + torch.randint(0, 4, (1, 1, height, width), generator=g).int()
    return label, inst


def train_case(torch, Pix2PixHDModel, TrainOptions, args):
    torch.manual_seed(0)
    options = TrainOptions()
    options.initialize()
    opt = options.parser.parse_args(["--ngf", str(args.ngf), "--netG", "global"])
    opt.isTrain = True
    opt.gpu_ids = []
    model = Pix2PixHDModel()
    with quiet():
        model.initialize(opt)
    label, inst = label_and_instance_maps(torch, args.height, args.width)
    image = torch.rand(1, 3, args.height, args.width) * 2 - 1

    def run():
        losses, _ = model(label, inst, image, 0, infer=False)
        losses = [torch.mean(x) if not isinstance(x, int) else x for x in losses]
        named = dict(zip(model.loss_names, losses))
        loss_D = (named["D_fake"] + named["D_real"]) * 0.5
        loss_G = named["G_GAN"] + named.get("G_GAN_Feat", 0) + named.get("G_VGG", 0)
        model.optimizer_G.zero_grad()
        loss_G.backward()
        model.optimizer_G.step()
        model.optimizer_D.zero_grad()
        loss_D.backward()
        model.optimizer_D.step()

    log(f"train global ngf {args.ngf} {args.width}x{args.height}")
    params = sum(p.numel() for p in model.netG.parameters())
    return {**time_runs(run, args.warmup, args.reps), "params": params}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--official_repo", required=True, help="a checkout of NVIDIA/pix2pixHD")
    parser.add_argument("--check", action="store_true", help="only report versions and exit")
    parser.add_argument("--kind", choices=["forward", "train"])
    parser.add_argument("--netG", choices=["global", "local"], default="global")
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")

    def error(message):
        fail(f"pytorch_peer.py: {message}", 2)

    parser.error = error
    args = parser.parse_args(argv)
    if not args.check and args.kind is None:
        error("give --kind forward|train or --check")
    if args.reps < 1 or args.warmup < 0 or args.ngf < 1 or args.threads < 0:
        error("--reps must be ≥ 1, --warmup ≥ 0, --ngf ≥ 1, --threads ≥ 0")
    multiple = 2 ** (4 + (1 if args.kind == "forward" and args.netG == "local" else 0))
    if args.width % multiple or args.height % multiple or args.width < 1 or args.height < 1:
        error(f"--width {args.width} --height {args.height}: both must be positive multiples of {multiple}")
    if not os.path.isfile(os.path.join(args.official_repo, "models", "networks.py")):
        error(f"--official_repo {args.official_repo}: no models/networks.py there; "
              "pass a checkout of NVIDIA/pix2pixHD")
    return args


def main(argv):
    args = parse_args(argv)
    torch, torchvision = import_torch()
    if args.threads:
        torch.set_num_threads(args.threads)
    facts = {"python": platform.python_version(), "torch": torch.__version__,
             "torchvision": torchvision.__version__, "threads": torch.get_num_threads()}
    if args.check:
        answer({"ok": True, **facts})
    install_cpu_shims(torch, torchvision)
    try:
        networks, Pix2PixHDModel, TrainOptions = import_official(os.path.abspath(args.official_repo))
    except Exception as error:  # the user's checkout: report, do not trace
        fail(f"--official_repo {args.official_repo}: importing the official code failed: "
             f"{type(error).__name__}: {error}")
    try:
        if args.kind == "forward":
            result = forward_case(torch, networks, args)
        else:
            result = train_case(torch, Pix2PixHDModel, TrainOptions, args)
    except (RuntimeError, MemoryError) as error:
        fail(f"{args.kind} case failed: {type(error).__name__}: {str(error).splitlines()[0]}")
    answer({"ok": True, **result, "peak_rss_bytes": peak_rss_bytes(), **facts})


if __name__ == "__main__":
    main(sys.argv[1:])
