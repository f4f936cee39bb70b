"""fct's ResNet backbones and embedding models in PyTorch, parameter for parameter.

fct's ResNets use torchvision's names (conv1, bn1, layer1.0.conv1, ..., layer4.1.downsample.0), so
a state dict moves between this module and fct unchanged:

    model = FctEmbeddingModel(depth=18, width=64, small_input=True, in_channels=1,
                              embedding_dim=128, num_classes=10)
    model.load_state_dict(torch.load("model.pth"))      # written by `fct export --state-dict`
    torch.save(model.state_dict(), "start.pth")         # read by `model.weights: start.pth`

The embedding head is fct's (docs/pytorch-models.md): "conv", the protocol's, lets the last block
of layer4 output embedding_dim channels, then ReLU and global average pooling; "linear" pools and
then applies Linear(features, embedding_dim), registered as `projection`. The classifier has no
bias. Inputs are normalised images, as fct's datasets produce them.
"""

import torch
from torch import nn

BLOCKS = {10: [1, 1, 1, 1], 18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3]}


def conv(cin, cout, kernel, stride):
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False)


def downsample(cin, cout, stride):
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(conv(cin, cout, 1, stride), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, cout, stride):
        super().__init__()
        self.conv1 = conv(cin, planes, 3, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv(planes, cout, 3, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = downsample(cin, cout, stride)

    def forward(self, x):
        identity = x
        if self.downsample is not None:
            identity = self.downsample(x)
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, cout, stride):
        super().__init__()
        self.conv1 = conv(cin, planes, 1, 1)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv(planes, planes, 3, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv(planes, cout, 1, 1)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = downsample(cin, cout, stride)

    def forward(self, x):
        identity = x
        if self.downsample is not None:
            identity = self.downsample(x)
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return torch.relu(out + identity)


class FctResNet(nn.Module):
    """Images [N, C, H, W] -> embeddings [N, embedding_dim]; fct's model.arch resnet<depth>[_small]."""

    def __init__(self, depth=18, width=64, small_input=True, in_channels=3, embedding_dim=128,
                 head="conv"):
        super().__init__()
        self.small_input = small_input
        block = Bottleneck if depth == 50 else BasicBlock
        self.conv1 = conv(in_channels, width, 3, 1) if small_input else conv(in_channels, width, 7, 2)
        self.bn1 = nn.BatchNorm2d(width)
        cin = width
        for stage, count in enumerate(BLOCKS[depth]):
            planes = width << stage
            layer = []
            for b in range(count):
                stride = 2 if stage > 0 and b == 0 else 1
                last = head == "conv" and stage == 3 and b == count - 1
                cout = embedding_dim if last else planes * block.expansion
                layer.append(block(cin, planes, cout, stride))
                cin = cout
            setattr(self, "layer%d" % (stage + 1), nn.Sequential(*layer))
        self.projection = nn.Linear(cin, embedding_dim) if head == "linear" else None

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        if not self.small_input:
            x = torch.max_pool2d(x, 3, 2, 1)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = x.mean([2, 3])
        if self.projection is not None:
            x = self.projection(x)
        return x


class FctEmbeddingModel(FctResNet):
    """The backbone plus fct's bias-free classifier; forward returns (embedding, logits)."""

    def __init__(self, num_classes=10, **backbone):
        super().__init__(**backbone)
        self.classifier = nn.Linear(backbone.get("embedding_dim", 128), num_classes, bias=False)

    def embed(self, x):
        return super().forward(x)

    def forward(self, x):
        embedding = self.embed(x)
        return embedding, self.classifier(embedding)
