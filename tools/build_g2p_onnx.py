"""Build the neural fallback G2P graph from g2p-en's GRU seq2seq weights.

    python tools/build_g2p_onnx.py --npz checkpoint20.npz --out web/public/model/g2p_en.onnx

g2p-en (PyPI ``g2p-en==2.1.0``) ships ``checkpoint20.npz`` and decodes it with a
numpy loop per word. The browser pays per runtime call, so this script folds the
*whole* greedy decode for a batch of words into one ONNX graph:

    chars    int64 [B, T]  grapheme ids (a..z = 3..28) plus the trailing </s> (2),
                           right-padded with <pad> (0)
    lengths  int64 [B]     valid length of each row, </s> included
    phonemes int64 [B, 20] greedy phoneme ids; the caller cuts each row at </s> (3)

The encoder runs each row for its own length; the decoder is a 20-iteration Loop
whose body is one GRU step, the output projection (MatMul + Add), ArgMax, and the
embedding Gather of the prediction for the next step. Rows keep decoding after
</s>; that only appends ids the caller discards, the prefix equals g2p-en's early
stop.

The weights are PyTorch ``nn.GRU`` tensors: gate order r, z, n and
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)). Two ways to write the cells
(``--cell``), identical ids on all ~84k words of misaki's dictionaries:

* ``explicit`` (default): MatMul + elementwise ops, with the input projections
  folded into per-symbol tables at build time (every input is an embedding row,
  so W_ih x + b_ih is a table lookup). The encoder is a Loop that keeps a row's
  state once its length is reached. onnxruntime-web's wasm GRU kernel is slow:
  this form decodes 32 words 2-3x faster there (about the same natively) and the
  file is 40% smaller.
* ``gru``: ONNX GRU ops (gate order z, r, h; ``linear_before_reset=1``), the
  encoder with ``sequence_lens`` so ``Y_h`` is each row's state at its own last
  valid step.

The output is byte-for-byte deterministic for a given npz and cell (no
timestamps), so re-running is idempotent.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MAX_STEPS = 20  # g2p-en's decode limit
SOS = 2  # phoneme id of <s>
OPSET = 17
CELLS = ("explicit", "gru")

node = helper.make_node


def const(name: str, value: np.ndarray) -> TensorProto:
    return numpy_helper.from_array(np.asarray(value, order="C"), name)  # keeps 0-d scalars 0-d


def value(name: str, dtype: int, shape: list) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, shape)


# --- cells as ONNX GRU ops -----------------------------------------------------------------------

def to_onnx_gates(w: np.ndarray) -> np.ndarray:
    """Reorder PyTorch's stacked (r, z, n) gate blocks to ONNX's (z, r, h)."""
    r, z, n = np.split(w, 3, axis=0)
    return np.concatenate([z, r, n], axis=0)


def gru_weights(npz, prefix: str) -> list[TensorProto]:
    """ONNX GRU W [1,3H,I], R [1,3H,H], B [1,6H] (Wb then Rb) for one direction."""
    w = to_onnx_gates(npz[f"{prefix}_w_ih"])[None]
    r = to_onnx_gates(npz[f"{prefix}_w_hh"])[None]
    b = np.concatenate([to_onnx_gates(npz[f"{prefix}_b_ih"]), to_onnx_gates(npz[f"{prefix}_b_hh"])])[None]
    return [const(f"{prefix}_W", w.astype(np.float32)), const(f"{prefix}_R", r.astype(np.float32)),
            const(f"{prefix}_B", b.astype(np.float32)), const(f"{prefix}_emb", npz[f"{prefix}_emb"])]


def encoder_gru(hidden: int) -> list[onnx.NodeProto]:
    """chars, lengths -> h_init [B, H] with one GRU over each row's own length."""
    return [
        node("Gather", ["enc_emb", "chars"], ["enc_x_bte"], axis=0),                    # [B, T, E]
        node("Transpose", ["enc_x_bte"], ["enc_x"], perm=[1, 0, 2]),                   # [T, B, E]
        node("Cast", ["lengths"], ["seq_lens"], to=TensorProto.INT32),
        node("GRU", ["enc_x", "enc_W", "enc_R", "enc_B", "seq_lens"], ["", "enc_h"],
             hidden_size=hidden, linear_before_reset=1),                                # [1, B, H]
        node("Squeeze", ["enc_h", "axis0"], ["h_init"]),                                # [B, H]
    ]


def step_gru(hidden: int) -> list[onnx.NodeProto]:
    """Decoder cell: (h_in, prev_in) -> h_out with a one-step GRU."""
    return [
        node("Gather", ["dec_emb", "prev_in"], ["x_emb"], axis=0),                      # [B, E]
        node("Unsqueeze", ["x_emb", "axis0"], ["x_seq"]),                               # [1, B, E]
        node("Unsqueeze", ["h_in", "axis0"], ["h0"]),                                   # [1, B, H]
        node("GRU", ["x_seq", "dec_W", "dec_R", "dec_B", "", "h0"], ["", "h1"],
             hidden_size=hidden, linear_before_reset=1),
        node("Squeeze", ["h1", "axis0"], ["h_out"]),                                    # [B, H]
    ]


# --- cells written out ---------------------------------------------------------------------------

def explicit_weights(npz, prefix: str) -> list[TensorProto]:
    """Input-projection table [symbols, 3H] (= emb @ W_ih^T + b_ih), W_hh^T and b_hh, PyTorch order."""
    table = npz[f"{prefix}_emb"].astype(np.float32) @ npz[f"{prefix}_w_ih"].T + npz[f"{prefix}_b_ih"]
    return [const(f"{prefix}_gi", table.astype(np.float32)),
            const(f"{prefix}_whhT", np.ascontiguousarray(npz[f"{prefix}_w_hh"].T.astype(np.float32))),
            const(f"{prefix}_bhh", npz[f"{prefix}_b_hh"].astype(np.float32))]


def cell_nodes(prefix: str, gi: str, h: str, out: str) -> list[onnx.NodeProto]:
    """One PyTorch GRU cell: r, z = sigmoid(gi + gh), n = tanh(gi_n + r * gh_n), out = n + z * (h - n)."""
    p = prefix + "_"
    return [
        node("MatMul", [h, f"{prefix}_whhT"], [p + "gh_mm"]),
        node("Add", [p + "gh_mm", f"{prefix}_bhh"], [p + "gh"]),                        # [B, 3H]
        node("Split", [gi, "gate_sizes"], [p + "i_r", p + "i_z", p + "i_n"], axis=1),
        node("Split", [p + "gh", "gate_sizes"], [p + "h_r", p + "h_z", p + "h_n"], axis=1),
        node("Add", [p + "i_r", p + "h_r"], [p + "r_in"]),
        node("Sigmoid", [p + "r_in"], [p + "r"]),
        node("Add", [p + "i_z", p + "h_z"], [p + "z_in"]),
        node("Sigmoid", [p + "z_in"], [p + "z"]),
        node("Mul", [p + "r", p + "h_n"], [p + "r_hn"]),
        node("Add", [p + "i_n", p + "r_hn"], [p + "n_in"]),
        node("Tanh", [p + "n_in"], [p + "n"]),
        node("Sub", [h, p + "n"], [p + "h_minus_n"]),
        node("Mul", [p + "z", p + "h_minus_n"], [p + "z_term"]),
        node("Add", [p + "n", p + "z_term"], [out]),                                    # [B, H]
    ]


def encoder_explicit(hidden: int) -> list[onnx.NodeProto]:
    """chars, lengths -> h_init [B, H]: a Loop over T that freezes rows past their length."""
    body = helper.make_graph(
        [node("Gather", ["chars", "t"], ["ids"], axis=1),                               # [B]
         node("Gather", ["enc_gi", "ids"], ["gi"], axis=0),                             # [B, 3H]
         *cell_nodes("enc", "gi", "h_in", "h_new"),
         node("Less", ["t", "lengths"], ["valid"]),                                     # [B]
         node("Unsqueeze", ["valid", "axis1"], ["valid_b1"]),
         node("Where", ["valid_b1", "h_new", "h_in"], ["h_out"]),
         node("Identity", ["cond_in"], ["cond_out"])],
        "encoder_step",
        inputs=[value("t", TensorProto.INT64, []), value("cond_in", TensorProto.BOOL, []),
                value("h_in", TensorProto.FLOAT, ["B", hidden])],
        outputs=[value("cond_out", TensorProto.BOOL, []), value("h_out", TensorProto.FLOAT, ["B", hidden])],
    )
    return [
        node("Shape", ["chars"], ["chars_shape"]),
        node("Gather", ["chars_shape", "one"], ["steps"], axis=0),                      # T (scalar)
        node("Shape", ["lengths"], ["batch_shape"]),
        node("Concat", ["batch_shape", "hidden_dim"], ["h_shape"], axis=0),
        node("ConstantOfShape", ["h_shape"], ["h_zero"], value=const("", np.array([0], np.float32))),
        node("Loop", ["steps", "true", "h_zero"], ["h_init"], body=body),
    ]


def step_explicit(hidden: int) -> list[onnx.NodeProto]:
    """Decoder cell: (h_in, prev_in) -> h_out, input projection looked up by symbol."""
    return [node("Gather", ["dec_gi", "prev_in"], ["gi"], axis=0), *cell_nodes("dec", "gi", "h_in", "h_out")]


# --- the graph -----------------------------------------------------------------------------------

def decoder(step: list[onnx.NodeProto], hidden: int) -> list[onnx.NodeProto]:
    """h_init -> phonemes [B, MAX_STEPS]: a Loop of greedy steps starting from <s>."""
    body = helper.make_graph(
        [*step,
         node("MatMul", ["h_out", "fc_wT"], ["logits_mm"]),                            # [B, P]
         node("Add", ["logits_mm", "fc_b"], ["logits"]),
         node("ArgMax", ["logits"], ["pred"], axis=1, keepdims=0),                      # [B] int64
         node("Identity", ["cond_in"], ["cond_out"]),
         node("Identity", ["pred"], ["pred_scan"])],
        "greedy_step",
        inputs=[value("t", TensorProto.INT64, []), value("cond_in", TensorProto.BOOL, []),
                value("h_in", TensorProto.FLOAT, ["B", hidden]), value("prev_in", TensorProto.INT64, ["B"])],
        outputs=[value("cond_out", TensorProto.BOOL, []), value("h_out", TensorProto.FLOAT, ["B", hidden]),
                 value("pred", TensorProto.INT64, ["B"]), value("pred_scan", TensorProto.INT64, ["B"])],
    )
    return [
        node("Shape", ["lengths"], ["dec_batch_shape"]),
        node("ConstantOfShape", ["dec_batch_shape"], ["sos"], value=const("", np.array([SOS], np.int64))),
        node("Loop", ["max_steps", "true", "h_init", "sos"], ["h_last", "pred_last", "preds_tb"], body=body),
        node("Transpose", ["preds_tb"], ["phonemes"], perm=[1, 0]),                     # [B, 20]
    ]


def build(npz_path: str, cell: str = "explicit") -> onnx.ModelProto:
    npz = {k: v for k, v in np.load(npz_path).items()}
    hidden = npz["enc_w_hh"].shape[1]
    common = [
        const("fc_wT", np.ascontiguousarray(npz["fc_w"].T.astype(np.float32))),
        const("fc_b", npz["fc_b"].astype(np.float32)),
        const("max_steps", np.array(MAX_STEPS, np.int64)),
        const("true", np.array(True)),
    ]
    if cell == "gru":
        weights = [*gru_weights(npz, "enc"), *gru_weights(npz, "dec"), const("axis0", np.array([0], np.int64))]
        nodes = encoder_gru(hidden) + decoder(step_gru(hidden), hidden)
    elif cell == "explicit":
        weights = [*explicit_weights(npz, "enc"), *explicit_weights(npz, "dec"),
                   const("gate_sizes", np.array([hidden] * 3, np.int64)),
                   const("hidden_dim", np.array([hidden], np.int64)),
                   const("axis1", np.array([1], np.int64)), const("one", np.array(1, np.int64))]
        nodes = encoder_explicit(hidden) + decoder(step_explicit(hidden), hidden)
    else:
        raise ValueError(f"unknown cell {cell!r}, expected one of {CELLS}")

    graph = helper.make_graph(
        nodes, "g2p_en_greedy",
        inputs=[value("chars", TensorProto.INT64, ["B", "T"]), value("lengths", TensorProto.INT64, ["B"])],
        outputs=[value("phonemes", TensorProto.INT64, ["B", MAX_STEPS])],
        initializer=weights + common,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="koe-build-g2p", producer_version="1")
    model.ir_version = 8  # readable by onnxruntime(-web) >= 1.10
    model.doc_string = f"g2p-en 2.1.0 checkpoint20 GRU seq2seq, batched greedy decode ({cell} cells)"
    onnx.checker.check_model(model, full_check=True)
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--npz", required=True, help="g2p_en/checkpoint20.npz")
    parser.add_argument("--out", required=True, help="output .onnx path")
    parser.add_argument("--cell", choices=CELLS, default="explicit", help="how GRU cells are written (default explicit)")
    args = parser.parse_args(argv)

    data = build(args.npz, args.cell).SerializeToString()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({args.cell} cells): {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
