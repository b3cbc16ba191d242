package dev.coloha.wire.checkpoint;

/**
 * Value of one mutable Wasm global.
 *
 * @param index global index in the module
 * @param type value type code as in the Wasm binary (0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64, 0x7b
 *     v128)
 * @param low low 64 bits
 * @param high high 64 bits (v128 only)
 */
public record GlobalValue(int index, int type, long low, long high) {}
