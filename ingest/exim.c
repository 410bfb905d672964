/* exim.c - placeholder until the module lands. */
#include "exim.h"
