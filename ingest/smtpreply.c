/* smtpreply.c - placeholder until the module lands. */
#include "smtpreply.h"
