// Run-time choice of the GEMM micro-kernel's instruction set.
//
// The AVX2+FMA and AVX-512 kernels are compiled with function target
// attributes, so they exist in every x86-64 build (with or without
// -march=native); the first GEMM picks the best one the CPU supports, unless
// the environment variable NF_CPU_ISA=scalar|avx2|avx512 names one (an ISA the
// CPU lacks, or an unknown name, is an nf::Error, never a silent fallback).
// Tests and benchmarks switch with set_gemm_isa() to run every level in one
// process. The choice is process-wide; a GEMM reads it once when it starts.
#pragma once
#include <string_view>
#include <vector>

namespace nf::cpu {

enum class GemmIsa {
  scalar,  // portable C++ loop nest (6x16 f32, 6x8 f64 tile); the compiler vectorises it
  avx2,    // AVX2+FMA intrinsics, 6x16 f32 / 6x8 f64 tile (12 ymm accumulators)
  avx512,  // AVX-512F intrinsics, 12x32 f32 tile (24 zmm accumulators); f64 uses the AVX2 kernel
};

const char* gemm_isa_name(GemmIsa isa);

// "scalar" | "avx2" | "avx512" -> the ISA; anything else is an nf::Error.
GemmIsa parse_gemm_isa(std::string_view name);

// Whether this CPU (and this build's target: x86-64 for the vector kernels) can run the kernel.
bool gemm_isa_supported(GemmIsa isa);

// Every supported ISA, scalar first, best last.
std::vector<GemmIsa> supported_gemm_isas();

// What NF_CPU_ISA's value selects: nullptr or empty = the best supported;
// a name the CPU cannot run or an unknown name = nf::Error naming the variable.
GemmIsa gemm_isa_from_env_value(const char* value);

// The ISA the GEMM uses now (the first call reads NF_CPU_ISA).
GemmIsa gemm_isa();

// Switches the GEMM kernels; nf::Error if the CPU does not support isa.
void set_gemm_isa(GemmIsa isa);

}  // namespace nf::cpu
