"""PyTorch peer of DeepFaceLab's XSeg network, for bench/xseg.sh (PEERS=1).

A measuring instrument like shared/peers/torch_saehd_step.py, not part of the project: never a dependency. The
network is written from docs/xseg.md ("The network", "Loss"), float32, NCHW (PyTorch's default layout):
ConvBlock = conv 3x3 (pad 1, bias) -> FRN -> TLU; UpConvBlock = TF-SAME transposed conv 3x3 stride 2 -> FRN -> TLU;
BlurPool(f) with DFL's binomial taps and zero padding; encoder levels 0-5 with skips, the linear dense
bottleneck (lo = res / 64), decoder levels 5-0 (upsampled first, skip second), out_conv b -> 1. Loss: per-sample
mean sigmoid cross-entropy, summed over the batch; optimizer: DFL's RMSprop (lr 1e-4, rho 0.9, eps 1e-6 after the
square root, learning-rate dropout 0.3 = each weight updated with probability 0.3). Random inputs; it checks
nothing about correctness.

usage: python torch_xseg_step.py res base batch threads [iters] [apply_faces] [apply_batch]
       python torch_xseg_step.py --params res base      (the parameter count only)
Times (a) one training step (forward, backward, optimizer) at `batch`: median over `iters` timed steps after 2
warm-up steps; (b) apply: `apply_faces` random faces (default 28) through the network forward-only, `apply_batch`
(default 4, dfl-xseg apply's default) at a time, with DFL's extract (sigmoid, < 0.1 -> 0) and the 0.5 threshold:
faces/s of the median of 3 passes (1 when iters <= 3) after a one-batch warm-up. Prints one line:
  torch V xseg-RES-BASE bB threadsT: median X ms/iter (min Y), apply Z faces/s (N faces, bA), params P, peak RSS M MB"""
import resource, sys, time
import torch, torch.nn as nn, torch.nn.functional as F


def glorot(m):
    nn.init.xavier_uniform_(m.weight); nn.init.zeros_(m.bias)
    return m


class FRN(nn.Module):
    """Filter response normalisation: x / sqrt(mean_hw(x^2) + |eps|) * weight + bias; eps a trained scalar."""
    def __init__(s, ch):
        super().__init__()
        s.weight = nn.Parameter(torch.ones(1, ch, 1, 1)); s.bias = nn.Parameter(torch.zeros(1, ch, 1, 1))
        s.eps = nn.Parameter(torch.full((1,), 1e-6))

    def forward(s, x):
        nu2 = x.square().mean((2, 3), keepdim=True)                  # (N, C, 1, 1)
        return torch.addcmul(s.bias, x, torch.rsqrt(nu2 + s.eps.abs()) * s.weight)   # one full-size op


class TLU(nn.Module):
    def __init__(s, ch):
        super().__init__()
        s.tau = nn.Parameter(torch.zeros(1, ch, 1, 1))

    def forward(s, x):
        return torch.maximum(x, s.tau)


class ConvBlock(nn.Module):
    def __init__(s, i, o):
        super().__init__()
        s.conv = glorot(nn.Conv2d(i, o, 3, 1, 1)); s.frn = FRN(o); s.tlu = TLU(o)

    def forward(s, x):
        return s.tlu(s.frn(s.conv(x)))


class UpConvBlock(nn.Module):
    """TF conv2d_transpose, kernel 3, stride 2, SAME: the scatter of each input pixel onto rows/columns 2i..2i+2,
    row/column 2H dropped (conv_transpose2d without padding gives 2H+1)."""
    def __init__(s, i, o):
        super().__init__()
        s.conv = glorot(nn.ConvTranspose2d(i, o, 3, 2)); s.frn = FRN(o); s.tlu = TLU(o)

    def forward(s, x):
        h, w = 2 * x.shape[2], 2 * x.shape[3]
        return s.tlu(s.frn(s.conv(x)[:, :, :h, :w]))


class BlurPool(nn.Module):
    """Binomial taps of length f, outer product / sum, per channel, zero padding floor((f-1)/2) before and
    ceil((f-1)/2) after, stride 2. No weights."""
    def __init__(s, ch, f):
        super().__init__()
        taps = {2: [1., 1.], 3: [1., 2., 1.], 4: [1., 3., 3., 1.]}[f]
        a = torch.tensor(taps); k = a[:, None] * a[None, :]; k = k / k.sum()
        s.register_buffer('k', k.expand(ch, 1, f, f).contiguous())
        s.pad = ((f - 1) // 2, (f - 1) - (f - 1) // 2) * 2      # left, right, top, bottom
        s.ch = ch

    def forward(s, x):
        return F.conv2d(F.pad(x, s.pad), s.k, stride=2, groups=s.ch)


class XSeg(nn.Module):
    def __init__(s, res=256, b=32):
        super().__init__()
        assert res % 64 == 0
        s.lo = lo = res // 64; s.b = b
        C = ConvBlock
        # Encoder, level by level (the last block's output is the level's skip), then its pool.
        s.enc = nn.ModuleList([
            nn.ModuleList([C(3, b), C(b, b)]),
            nn.ModuleList([C(b, 2 * b), C(2 * b, 2 * b)]),
            nn.ModuleList([C(2 * b, 4 * b), C(4 * b, 4 * b)]),
            nn.ModuleList([C(4 * b, 8 * b), C(8 * b, 8 * b), C(8 * b, 8 * b)]),
            nn.ModuleList([C(8 * b, 8 * b), C(8 * b, 8 * b), C(8 * b, 8 * b)]),
            nn.ModuleList([C(8 * b, 8 * b), C(8 * b, 8 * b), C(8 * b, 8 * b)])])
        s.pools = nn.ModuleList([BlurPool(b, 4), BlurPool(2 * b, 3), BlurPool(4 * b, 2),
                                 BlurPool(8 * b, 2), BlurPool(8 * b, 2), BlurPool(8 * b, 2)])
        s.dense1 = glorot(nn.Linear(lo * lo * 8 * b, 512)); s.dense2 = glorot(nn.Linear(512, lo * lo * 8 * b))
        # Decoder levels 0..5 (run 5 -> 0): the up block, then the blocks after the concatenation with the skip.
        U = UpConvBlock
        s.ups = nn.ModuleList([U(2 * b, b), U(4 * b, 2 * b), U(8 * b, 4 * b), U(8 * b, 4 * b), U(8 * b, 4 * b),
                               U(8 * b, 4 * b)])
        s.dec = nn.ModuleList([
            nn.ModuleList([C(2 * b, b), C(b, b)]),
            nn.ModuleList([C(4 * b, 2 * b), C(2 * b, 2 * b)]),
            nn.ModuleList([C(8 * b, 4 * b), C(4 * b, 4 * b)]),
            nn.ModuleList([C(12 * b, 8 * b), C(8 * b, 8 * b), C(8 * b, 8 * b)]),
            nn.ModuleList([C(12 * b, 8 * b), C(8 * b, 8 * b), C(8 * b, 8 * b)]),
            nn.ModuleList([C(12 * b, 8 * b), C(8 * b, 8 * b), C(8 * b, 8 * b)])])
        s.out_conv = glorot(nn.Conv2d(b, 1, 3, 1, 1))

    def forward(s, x):
        skips = []
        for blocks, pool in zip(s.enc, s.pools):
            for blk in blocks:
                x = blk(x)
            skips.append(x); x = pool(x)
        n = x.shape[0]
        x = s.dense2(s.dense1(x.reshape(n, -1))).reshape(n, 8 * s.b, s.lo, s.lo)   # (c, h, w) order, linear
        for lvl in range(5, -1, -1):
            x = torch.cat([s.ups[lvl](x), skips[lvl]], 1)
            for blk in s.dec[lvl]:
                x = blk(x)
        return s.out_conv(x)


def param_count(res, b):
    return sum(p.numel() for p in XSeg(res, b).parameters())


def main(argv):
    if argv[:1] == ['--params']:
        print(param_count(int(argv[1]), int(argv[2])))
        return 0
    res, b, bs, th = (int(a) for a in argv[:4])
    iters = int(argv[4]) if len(argv) > 4 else 8
    n_apply = int(argv[5]) if len(argv) > 5 else 28
    apply_bs = int(argv[6]) if len(argv) > 6 else 4
    torch.set_num_threads(th); torch.manual_seed(0)
    net = XSeg(res, b)
    params = list(net.parameters())
    acc = [torch.zeros_like(p) for p in params]
    lr, rho, eps, keep = 1e-4, 0.9, 1e-6, 0.3
    g = torch.Generator().manual_seed(0)
    faces = torch.rand(bs, 3, res, res, generator=g)
    target = (torch.rand(bs, 1, res, res, generator=g) > 0.5).float()

    def step():
        for p in params:
            p.grad = None
        logits = net(faces)
        loss = F.binary_cross_entropy_with_logits(logits, target, reduction='none').mean((1, 2, 3)).sum()
        loss.backward()
        with torch.no_grad():          # DFL's RMSprop with learning-rate dropout
            for p, a in zip(params, acc):
                gr = p.grad
                a.mul_(rho).addcmul_(gr, gr, value=1 - rho)
                upd = gr / (a.sqrt() + eps)
                upd.mul_(torch.rand_like(p) < keep)
                p.sub_(upd, alpha=lr)

    for _ in range(2):
        step()
    tt = []
    for _ in range(iters):
        t0 = time.perf_counter(); step(); tt.append(time.perf_counter() - t0)
    tt.sort()

    apply_faces = torch.rand(n_apply, 3, res, res, generator=g)

    def apply_pass(x):
        with torch.inference_mode():
            for i in range(0, x.shape[0], apply_bs):
                m = torch.sigmoid(net(x[i:i + apply_bs])).clamp(0, 1)
                m = torch.where(m < 0.1, torch.zeros_like(m), m)
                (m >= 0.5).to(torch.uint8).mul(255)

    apply_pass(apply_faces[:apply_bs])
    at = []
    for _ in range(1 if iters <= 3 else 3):
        t0 = time.perf_counter(); apply_pass(apply_faces); at.append(time.perf_counter() - t0)
    at.sort()
    print(f"torch {torch.__version__} xseg-{res}-{b} b{bs} threads{th}: median {1000 * tt[len(tt) // 2]:.0f} ms/iter "
          f"(min {1000 * tt[0]:.0f}), apply {n_apply / at[len(at) // 2]:.2f} faces/s ({n_apply} faces, b{apply_bs}), "
          f"params {sum(p.numel() for p in params)}, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
