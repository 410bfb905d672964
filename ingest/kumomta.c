/* kumomta.c - placeholder until the module lands. */
#include "kumomta.h"
