/* postfix.c - placeholder until the module lands. */
#include "postfix.h"
