"""Sixteen float32 lanes as one value inside numba kernels: explicit SIMD without C.

A genome scan's fast path keeps 16 filters side by side, one per lane, and adds table rows of
16 floats. LLVM vectorises such code only when it can prove that arrays do not overlap, which it
cannot for numba arrays, so the kernels would run one float at a time. The intrinsics here make
the vector explicit: a :data:`lanes` value is one LLVM ``<16 x float>`` (one AVX-512 register, two
AVX2 registers, four SSE registers: LLVM splits it for the machine it compiles for).

Inside ``@numba.njit`` functions::

    row = load(table, i)              # table[i, :] of a float32 [n, 16] array
    total = add(total, row)           # lane-wise sum (also subtract, multiply)
    best = maximum(best, total)       # lane-wise (a > b ? a : b), as the scalar kernels did
    zeros = full(0.0)                 # every lane the same value
    store(out, j, maximum(best, zeros))   # out[j, 0:16] = ReLU(best)

Arrays read and written this way are C-contiguous float32 ``[n, 16]`` (rows of exactly 16
floats). No bounds are checked: ``i`` must be a row of the array (the callers' loops guarantee
it).
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import types
from numba.core.errors import TypingError
from numba.extending import intrinsic, models, register_model

LANES = 16
"""Float32 lanes in one value."""

_VECTOR = ir.VectorType(ir.FloatType(), LANES)


class Lanes(types.Type):
    """The numba type of 16 float32 lanes."""

    def __init__(self):
        super().__init__(name=f"lanes{LANES}xf32")


lanes = Lanes()


@register_model(Lanes)
class _LanesModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _VECTOR)


def _check_rows(array) -> None:
    if not (isinstance(array, types.Array) and array.dtype == types.float32 and array.ndim == 2
            and array.layout == "C"):
        raise TypingError(f"lanes need a C-contiguous float32 [n, 16] array, got {array}")


def _check_lanes(*values) -> None:
    if any(value != lanes for value in values):
        raise TypingError(f"expected lanes, got {values}")


def _row_pointer(context, builder, signature, args):
    """Pointer to ``array[row, 0]`` as ``<16 x float>*``, for rows of exactly 16 floats (the
    address is ``data + 16 row``: no stride multiply in the kernels' inner loops)."""
    array = context.make_array(signature.args[0])(context, builder, args[0])
    row = context.cast(builder, args[1], signature.args[1], types.intp)
    return builder.gep(builder.bitcast(array.data, _VECTOR.as_pointer()), [row])


@intrinsic
def load(typingctx, array, row):
    """``array[row, :]`` as lanes."""
    _check_rows(array)

    def codegen(context, builder, signature, args):
        return builder.load(_row_pointer(context, builder, signature, args), align=4)

    return lanes(array, row), codegen


@intrinsic
def store(typingctx, array, row, value):
    """``array[row, :] = value``."""
    _check_rows(array)
    _check_lanes(value)

    def codegen(context, builder, signature, args):
        builder.store(args[2], _row_pointer(context, builder, signature, args), align=4)
        return context.get_dummy_value()

    return types.none(array, row, lanes), codegen


def _lane_wise(name: str, emit, doc: str):
    """An intrinsic ``name(a, b) -> lanes`` whose LLVM code is ``emit(builder, a, b)``."""

    def operation(typingctx, a, b):
        _check_lanes(a, b)

        def codegen(context, builder, signature, args):
            return emit(builder, *args)

        return lanes(lanes, lanes), codegen

    operation.__name__ = operation.__qualname__ = name
    operation.__doc__ = doc
    return intrinsic(operation)


add = _lane_wise("add", lambda builder, a, b: builder.fadd(a, b), "Lane-wise ``a + b``.")
subtract = _lane_wise("subtract", lambda builder, a, b: builder.fsub(a, b), "Lane-wise ``a - b``.")
multiply = _lane_wise("multiply", lambda builder, a, b: builder.fmul(a, b), "Lane-wise ``a * b``.")
maximum = _lane_wise("maximum", lambda builder, a, b: builder.select(builder.fcmp_ordered(">", a, b), a, b),
                     "Lane-wise ``a if a > b else b`` (where either is NaN: ``b``).")


@intrinsic
def full(typingctx, value):
    """Every lane ``value`` (a float)."""

    def codegen(context, builder, signature, args):
        scalar = context.cast(builder, args[0], signature.args[0], types.float32)
        vector = ir.Constant(_VECTOR, ir.Undefined)
        for lane in range(LANES):
            vector = builder.insert_element(vector, scalar, ir.Constant(ir.IntType(32), lane))
        return vector

    return lanes(value), codegen
