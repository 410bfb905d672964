/* cmd_eval.c - placeholder until the module lands. */
#include <stddef.h>
