/* cmd_explain.c - placeholder until the module lands. */
#include <stddef.h>
