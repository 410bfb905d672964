/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compiler.h - compiler hints the hot paths use, empty where the compiler
 * has none.
 *
 * @locality any thread; macros only.
 */
#ifndef RS_COMPILER_H
#define RS_COMPILER_H

/* Keep a rarely taken branch's function out of line, so that the common
 * path pays no frame for it (the first-byte test of a log shipper's JSON
 * object in formats/registry.c and pipeline/prescan.c). */
#if defined(__GNUC__)
#define RS_NOINLINE __attribute__((noinline))
#else
#define RS_NOINLINE
#endif

#endif
