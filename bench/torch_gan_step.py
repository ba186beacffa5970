"""PyTorch peer of SAEHD's training step with GAN power and true-face power, for bench/run.sh (PEERS=1).

A measuring instrument like the shared peer it builds on, not part of the project. It imports the shared peer
script (shared/peers/torch_saehd_step.py: the SAEHD model, loss and RMSprop step) from the file named by --peer
PATH or $PEER_SCRIPT, reuses its models, inputs, loss and step, and adds, in float32, what
docs/dfl-model-folder.md §1-6 describes: DeepFaceLab's UNetPatchDiscriminator (D_src) and, for df
archis, its CodeDiscriminator (dis), their terms in the generator loss, and one discriminator step each per
iteration with an optimizer of the generator optimizer's class and settings.

usage: python torch_gan_step.py [--peer PATH] archi res ae e d dm channels batch threads [iters]
                                --gan-power P [--true-face-power T] [--gan-patch-size N] [--gan-dims N]
       python torch_gan_step.py --self-check      (discriminator layer plans, shapes, transposed conv; no peer)
Prints the peer's result line (median ms/iter over the timed iterations after the peer's warm-up count)."""
import ast, importlib.util, os, resource, sys, time
import torch, torch.nn as nn, torch.nn.functional as F


# ---- discriminators (docs/dfl-model-folder.md §2-4), NCHW ------------------------------------------------------

def glorot(m):
    nn.init.xavier_uniform_(m.weight); nn.init.zeros_(m.bias)
    return m


class LConv(nn.Conv2d):
    """leras Conv2D 'SAME': zero pad ((k-1)+1)//2 on every side, then a VALID convolution (k=4 s=2: H/2+1)."""
    def __init__(s, i, o, k, st=1):
        super().__init__(i, o, k, st, ((k - 1) + 1) // 2); glorot(s)


class LConvT(nn.Module):
    """leras Conv2DTranspose 'SAME' = TF's conv2d_transpose with TF SAME padding: output H*s, and
    out[i] = sum over o*s + k - pad_before = i of in[o]*w[k], pad_before = pad_total // 2, pad_total = max(k-s, 0).
    conv_transpose2d's padding p drops p rows at both ends; TF drops pad_before at the start and
    pad_total - pad_before at the end, so an odd pad_total (k=3, s=2) is one more row cut off the end."""
    def __init__(s, i, o, k, st):
        super().__init__()
        s.weight = nn.Parameter(torch.empty(i, o, k, k)); s.bias = nn.Parameter(torch.empty(o)); glorot(s)
        s.k, s.st = k, st
        s.pad = max(k - st, 0) // 2
        s.outpad = max(st - k + 2 * s.pad, 0)           # only where k < s (pad_total 0)

    def forward(s, x):
        h, w = x.shape[2] * s.st, x.shape[3] * s.st
        y = F.conv_transpose2d(x, s.weight, s.bias, s.st, s.pad, s.outpad)
        return y[:, :, :h, :w]


def receptive_field(layers):
    rf, ts = 0, 1
    for i, (k, st) in enumerate(layers):
        rf = k if i == 0 else rf + (k - 1) * ts
        ts *= st
    return rf


def find_archi(target, max_layers=9):
    best = {}
    for n in range(1, max_layers + 1):
        val = 1 << (n - 1)
        while True:
            val -= 1
            layers = [[3, 2]] + [[3, 1 + (1 if val & (1 << i) else 0)] for i in range(n - 1)]
            rf, sum_st = receptive_field(layers), sum(st for _, st in layers)
            old = best.get(rf)
            if old is None or n < old[0] or (n == old[0] and sum_st > old[1]):
                best[rf] = (n, sum_st, layers)
            if val == 0:
                break
    keys = sorted(best)
    return best[min(keys, key=lambda r: abs(r - target))][2]


class UNetPatchDiscriminator(nn.Module):
    def __init__(s, patch_size, in_ch, base_ch=16):
        super().__init__()
        s.layers = layers = find_archi(patch_size); L = len(layers)
        ch = {j: min(base_ch * 2 ** (j + 1), 512) for j in range(-1, L)}
        s.in_conv = LConv(in_ch, ch[-1], 1)
        s.convs = nn.ModuleList(LConv(ch[i - 1], ch[i], 3, layers[i][1]) for i in range(L))
        ups = []
        for i in range(L):
            ups.insert(0, LConvT(ch[i] * (2 if i != L - 1 else 1), ch[i - 1], 3, layers[i][1]))
        s.upconvs = nn.ModuleList(ups)
        s.out_conv = LConv(2 * ch[-1], 1, 1)
        s.center_out = LConv(ch[L - 1], 1, 1); s.center_conv = LConv(ch[L - 1], ch[L - 1], 1)

    def forward(s, x):
        x = F.leaky_relu(s.in_conv(x), 0.2)
        encs = []
        for conv in s.convs:
            encs.insert(0, x); x = F.leaky_relu(conv(x), 0.2)
        center = s.center_out(x); x = F.leaky_relu(s.center_conv(x), 0.2)
        for up, enc in zip(s.upconvs, encs):
            x = torch.cat([enc, F.leaky_relu(up(x), 0.2)], 1)
        return center, s.out_conv(x)


class CodeDiscriminator(nn.Module):
    def __init__(s, in_ch, code_res, ch=256):
        super().__init__()
        convs, prev = [], in_ch
        for i in range(1 + code_res // 8):
            cur = ch * min(2 ** i, 8); convs.append(LConv(prev, cur, 4 if i == 0 else 3, 2)); prev = cur
        s.convs = nn.ModuleList(convs); s.out_conv = LConv(prev, 1, 1)

    def forward(s, x):
        for conv in s.convs:
            x = F.leaky_relu(conv(x), 0.1)
        return s.out_conv(x)


def dloss(label, logits):
    """DFL's DLoss: per-sample mean over C,H,W of sigmoid cross-entropy against a constant label."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label), reduction='none').mean((1, 2, 3))


def total_variation_mse(y):
    return (y[:, :, 1:, :] - y[:, :, :-1, :]).pow(2).sum((1, 2, 3)) + (y[:, :, :, 1:] - y[:, :, :, :-1]).pow(2).sum((1, 2, 3))


# ---- self-check (no peer needed) -----------------------------------------------------------------------------

def self_check():
    torch.manual_seed(0); torch.set_num_threads(1); ok = True
    def report(good, what):
        nonlocal ok; ok &= good; print(f"{'ok  ' if good else 'FAIL'} {what}")
    table = {4: [2], 8: [2, 2], 12: [2, 1, 2], 16: [2, 2, 2], 20: [2, 1, 2, 2], 24: [2, 2, 1, 2], 32: [2, 2, 2, 2],
             48: [2, 2, 2, 1, 2], 64: [2, 2, 2, 2, 2]}
    for p, strides in table.items():
        got = [st for _, st in find_archi(p)]
        report(got == strides, f"find_archi({p}) strides {got} rf {receptive_field(find_archi(p))}")
    # Transposed conv: against the index formula of docs/dfl-model-folder.md §2, and against the gradient of TF's SAME convolution.
    for k, st, h in [(3, 2, 5), (3, 1, 5), (3, 2, 6), (4, 2, 4), (2, 3, 3)]:
        m = LConvT(2, 3, k, st); x = torch.randn(1, 2, h, h)
        y = m(x); H = h * st; pb = m.pad
        ref = m.bias.view(1, -1, 1, 1).repeat(1, 1, H, H).detach().clone()
        for oi in range(h):
            for oj in range(h):
                for ki in range(k):
                    for kj in range(k):
                        i, j = oi * st + ki - pb, oj * st + kj - pb
                        if 0 <= i < H and 0 <= j < H:
                            ref[0, :, i, j] += x[0, :, oi, oj] @ m.weight[:, :, ki, kj].detach()
        pt = max((h - 1) * st + k - H, 0)
        z = torch.zeros(1, 3, H, H, requires_grad=True)
        fwd = F.conv2d(F.pad(z, (pt // 2, pt - pt // 2, pt // 2, pt - pt // 2)), m.weight.detach(), stride=st)
        assert fwd.shape[2] == h
        g, = torch.autograd.grad((fwd * x).sum(), z)
        g = g + m.bias.detach().view(1, -1, 1, 1)
        report(y.shape == (1, 3, H, H) and torch.allclose(y, ref, atol=1e-5) and torch.allclose(y, g, atol=1e-5),
               f"Conv2DTranspose k={k} s={st} {h}->{tuple(y.shape[2:])} pad_before={pb} (index formula, TF SAME gradient)")
    report(LConv(1, 1, 4, 2)(torch.zeros(1, 1, 6, 6)).shape[2] == 4, "Conv2D k=4 s=2 6 -> 4 (H/2+1)")
    with torch.no_grad():
        for res in (96, 64):
            for p in (4, 12, 16, 24, res // 8):
                d = UNetPatchDiscriminator(p, 3, 16); prod = 1
                for _, st in d.layers: prod *= st
                c, f = d(torch.rand(2, 3, res, res))
                good = tuple(c.shape) == (2, 1, res // prod, res // prod) and tuple(f.shape) == (2, 1, res, res)
                report(good, f"UNetPatchDiscriminator res {res} patch {p} strides {[st for _, st in d.layers]}: "
                       f"center {tuple(c.shape)} full {tuple(f.shape)}, {sum(q.numel() for q in d.parameters())} params")
        for code_res, ae in ((6, 256), (8, 256), (16, 128)):
            dc = CodeDiscriminator(ae, code_res); o = dc(torch.rand(2, ae, code_res, code_res))
            want = code_res
            for i in range(1 + code_res // 8):
                want = (want + 2 * ((4 if i == 0 else 3) // 2) - (4 if i == 0 else 3)) // 2 + 1
            report(tuple(o.shape) == (2, 1, want, want), f"CodeDiscriminator code {ae}x{code_res}x{code_res}: {tuple(o.shape)}")
    return ok


# ---- the peer, imported ----------------------------------------------------------------------------------------

def load_peer(path, argv):
    """Imports the peer script from its file. It has no main guard: its top level parses sys.argv, builds the
    model and then warms up, times and prints. Its module body runs here (with sys.argv set to the peer's
    arguments) up to, not including, the first top-level statement that calls step(), so the models, inputs,
    optimizer and step() exist and nothing has run yet."""
    spec = importlib.util.spec_from_file_location('torch_saehd_step_peer', path)
    peer = importlib.util.module_from_spec(spec)
    tree = ast.parse(spec.loader.get_source(spec.name), path)
    def runs_step(node):
        return not isinstance(node, (ast.FunctionDef, ast.ClassDef)) and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == 'step' for n in ast.walk(node))
    cut = next((i for i, n in enumerate(tree.body) if runs_step(n)), len(tree.body))
    tree.body = tree.body[:cut]
    saved = sys.argv
    sys.argv = [path] + argv
    try:
        exec(compile(tree, path, 'exec'), peer.__dict__)
    finally:
        sys.argv = saved
    return peer


def main(argv):
    if argv == ['--self-check']:
        return 0 if self_check() else 1
    opt_names = {'--peer': str, '--gan-power': float, '--true-face-power': float, '--gan-patch-size': int, '--gan-dims': int}
    o, pos, i = {}, [], 0
    while i < len(argv):
        a = argv[i]; name, eq, val = a.partition('=')
        if name in opt_names:
            if not eq:
                i += 1; val = argv[i]
            o[name] = opt_names[name](val)
        else:
            pos.append(a)
        i += 1
    if len(pos) not in (9, 10):
        print(__doc__, file=sys.stderr); return 2
    here = os.path.dirname(os.path.abspath(__file__))
    path = o.get('--peer') or os.environ.get('PEER_SCRIPT') or os.path.join(here, '..', '..', 'shared', 'peers', 'torch_saehd_step.py')
    P = load_peer(path, pos)
    gan, tf = o.get('--gan-power', 0.0), o.get('--true-face-power', 0.0)
    if tf > 0 and P.typ != 'df':
        print(f"note: true face power applies to df archis only; {P.archi} runs without it", file=sys.stderr); tf = 0.0
    patch, dims = o.get('--gan-patch-size', P.res // 8), o.get('--gan-dims', 16)

    # Discriminators: trainable only during their own step (the generator's gradients skip their weights).
    disc, d_steps = [], []
    def d_opt(params):                        # same class and settings as the peer's generator optimizer
        return type(P.opt)(params, **P.opt.defaults)
    if tf > 0:
        with torch.no_grad():
            code = P.inter(torch.zeros(1, P.E))
        Dc = CodeDiscriminator(code.shape[1], code.shape[2]); Dc.requires_grad_(False); disc.append(Dc)
        Dc_opt = d_opt(list(Dc.parameters()))
    if gan > 0:
        D = UNetPatchDiscriminator(patch, P.ch, dims); D.requires_grad_(False); disc.append(D)
        D_opt = d_opt(list(D.parameters()))
    d_params = sum(q.numel() for m in disc for q in m.parameters())
    if disc:
        info = ([f"gan_power {gan:g}: patch {patch} (strides {[st for _, st in D.layers]}), dims {dims}"] if gan > 0 else []) \
            + ([f"true_face_power {tf:g}: code {tuple(code.shape[1:])}"] if tf > 0 else [])
        print(f"{'; '.join(info)}; discriminator params {d_params / 1e6:.2f}M, optimizer {type(P.opt).__name__}", file=sys.stderr)

    # The generator step is the peer's step(); its src-side loss call gains the G terms of
    # docs/dfl-model-folder.md §5. Wrappers on the peer's globals see pred_src_src (side's argument next to
    # target_src) and, for true face, the src code.
    state = {}
    peer_side, peer_enc, peer_inter = P.side, P.enc, getattr(P, 'inter', None)
    # The src side's m_blur (docs/dfl-model-folder.md §5; the peer's side() makes the same).
    def m_blur():
        return P.blur(P.tsm, max(1, P.res // 32)).clamp(0, 0.5) * 2
    def side(t, tm, tem, p, pm):
        l = peer_side(t, tm, tem, p, pm)
        if t is not P.ts:
            return l
        if gan > 0:                           # the peer trains masked, so TV and the anti-masked term are in
            m = m_blur(); c, f = D(p * m)
            l = l + gan * (dloss(1.0, c) + dloss(1.0, f)) + 1e-6 * total_variation_mse(p) \
                + 0.02 * ((p - t) * (1 - m)).pow(2).mean((1, 2, 3))
        if tf > 0:
            l = l + tf * dloss(1.0, Dc(state['src_code']))
        return l
    def enc(x):
        y = peer_enc(x)
        if x is P.ws: state['src_enc'] = y
        return y
    def inter(z):
        c = peer_inter(z)
        if z is state.get('src_enc'): state['src_code'] = c
        return c
    if disc:
        P.side = side
        if tf > 0: P.enc, P.inter = enc, inter

    def d_step(Dm, opt, loss_fn):
        Dm.requires_grad_(True); opt.zero_grad(set_to_none=True)
        loss_fn().sum().backward(); opt.step(); Dm.requires_grad_(False)

    def step():
        state.clear()
        P.step()                              # generator forward + backward + update (docs/dfl-model-folder.md §6 step 1)
        if not disc:
            return
        # The graph again on the same batch with the updated generator, only as far as the D steps need it.
        with torch.no_grad():
            if P.typ == 'df':
                sc = peer_inter(peer_enc(P.ws))
                pss = P.ds(sc)[0] if gan > 0 else None
                dc = peer_inter(peer_enc(P.wd)) if tf > 0 else None
            else:
                a = P.iAB(peer_enc(P.ws)); pss = P.dec(torch.cat([a, a], 1))[0]
            if gan > 0:
                m = m_blur(); fake, real = pss * m, P.ts * m
        if tf > 0:                            # docs/dfl-model-folder.md §6 step 2: code discriminator
            d_step(Dc, Dc_opt, lambda: (dloss(1.0, Dc(dc)) + dloss(0.0, Dc(sc))) / 2)
        if gan > 0:                           # docs/dfl-model-folder.md §6 step 3: patch discriminator
            def gan_loss():
                rc, rf = D(real); fc, ff = D(fake)
                return (dloss(1.0, rc) + dloss(0.0, fc)) / 2 + (dloss(1.0, rf) + dloss(0.0, ff)) / 2
            d_step(D, D_opt, gan_loss)

    for _ in range(3): step()                 # the peer's warm-up count and timing
    tt = []
    for _ in range(P.iters):
        t0 = time.perf_counter(); step(); tt.append(time.perf_counter() - t0)
    tt.sort()
    extra = (f" gan{gan:g}" if gan > 0 else "") + (f" tf{tf:g}" if tf > 0 else "")
    print(f"torch {torch.__version__} {P.archi}-{P.res}-{P.ae}-{P.e}-{P.d}-{P.dm} ch{P.ch} b{P.bs} threads{P.th}{extra}: "
          f"median {1000 * tt[len(tt) // 2]:.0f} ms/iter (min {1000 * tt[0]:.0f}), "
          f"params {(sum(q.numel() for q in P.params) + d_params) / 1e6:.2f}M, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
