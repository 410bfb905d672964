/* sendmail.c - placeholder until the module lands. */
#include "sendmail.h"
