"""The DARTS-space search supernet and its bilevel step in PyTorch (CPU or CUDA), built
to match nas/supernet_darts.cpp and nas/darts_search.cpp layer for layer, so
bench/peers/run_peers.py can time the same step on both sides
(bench/bench_supernet.cpp: supernet/o<order>_C<c>_L<cells>_B<batch>).

Network (C channels, L cells, images [C_img, H, W]):
  stem: conv3x3(C_img -> 3C, no bias) - BN (affine)
  cell k reads cells k-2 and k-1 (both the stem for cell 0); cells L//3 and
  2L//3 reduce (stride 2 on edges from states 0/1, C doubled).
  preprocess0 = FactorizedReduce after a reduction cell, else ReLU-conv1x1-BN;
  preprocess1 = ReLU-conv1x1-BN. 4 nodes, node i sums MixedOps over states
  0..i+1 (14 edges); output = concat(states 2..5) = [N, 4C, ...].
  global average pool, Linear(4C_last -> classes).
Search-time BN has no affine parameters (except the stem's); pools are followed
by such a BN. MixedOp = sum_k softmax(alpha_row)_k * op_k(x); the 'none' op
(zeros) is skipped, as ours does: it adds exactly zero and passes no gradient
(its alpha still gets its softmax gradient).
Step: alpha Adam (lr 3e-4, betas (0.5, 0.999), weight decay 1e-3 as L2) on the
validation batch, then weight SGD (lr 0.025, momentum 0.9, weight decay 3e-4,
gradient-norm clip 5) on the training batch; second order: the unrolled step
and the finite-difference Hessian-vector product (radius 0.01 / ||v||).
Run as a script it checks the parameter count of the search default
(C 8, 5 cells, Fashion-MNIST): 393,778 weights + 224 alphas, and takes one
bilevel step; `--device cuda` does that on the GPU (run_peers.py's cuda group
moves the supernet with .to("cuda") before building Bilevel, whose optimizers
must hold the moved parameters).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

OPS = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
       "dil_conv_3x3", "dil_conv_5x5")  # nas/genotype_darts.h's DartsOp order (alpha columns)
EDGES = 14  # 2 + 3 + 4 + 5
NODES = 4
DEFAULT_WEIGHTS = 393_778  # C 8, 5 cells, [1, 28, 28], 10 classes: ours (bench_supernet's "weights")
DEFAULT_ALPHAS = 2 * EDGES * len(OPS)


def bn(c):
    return nn.BatchNorm2d(c, affine=False)


def relu_conv_bn(c_in, c_out, k, stride, pad):
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c_in, c_out, k, stride, pad, bias=False), bn(c_out))


def separable(c_in, c_out, k, stride, pad, dil):
    """relu - depthwise k x k - pointwise 1x1 - BN."""
    return [nn.ReLU(), nn.Conv2d(c_in, c_in, k, stride, pad, dil, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False), bn(c_out)]


class FactorizedReduce(nn.Module):
    """relu, two 1x1 stride-2 convs on the even and the odd pixel grid (the odd one
    through padding 1 and dropping the first row/column, as nn/darts_ops.cpp), concat, BN."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, 2, 1, bias=False)
        self.bn = bn(c_out)

    def forward(self, x):
        r = F.relu(x)
        return self.bn(torch.cat([self.conv_1(r), self.conv_2(r)[:, :, 1:, 1:]], 1))


def make_op(name, c, stride):
    if name == "max_pool_3x3":
        return nn.Sequential(nn.MaxPool2d(3, stride, 1), bn(c))
    if name == "avg_pool_3x3":
        return nn.Sequential(nn.AvgPool2d(3, stride, 1, count_include_pad=False), bn(c))
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    if name.startswith("sep_conv"):
        k = int(name[-1])
        return nn.Sequential(*separable(c, c, k, stride, k // 2, 1), *separable(c, c, k, 1, k // 2, 1))
    if name.startswith("dil_conv"):
        k = int(name[-1])
        return nn.Sequential(*separable(c, c, k, stride, k - 1, 2))
    raise ValueError(name)


class MixedOp(nn.Module):
    def __init__(self, c, stride):
        super().__init__()
        self.live = [k for k, name in enumerate(OPS) if name != "none"]
        self._ops = nn.ModuleList([make_op(OPS[k], c, stride) for k in self.live])

    def forward(self, x, weights):  # weights [8]: one softmax row
        out = None
        for k, op in zip(self.live, self._ops):
            h = op(x) * weights[k]
            out = h if out is None else out + h
        return out


class SearchCell(nn.Module):
    def __init__(self, c_pp, c_p, c, reduction, reduction_prev):
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = FactorizedReduce(c_pp, c) if reduction_prev else relu_conv_bn(c_pp, c, 1, 1, 0)
        self.preprocess1 = relu_conv_bn(c_p, c, 1, 1, 0)
        self._ops = nn.ModuleList([MixedOp(c, 2 if reduction and j < 2 else 1)
                                   for i in range(NODES) for j in range(i + 2)])

    def forward(self, s0, s1, weights):  # weights [14, 8]
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        e = 0
        for i in range(NODES):
            s = None
            for j in range(i + 2):
                h = self._ops[e](states[j], weights[e])
                s = h if s is None else s + h
                e += 1
            states.append(s)
        return torch.cat(states[2:], 1)


class Supernet(nn.Module):
    def __init__(self, channels, cells, image_shape=(1, 28, 28), classes=10):
        super().__init__()
        c_curr = 3 * channels
        self.stem = nn.Sequential(nn.Conv2d(image_shape[0], c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        c_pp, c_p, c_curr = c_curr, c_curr, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(cells):
            reduction = i in (cells // 3, 2 * cells // 3)
            if reduction:
                c_curr *= 2
            self.cells.append(SearchCell(c_pp, c_p, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, NODES * c_curr
        self.classifier = nn.Linear(c_p, classes)
        self.alphas_normal = nn.Parameter(1e-3 * torch.randn(EDGES, len(OPS)))
        self.alphas_reduce = nn.Parameter(1e-3 * torch.randn(EDGES, len(OPS)))

    def alphas(self):
        return [self.alphas_normal, self.alphas_reduce]

    def weights(self):
        return [p for n, p in self.named_parameters() if not n.startswith("alphas_")]

    def forward(self, x):
        w_normal, w_reduce = F.softmax(self.alphas_normal, -1), F.softmax(self.alphas_reduce, -1)
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, w_reduce if cell.reduction else w_normal)
        return self.classifier(s1.mean((2, 3)))


def count(params):
    return sum(p.numel() for p in params)


class Bilevel:
    """nas/darts_search.cpp's BilevelOptimizer::step, in PyTorch."""

    def __init__(self, net, order=1, lr=0.025, momentum=0.9, weight_decay=3e-4, grad_clip=5.0,
                 hessian_radius=0.01):
        self.net, self.order, self.grad_clip, self.radius = net, order, grad_clip, hessian_radius
        self.momentum, self.weight_decay = momentum, weight_decay
        self.w, self.a = net.weights(), net.alphas()
        self.w_opt = torch.optim.SGD(self.w, lr=lr, momentum=momentum, weight_decay=weight_decay)
        self.a_opt = torch.optim.Adam(self.a, lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)

    def _loss(self, x, y):
        return F.cross_entropy(self.net(x), y)

    def _val(self, x, y):
        logits = self.net(x)
        loss = F.cross_entropy(logits, y)
        self.val_loss, self.val_correct = loss.item(), int((logits.argmax(1) == y).sum())
        return loss

    def arch_gradient(self, xt, yt, xv, yv):
        if self.order == 1:
            return list(torch.autograd.grad(self._val(xv, yv), self.a))
        xi = self.w_opt.param_groups[0]["lr"]
        w0 = [w.detach().clone() for w in self.w]
        bufs = list(self.net.buffers())
        bufs0 = [b.clone() for b in bufs]
        g = torch.autograd.grad(self._loss(xt, yt), self.w)
        with torch.no_grad():  # w' = w - xi (g + wd w + momentum buf)
            for w, gi, w_0 in zip(self.w, g, w0):
                w.add_(gi, alpha=-xi).add_(w_0, alpha=-xi * self.weight_decay)
                buf = self.w_opt.state.get(w, {}).get("momentum_buffer")
                if buf is not None:
                    w.add_(buf, alpha=-xi * self.momentum)
        del g
        gs = torch.autograd.grad(self._val(xv, yv), self.a + self.w, allow_unused=True)
        da = list(gs[:len(self.a)])
        v = [torch.zeros_like(w) if gi is None else gi for w, gi in zip(self.w, gs[len(self.a):])]
        del gs
        norm = torch.sqrt(sum((vi * vi).sum() for vi in v)).item()

        def shifted(scale):
            with torch.no_grad():
                for w, w_0, vi in zip(self.w, w0, v):
                    w.copy_(w_0).add_(vi, alpha=scale)

        if norm > 0:
            eps = self.radius / norm
            shifted(eps)
            gp = torch.autograd.grad(self._loss(xt, yt), self.a)
            shifted(-eps)
            gn = torch.autograd.grad(self._loss(xt, yt), self.a)
            da = [d - xi / (2 * eps) * (p - n) for d, p, n in zip(da, gp, gn)]
        shifted(0.0)
        with torch.no_grad():
            for b, b0 in zip(bufs, bufs0):
                b.copy_(b0)
        return da

    def step(self, xt, yt, xv, yv):
        da = self.arch_gradient(xt, yt, xv, yv)
        self.a_opt.zero_grad(set_to_none=True)
        for a, g in zip(self.a, da):
            a.grad = g
        self.a_opt.step()
        self.a_opt.zero_grad(set_to_none=True)
        for a in self.a:  # the weight step needs no alpha gradient
            a.requires_grad_(False)
        self.w_opt.zero_grad(set_to_none=True)
        logits = self.net(xt)
        loss = F.cross_entropy(logits, yt)
        self.train_loss, self.train_correct = loss.item(), int((logits.argmax(1) == yt).sum())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.w, self.grad_clip)
        self.w_opt.step()
        self.w_opt.zero_grad(set_to_none=True)
        for a in self.a:
            a.requires_grad_(True)


def reset_peak_rss():
    """Resets this process's VmHWM (Linux); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


if __name__ == "__main__":
    import sys
    device = torch.device(sys.argv[sys.argv.index("--device") + 1] if "--device" in sys.argv else "cpu")
    torch.manual_seed(0)
    net = Supernet(8, 5).to(device)
    got = (count(net.weights()), count(net.alphas()))
    assert got == (DEFAULT_WEIGHTS, DEFAULT_ALPHAS), f"parameter count {got} != ours {(DEFAULT_WEIGHTS, DEFAULT_ALPHAS)}"
    x = torch.randn(4, 1, 28, 28, device=device)
    assert net(x).shape == (4, 10)
    y = torch.randint(10, (4,), device=device)
    step = Bilevel(net, 1)
    step.step(x, y, x, y)
    assert all(torch.isfinite(p).all() for p in net.parameters()), "non-finite parameters after one step"
    print(f"supernet C 8, 5 cells on {device}: {got[0]:,} weights + {got[1]} alphas, as ours; one bilevel step ran")
