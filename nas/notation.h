// The text forms users know, printed and parsed exactly:
//   DARTS:  Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], normal_concat=[2, 3, 4, 5],
//                    reduce=[...], reduce_concat=[2, 3, 4, 5])
//           (Python's repr of the DARTS repository's namedtuple; the parser also takes
//           double quotes, any whitespace, keyword arguments in any order, a trailing
//           comma and `range(2, 6)` for a concat)
//   NB201:  |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|
//           (NAS-Bench-201's arch string: one |op~source| group per node 1..3; the parser
//           allows whitespace around ops and a node's edges in any order)
//   macro:  3x5 f36 s1 | 5x5 f48 s2 | 3x7 f24 s1 skip=0 | 1x1 f64 s1 skip=0,1
//           (per layer: filter height x width, filter count, stride, optional skip sources)
// Parsers validate fully and throw nf::Error naming the notation, the place and the problem.
#pragma once
#include <string>
#include <string_view>

#include "nas/genotype.h"

namespace nf::nas {

std::string to_string(const DartsGenotype& g);
std::string to_string(const Nb201Genotype& g);
std::string to_string(const MacroGenotype& g);
std::string to_string(const Genotype& g);

DartsGenotype parse_darts_genotype(std::string_view text);
Nb201Genotype parse_nb201_genotype(std::string_view text);
MacroGenotype parse_macro_genotype(std::string_view text);
// Recognises the notation by its shape: "Genotype(" -> DARTS, a leading '|' -> NB201, else macro.
Genotype parse_genotype(std::string_view text);

}  // namespace nf::nas
