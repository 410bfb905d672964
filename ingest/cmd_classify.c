/* cmd_classify.c - placeholder until the module lands. */
#include <stddef.h>
