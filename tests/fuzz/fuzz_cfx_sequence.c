/* libFuzzer target: fuzz_cfx_unwrap with replay and sequence checks on
 * (see there). */
#define FUZZ_CFX_SEQUENCE 1
#include "fuzz_cfx_unwrap.c"
