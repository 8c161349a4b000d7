"""The official pix2pixHD generator at full size, for `deno task bench fullsize`.

Builds the official generator (`networks.define_G`, imported from the official checkout named by
`--official_repo`; nothing of it is copied here) with seeded random weights, saves them as a
`torch.save` checkpoint (legacy, pre-zip format by default, as the released label2city_1024p is), runs
it on one label + instance map at the map's own size (`--resize_or_crop none`) and writes the image as
the official `util.tensor2im` + `save_image` would (uint8, truncated), plus a JSON line with timings and
the peak resident memory.

    /usr/bin/python3 full_size_reference.py --official_repo DIR --label L.png --inst I.png \
        --weights out/latest_net_G.pth --out out/official.png [--ngf 32 --n_blocks_global 9 ...]
"""
import argparse
import json
import os
import resource
import time

import numpy as np
import torch
import torchvision
from PIL import Image

from pytorch_peer import import_official, install_cpu_shims, quiet


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--official_repo", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--inst", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--label_nc", type=int, default=35)
    p.add_argument("--netG", default="local")
    p.add_argument("--ngf", type=int, default=32)
    p.add_argument("--n_downsample_global", type=int, default=4)
    p.add_argument("--n_blocks_global", type=int, default=9)
    p.add_argument("--n_local_enhancers", type=int, default=1)
    p.add_argument("--n_blocks_local", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--zip", action="store_true", help="save in the zip format instead of the legacy one")
    p.add_argument("--rows", type=int, default=0, help="also write every N-th row of the output as .npy")
    a = p.parse_args()

    install_cpu_shims(torch, torchvision)
    networks, Pix2PixHDModel, _ = import_official(a.official_repo)

    torch.manual_seed(a.seed)
    torch.set_grad_enabled(False)
    with quiet():
        net = networks.define_G(a.label_nc + 1, 3, a.ngf, a.netG, a.n_downsample_global, a.n_blocks_global,
                                a.n_local_enhancers, a.n_blocks_local, "instance", gpu_ids=[])
    os.makedirs(os.path.dirname(os.path.abspath(a.weights)), exist_ok=True)
    torch.save(net.state_dict(), a.weights, _use_new_zipfile_serialization=a.zip)

    label = torch.from_numpy(np.array(Image.open(a.label)).astype(np.int64))[None, None]
    inst = torch.from_numpy(np.array(Image.open(a.inst)).astype(np.int32))[None, None]
    one_hot = torch.zeros((1, a.label_nc) + tuple(label.shape[2:])).scatter_(1, label, 1.0)
    edge = Pix2PixHDModel.get_edges(argparse.Namespace(opt=argparse.Namespace(data_type=32)), inst).float()
    x = torch.cat((one_hot, edge), dim=1)

    start = time.perf_counter()
    y = net(x)
    seconds = time.perf_counter() - start
    image = ((y[0].numpy().transpose(1, 2, 0) + 1) / 2.0 * 255.0).clip(0, 255).astype(np.uint8)
    Image.fromarray(image).save(a.out)
    if a.rows > 0:
        np.save(os.path.splitext(a.out)[0] + ".npy", image[::a.rows])
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": round(seconds, 3), "peak_rss_mib": round(peak_kib / 1024), "torch": torch.__version__,
                      "shape": list(image.shape), "mkldnn": torch.backends.mkldnn.is_available()}))


if __name__ == "__main__":
    main()
