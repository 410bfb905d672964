/* syslog.c - placeholder until the module lands. */
#include "syslog.h"
