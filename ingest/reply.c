/* reply.c - placeholder until the module lands. */
#include "reply.h"
