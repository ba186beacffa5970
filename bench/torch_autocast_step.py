"""The PyTorch peer's SAEHD step under bf16 autocast, for bench/run.sh (PEERS=1) on CPUs with AVX512-BF16.

A measuring instrument, not part of the project. It imports the shared peer script (the SAEHD model, loss and
RMSprop step; shared/peers/torch_saehd_step.py, or --peer PATH / $PEER_SCRIPT) the way bench/torch_gan_step.py
does, and runs the peer's own step() inside torch.autocast("cpu", dtype=torch.bfloat16): the switch a PyTorch
user on such a CPU turns on (matrix multiplies and convolutions in bf16 with fp32 accumulation, master weights
and the optimizer in fp32).

usage: python torch_autocast_step.py [--peer PATH] archi res ae e d dm channels batch threads [iters]
Prints one line in the peer's format: median ms/iter over the timed iterations after 3 warm-up steps."""
import os, resource, sys, time
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gan_step import load_peer  # noqa: E402  (the shared loader: runs the peer's body up to its first step())


def main(argv):
    path = os.environ.get('PEER_SCRIPT', os.path.join(os.path.dirname(__file__), '../../shared/peers/torch_saehd_step.py'))
    if argv[:1] == ['--peer']:
        path, argv = argv[1], argv[2:]
    peer = load_peer(path, argv)
    iters = int(argv[9]) if len(argv) > 9 else 10

    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16):
            peer.step()

    for _ in range(3):
        step()
    tt = []
    for _ in range(iters):
        t0 = time.perf_counter(); step(); tt.append(time.perf_counter() - t0)
    tt.sort()
    archi, res, ae, e, d, dm, ch, bs, th = argv[:9]
    print(f"torch {torch.__version__} bf16-autocast {archi}-{res}-{ae}-{e}-{d}-{dm} ch{ch} b{bs} threads{th}: "
          f"median {1000 * tt[len(tt) // 2]:.0f} ms/iter (min {1000 * tt[0]:.0f}), "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
